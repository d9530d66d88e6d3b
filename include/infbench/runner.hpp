#pragma once
// The measurement engine: one timing contract for every framework, owned by the harness.
// See docs/metrics.md for the definition of every scenario and metric.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "infbench/model.hpp"
#include "infbench/params.hpp"
#include "infbench/record.hpp"
#include "infbench/tensor.hpp"

namespace infbench {

enum class Scenario { offline, single_stream, multi_stream, server };
std::string_view to_string(Scenario scenario);
Scenario parse_scenario(const std::string& name);  // throws Error listing the valid names

struct RunConfig {
  Scenario scenario = Scenario::offline;
  double min_duration_s = 5;           // the measured phase lasts at least this long...
  std::int64_t min_queries = 10;       // ...and completes at least this many queries
  double max_duration_s = 120;         // hard stop of one measured phase, whatever the minima
  double warmup_s = 1;                 // warm-up lasts at least this long...
  std::int64_t warmup_queries = 2;     // ...and at least this many queries
  std::int64_t samples_per_query = 8;  // multi-stream query size
  double target_qps = 0;               // server: Poisson arrival rate
  double latency_bound_ms = 0;         // server: p99 bound for validity (0 = none)
  bool find_peak = false;              // server: search the highest valid QPS
  double peak_step_duration_s = 3;     // server: duration of each search step
  int repeat = 1;                      // measured phases, each its own statistics
  std::uint64_t seed = 1;              // sample pool and arrival times
  std::int64_t pool_samples = 64;      // distinct samples held in memory
  bool overlap = true;                 // pipeline batch preparation with compute
  double prep_us_per_sample = 0;       // synthetic preparation cost (pipeline experiments)
  double idle_power_s = 1;             // idle baseline before measuring, where power is probed
  std::vector<std::filesystem::path> input_files;  // .npy sample pool instead of random data
  std::vector<Shape> sample_shapes;  // per-sample input shapes where the model records none
};

// Set from a signal handler: the run stops at the next query and reports what it measured.
std::atomic<bool>& interrupt_flag();

// The two halves of run_benchmark(), for sweeps that load a model once and measure it at several
// batch sizes. load_for_benchmark() times and probes the load and fills the record's identity and
// load fields; a framework failure leaves status "failed" (phase load) and returns nullopt.
std::optional<Model> load_for_benchmark(const std::string& framework,
                                        const std::filesystem::path& model, const Params& params,
                                        const RunConfig& config, RunResult& result);
// Measures a loaded model at its current batch size (Model::set_batch_size) and fills the rest.
// `on_phase` (optional) hears "warmup" and "measure" as they start (sweep workers report them).
void measure_loaded(Model& model, const std::filesystem::path& model_path, const RunConfig& config,
                    RunResult& result,
                    const std::function<void(const std::string&)>& on_phase = {});

// Loads the model (timing and probing the load), builds the sample pool, warms up, measures the
// scenario `repeat` times and returns the record. Framework failures become a record with
// status "failed" and the phase they happened in; invalid configuration throws Error.
RunResult run_benchmark(const std::string& framework, const std::filesystem::path& model,
                        const Params& params, const RunConfig& config);

}  // namespace infbench
