#include "infbench/params.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

#include "infbench/error.hpp"

namespace infbench {

int default_thread_count() {
  // sched_getaffinity respects taskset/cgroup CPU sets, unlike hardware_concurrency().
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1U, std::thread::hardware_concurrency());
}

int max_thread_count() {
  const int logical = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(4 * std::max(logical, default_thread_count()), 16, 1024);
}

std::pair<std::string, std::string> parse_key_value(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error(
        ErrorKind::invalid_argument,
        "option '" + text + "' is not of the form key=value (e.g. --set inter_op_threads=1)");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace infbench
