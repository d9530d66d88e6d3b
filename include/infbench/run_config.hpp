#pragma once
// How one benchmark run measures (docs/metrics.md). The settings are plain fields with units in
// their names, listed once in visit_fields(): plan keys and their "valid:" message, the bench
// command's flags, the sweep worker's JSON and the point definition (its stable id) all walk that
// list, so a setting cannot be settable in one place and lost in another.
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "infbench/tensor.hpp"

namespace infbench {

enum class Scenario { offline, single_stream, multi_stream, server };
std::string_view to_string(Scenario scenario);
Scenario parse_scenario(const std::string& name);  // throws Error listing the valid names

struct RunConfig {
  Scenario scenario = Scenario::offline;  // a plan axis, not a measure key (plans: `scenarios`)
  double min_duration_s = 5;              // the measured phase lasts at least this long...
  std::int64_t min_queries = 30;          // ...and completes at least this many queries
  double max_duration_s = 120;            // hard stop of one measured phase, whatever the minima
  double warmup_s = 1;                    // warm-up lasts at least this long...
  std::int64_t warmup_queries = 2;        // ...and at least this many queries
  std::int64_t samples_per_query = 8;     // multi-stream query size
  double target_qps = 0;                  // server: Poisson arrival rate
  double latency_bound_ms = 0;            // server: p99 bound for validity (0 = none)
  bool find_peak = false;                 // server: search the highest valid QPS
  double peak_step_duration_s = 3;        // server: duration of each search step
  int repeat = 3;                         // measured phases, each its own statistics
  double max_repeat_cv = 0.03;            // repeats' throughput CV above this: stable=false
  std::uint64_t seed = 1;                 // sample pool and arrival times
  std::int64_t pool_samples = 64;         // distinct samples held in memory
  bool overlap = true;                    // pipeline batch preparation with compute
  double prep_us_per_sample = 0;          // synthetic preparation cost (pipeline experiments)
  double idle_power_s = 5;     // idle baseline, once per device and process (sweep: once), 0 = none
  bool accuracy_check = true;  // compare outputs with the fp32 reference before warm-up
  bool pad_batches_pow2 = false;  // a partial batch runs padded to the next power of two rows
  std::vector<std::filesystem::path> input_files;  // .npy sample pool instead of random data
  std::vector<Shape> sample_shapes;  // per-sample input shapes where the model records none
  // Per-input dtypes of the generated data and the reference (--input-dtype), for formats that
  // record none (TorchScript) outside the zoo; empty: the zoo manifest's, else the model's record.
  std::vector<DType> sample_dtypes;
  // The fp32 reference (input and first output, .npy) of the accuracy check; empty: the model
  // zoo's manifest entry of the model file (docs/metrics.md "Accuracy").
  std::filesystem::path reference_input, reference_output;
};

// Whether a setting is part of a point's definition (its stable id, docs/sweeps.md).
enum class Identity {
  no,                // how long or how it is observed: the same point, measured longer
  yes,               // changes what is measured
  when_not_default,  // added after ids were first stored: in the id only when set, so the ids of
                     // points stored before it existed do not change
};

struct ConfigField {
  std::string_view name;  // plan key (measure.<name>) and worker JSON key
  std::string_view flag;  // bench command flag
  std::string_view help;
  Identity identity;
  // Valid range, both ends included, checked by check_config() for the bench command and plans
  // alike. The upper ends stop a typo (1e12 s, 100000 repeats) from running away for days; they are
  // far above any useful setting (README "Bounds"). No default: a field without its range is a
  // compile error (-Wmissing-field-initializers under -Werror), not a range of 0 to 0.
  double min;
  double max;
};

// The scalar settings of RunConfig, in one list. `v(field, member)` is called for each; Config is
// RunConfig or const RunConfig. The scenario (an axis) and the input files are not in the list.
template <class Config, class Visitor>
requires std::same_as<std::remove_const_t<Config>, RunConfig>
void visit_fields(Config& c, Visitor&& v) {
  using I = Identity;
  v(ConfigField{"min_duration_s", "--min-duration-s", "Measured phase lasts at least this", I::yes,
                0, 86400},
    c.min_duration_s);
  v(ConfigField{"min_queries", "--min-queries",
                "...and completes at least this many queries (fewer than 30: stability not judged)",
                I::yes, 1, 1e9},
    c.min_queries);
  v(ConfigField{"max_duration_s", "--max-duration-s", "Hard stop of one measured phase", I::no,
                0.001, 86400},
    c.max_duration_s);
  v(ConfigField{"warmup_s", "--warmup-s", "Warm-up lasts at least this", I::yes, 0, 3600},
    c.warmup_s);
  v(ConfigField{"warmup_queries", "--warmup-queries", "...and at least this many queries", I::yes,
                0, 1e9},
    c.warmup_queries);
  v(ConfigField{"samples_per_query", "--samples-per-query", "multi-stream query size", I::yes, 1,
                65536},
    c.samples_per_query);
  v(ConfigField{"target_qps", "--target-qps", "server: Poisson arrival rate", I::yes, 0, 1e7},
    c.target_qps);
  v(ConfigField{"latency_bound_ms", "--latency-bound-ms", "server: p99 bound for a VALID run",
                I::yes, 0, 3.6e6},
    c.latency_bound_ms);
  v(ConfigField{"find_peak", "--find-peak", "server: search the highest QPS meeting the bound",
                I::when_not_default, 0, 1},
    c.find_peak);
  v(ConfigField{"peak_step_duration_s", "--peak-step-s", "server --find-peak: seconds per step",
                I::when_not_default, 0.001, 3600},
    c.peak_step_duration_s);
  v(ConfigField{"repeat", "--repeat", "Measured phases (>= 2 gives 95% CIs and a CV)", I::yes, 1,
                1000},
    c.repeat);
  v(ConfigField{"max_repeat_cv", "--max-repeat-cv",
                "Repeats' throughput CV above this flags the point unstable", I::no, 1e-12, 100},
    c.max_repeat_cv);
  v(ConfigField{"seed", "--seed", "Seed of samples and arrivals", I::yes, 0, 1.8446744073709552e19},
    c.seed);
  v(ConfigField{"pool_samples", "--pool-samples", "Random samples held in memory", I::no, 1,
                100000},
    c.pool_samples);
  v(ConfigField{"overlap", "--overlap", "Prepare batches while the framework computes", I::yes, 0,
                1},
    c.overlap);
  v(ConfigField{"prep_us_per_sample", "--prep-us-per-sample",
                "Synthetic preparation cost per sample (pipeline experiments)", I::when_not_default,
                0, 1e6},
    c.prep_us_per_sample);
  v(ConfigField{"idle_power_s", "--idle-power-s",
                "Idle power baseline: seconds, once per device at the start (0 = not measured)",
                I::no, 0, 3600},
    c.idle_power_s);
  v(ConfigField{"accuracy_check", "--accuracy-check",
                "Compare outputs with the fp32 reference and gate the point (docs/metrics.md)",
                I::no, 0, 1},
    c.accuracy_check);
  v(ConfigField{"pad_batches_pow2", "--pad-batches-pow2",
                "Run a partial batch padded to the next power of two rows (at most the batch "
                "size), each size warmed up first: a few shapes for CUDA graphs and autotuners "
                "instead of one per row count",
                I::when_not_default, 0, 1},
    c.pad_batches_pow2);
}

// "min_duration_s, min_queries, ...": the valid measure keys, for error messages.
std::string config_field_names();

// Throws Error(invalid_argument) naming the setting when a value is out of range.
void check_config(const RunConfig& config);
// Only the ranges of the fields (ConfigField::min/max), without the checks that need the scenario.
void check_config_ranges(const RunConfig& config);

}  // namespace infbench
