#pragma once
// The summary of a run's measured phases into record fields: throughput, latency statistics,
// stability, intervals across repeats, energy and GPU readings, the server verdict.
// docs/metrics.md defines each field; the runner orchestrates, this file only summarises.
#include <optional>
#include <string>
#include <vector>

#include "infbench/probe.hpp"
#include "infbench/record.hpp"
#include "infbench/run_config.hpp"
#include "scenarios.hpp"

namespace infbench {

std::optional<double> value_of(const ProbeValues& values, const std::string& key);
// Appends to the record's "; "-separated warnings.
void warn(RunRecord& r, const std::string& message);

struct MeasuredPhases {
  std::vector<PhaseResult> phases;
  std::optional<double> energy_j;                   // summed over repeats
  std::optional<unsigned long long> throttle_mask;  // union over repeats
  double probe_s = 0;

  std::optional<double> power_max_w, clock_min_mhz, clock_mean_mhz, memory_peak_bytes;
  int clock_means = 0;
  double throttle_samples = 0, power_capped_samples = 0;  // NVML samples, summed over repeats

  // Adds one repeat's probe readings (energy summed, peaks kept, masks joined).
  void add_probe_values(const ProbeValues& values);
};

// "sw_power_cap,hw_slowdown": NVML clock-event reason bits by name ("none" for 0; unnamed bits as
// "bit<N>").
std::string throttle_reason_names(unsigned long long mask);

// Time from the first inference's start until the first query after which three consecutive
// latencies lie within +-10 % of the measured median. nullopt if that never happens.
std::optional<double> settle_time_s(Clock::time_point first_start,
                                    const std::vector<const PhaseResult*>& phases,
                                    double median_ms);

// Throughput, latency statistics, stability, intervals, energy and GPU fields of the record.
void fill_measurement(RunResult& result, const MeasuredPhases& m, const RunConfig& config,
                      std::optional<double> idle_w);
// The server scenario's target, realised arrival rate and VALID/INVALID verdict.
void fill_server(RunResult& result, const MeasuredPhases& m, const RunConfig& config, double qps);

}  // namespace infbench
