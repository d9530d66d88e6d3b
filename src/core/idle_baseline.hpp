#pragma once
// The idle power baseline that energy_above_idle_j subtracts: measured once per device at the
// start of a run, over idle_power_s seconds (>= 5 s advised: 0.5 s per point ranged 119-247 W on
// an H200), not before every point. A sweep measures it in the parent before any worker starts and
// hands it to the workers through INFBENCH_IDLE_BASELINE (idle_baselines_for_workers()).
#include <memory>
#include <optional>
#include <string>

#include "infbench/probe.hpp"

namespace infbench {

struct IdleBaseline {
  std::optional<double> watts;  // nullopt: not measured
  std::string source;           // the probe's name ("rapl", "nvml")
  double seconds = 0;
  std::string note;  // why not measured, or where it came from
};

// Measures with `probe` over `seconds` (pure of caching; tests pass a fake probe). A null probe or
// seconds <= 0 gives "not measured".
IdleBaseline measure_idle_baseline(Probe* probe, double seconds, const std::string& why_absent);

// Once per process and device: from INFBENCH_IDLE_BASELINE when the parent measured it, else
// measured now with the device's power probe over `seconds`.
IdleBaseline idle_baseline(int device, double seconds);

// "dev=watts|source|seconds;..." of what this process measured, for the workers' environment.
std::string idle_baselines_for_workers();

}  // namespace infbench
