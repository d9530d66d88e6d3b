#pragma once
// Probes share one start/stop shape. A probe that cannot work on this machine is simply not
// created (see available_power_probes), so records say "not measured" instead of a false zero.
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace infbench {

// Keys a probe may report (docs/metrics.md): energy_j, duration_s, power_mean_w, power_max_w,
// peak_rss_bytes, rss_bytes, gpu_memory_used_bytes, gpu_sm_clock_mhz (minimum),
// gpu_sm_clock_mean_mhz, gpu_throttle_reasons.
using ProbeValues = std::vector<std::pair<std::string, double>>;

class Probe {
 public:
  virtual ~Probe() = default;
  virtual std::string name() const = 0;
  virtual void start() = 0;
  virtual ProbeValues stop() = 0;
};

// Host memory of this process: start() resets the kernel's peak-RSS mark, stop() reads it.
// Without a resettable mark the peak is not reported (a peak since process start would mislead).
std::unique_ptr<Probe> make_host_memory_probe();
std::int64_t current_rss_bytes();

// Energy counters that work here: RAPL packages via powercap for CPU devices, NVML for GPU k.
std::vector<std::unique_ptr<Probe>> available_power_probes(int device);

// What the probes found absent, for the record's warnings (e.g. "rapl: no /sys/class/powercap").
std::vector<std::string> power_probe_absences(int device);

}  // namespace infbench
