#pragma once
// Data-parallel benchmarking over several devices (issue 19): one model per device, each device
// running its own offline measurement (load, warm-up, repeats) on its own thread, released
// together once every device has loaded and measuring once every device has warmed up; and,
// first, the first device alone with the same configuration, so that the scaling is measured in
// one call. Works with any backend.
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "infbench/params.hpp"
#include "infbench/record.hpp"
#include "infbench/run_config.hpp"

namespace infbench {

struct DataParallelBench {
  std::vector<int> devices;
  RunResult alone;                  // devices.front() by itself
  std::vector<RunResult> together;  // one per device, measured at once
  // Per repeat, the sum of the devices' throughputs (repeat k of every device ran at once).
  std::vector<double> aggregate_per_repeat;
  double aggregate = 0;                                 // their mean, samples/s
  std::optional<double> aggregate_low, aggregate_high;  // its 95 % interval (>= 2 repeats)
  // aggregate / (devices x alone), with the 95 % interval of that ratio (bootstrap, both sides).
  std::optional<double> efficiency, efficiency_low, efficiency_high;
  // Share of the devices' combined measuring time in which every device was measuring: near 1
  // means the aggregate is a throughput of all devices at once, not of devices taking turns.
  double overlap = 0;
  bool ok() const;  // every run completed with status ok
};

// Offline only: the other scenarios' latencies are per device, not of a data-parallel service.
// Throws Error for a scenario other than offline, fewer than 2 devices or a device listed twice.
DataParallelBench bench_data_parallel(std::string_view framework,
                                      const std::filesystem::path& model, const Params& params,
                                      const std::vector<int>& devices, const RunConfig& config);

}  // namespace infbench
