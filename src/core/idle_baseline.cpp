#include "idle_baseline.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "phase_summary.hpp"

namespace infbench {
namespace {

std::mutex& cache_mutex() {
  static std::mutex m;
  return m;
}
std::map<int, IdleBaseline>& cache() {
  static std::map<int, IdleBaseline> c;
  return c;
}

// INFBENCH_IDLE_BASELINE entries: "<device>=<watts or none>|<source>|<seconds>".
std::optional<IdleBaseline> from_environment(int device) {
  const char* text = std::getenv("INFBENCH_IDLE_BASELINE");
  if (text == nullptr) return std::nullopt;
  std::stringstream all(text);
  std::string entry;
  while (std::getline(all, entry, ';')) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || entry.substr(0, eq) != std::to_string(device)) continue;
    std::stringstream fields(entry.substr(eq + 1));
    std::string watts, source, seconds;
    std::getline(fields, watts, '|');
    std::getline(fields, source, '|');
    std::getline(fields, seconds, '|');
    IdleBaseline b;
    b.source = source;
    try {
      b.seconds = seconds.empty() ? 0 : std::stod(seconds);
      if (watts != "none") b.watts = std::stod(watts);
    } catch (const std::exception&) {
      continue;  // malformed: measure here instead
    }
    b.note = "measured once by the sweep's parent process";
    return b;
  }
  return std::nullopt;
}

}  // namespace

IdleBaseline measure_idle_baseline(Probe* probe, double seconds, const std::string& why_absent) {
  IdleBaseline b;
  if (probe == nullptr) {
    b.note = why_absent.empty() ? "idle power not measured: no power probe" : why_absent;
    return b;
  }
  b.source = probe->name();
  if (seconds <= 0) {
    b.note = "idle power not measured: idle_power_s is 0";
    return b;
  }
  probe->start();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const auto values = probe->stop();
  const auto energy = value_of(values, "energy_j");
  const auto duration = value_of(values, "duration_s");
  b.seconds = duration.value_or(seconds);
  if (energy && duration && *duration > 0) {
    b.watts = *energy / *duration;
    b.note = fmt::format("measured once over {:.1f} s", *duration);
  } else {
    b.note = "idle power not measured: the " + b.source + " probe gave no energy";
  }
  return b;
}

IdleBaseline idle_baseline(int device, double seconds) {
  std::lock_guard lock(cache_mutex());
  const int key = device < 0 ? -1 : device;
  if (const auto it = cache().find(key); it != cache().end()) return it->second;
  if (auto inherited = from_environment(key)) return cache()[key] = *inherited;
  auto probes = available_power_probes(key);
  std::string why;
  for (const auto& w : power_probe_absences(key)) why += (why.empty() ? "" : "; ") + w;
  return cache()[key] =
             measure_idle_baseline(probes.empty() ? nullptr : probes.front().get(), seconds, why);
}

std::string idle_baselines_for_workers() {
  std::lock_guard lock(cache_mutex());
  std::string out;
  for (const auto& [device, b] : cache()) {
    out += fmt::format("{}{}={}|{}|{}", out.empty() ? "" : ";", device,
                       b.watts ? fmt::format("{:.6g}", *b.watts) : std::string("none"), b.source,
                       b.seconds);
  }
  return out;
}

}  // namespace infbench
