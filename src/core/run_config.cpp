#include "infbench/run_config.hpp"

#include <array>

#include "infbench/error.hpp"

namespace infbench {
namespace {

struct ScenarioRow {
  Scenario scenario;
  std::string_view name;
};
constexpr std::array<ScenarioRow, 4> kScenarios{{{Scenario::offline, "offline"},
                                                 {Scenario::single_stream, "single-stream"},
                                                 {Scenario::multi_stream, "multi-stream"},
                                                 {Scenario::server, "server"}}};

}  // namespace

std::string_view to_string(Scenario scenario) {
  for (const auto& row : kScenarios) {
    if (row.scenario == scenario) return row.name;
  }
  return "?";
}

Scenario parse_scenario(const std::string& name) {
  std::string names;
  for (const auto& row : kScenarios) {
    if (row.name == name) return row.scenario;
    names += (names.empty() ? "" : ", ") + std::string(row.name);
  }
  throw Error(ErrorKind::invalid_argument, "scenario '" + name + "' is unknown; valid: " + names);
}

std::string config_field_names() {
  std::string names;
  const RunConfig prototype;
  visit_fields(prototype, [&](const ConfigField& f, const auto&) {
    names += (names.empty() ? "" : ", ") + std::string(f.name);
  });
  return names;
}

void check_config(const RunConfig& c) {
  auto bad = [](const std::string& what) { throw Error(ErrorKind::invalid_argument, what); };
  if (c.min_duration_s < 0 || c.max_duration_s <= 0 || c.warmup_s < 0) {
    bad("durations must be >= 0 (--min-duration-s, --warmup-s) and --max-duration-s > 0");
  }
  if (c.min_queries < 1) bad("--min-queries must be >= 1");
  if (c.repeat < 1) bad("--repeat must be >= 1");
  if (c.max_repeat_cv <= 0) bad("--max-repeat-cv must be > 0 (e.g. 0.03)");
  if (c.pool_samples < 1) bad("--pool-samples must be >= 1");
  if (c.samples_per_query < 1) bad("--samples-per-query must be >= 1");
  if (c.peak_step_duration_s <= 0) bad("--peak-step-s must be > 0");
  if (c.scenario == Scenario::server) {
    if (c.find_peak && c.latency_bound_ms <= 0) bad("--find-peak needs --latency-bound-ms > 0");
    if (!c.find_peak && c.target_qps <= 0)
      bad("the server scenario needs --target-qps > 0 (or --find-peak)");
  } else if (c.find_peak || c.target_qps > 0) {
    bad("--target-qps and --find-peak apply to --scenario server only");
  }
}

}  // namespace infbench
