#include "infbench/environment.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "infbench/params.hpp"
#include "infbench_commit.hpp"  // generated at every build: cmake/WriteCommit.cmake

namespace infbench {

std::vector<std::pair<std::string, std::string>> nvml_environment();  // probes/nvml.cpp
std::string nvml_device_name(int device);                             // probes/nvml.cpp

namespace {

std::string first_match(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      const auto colon = line.find(':');
      auto value = colon == std::string::npos ? line : line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return {};
}

std::string read_line(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

bool is_debug_build() {
#ifdef NDEBUG
  return false;
#else
  return true;
#endif
}

std::string build_commit() { return INFBENCH_GIT_COMMIT; }

std::string this_host() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string device_description(int device) {
  if (device < 0) {
    const auto model = first_match("/proc/cpuinfo", "model name");
    return model.empty() ? "cpu (model not readable)" : model;
  }
  const auto name = nvml_device_name(device);
  return name.empty() ? "GPU " + std::to_string(device) + " (name not readable: no NVML)" : name;
}

Environment collect_environment(const Environment& framework_versions) {
  Environment env;
  env.emplace_back("infbench_version", INFBENCH_VERSION);
  env.emplace_back("git_commit", build_commit());
  env.emplace_back("build_type", INFBENCH_BUILD_TYPE);
  env.emplace_back("compiler", std::string("gcc-compatible ") + __VERSION__);
  for (const auto& [name, version] : framework_versions)
    env.emplace_back("framework_" + name, version);
  utsname uts{};
  if (uname(&uts) == 0) {
    env.emplace_back("host", uts.nodename);
    env.emplace_back("os", std::string(uts.sysname) + " " + uts.release + " " + uts.machine);
  }
  env.emplace_back("cpu_model", first_match("/proc/cpuinfo", "model name"));
  env.emplace_back("cpu_logical_cores", std::to_string(std::thread::hardware_concurrency()));
  env.emplace_back("cpu_usable_cores", std::to_string(default_thread_count()));
  const auto governor = read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  env.emplace_back("cpu_governor", governor.empty() ? "not readable" : governor);
  env.emplace_back("memory_total", first_match("/proc/meminfo", "MemTotal"));
  for (auto& fact : nvml_environment()) env.push_back(std::move(fact));
  return env;
}

}  // namespace infbench
