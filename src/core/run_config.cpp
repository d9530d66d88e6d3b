#include "infbench/run_config.hpp"

#include <fmt/core.h>

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

void check_config_ranges(const RunConfig& c) {
  auto bad = [](const std::string& what) { throw Error(ErrorKind::invalid_argument, what); };
  // Every field against its range from the one list; NaN fails both comparisons.
  visit_fields(c, [&](const ConfigField& f, const auto& member) {
    const auto value = static_cast<double>(member);
    if (value >= f.min && value <= f.max) return;
    bad(fmt::format("{} {} is out of range (plan key measure.{}); valid: {} to {}", f.flag, member,
                    f.name, f.min, f.max));
  });
}

void check_config(const RunConfig& c) {
  auto bad = [](const std::string& what) { throw Error(ErrorKind::invalid_argument, what); };
  check_config_ranges(c);
  if (c.scenario == Scenario::server) {
    if (c.find_peak && c.latency_bound_ms <= 0) bad("--find-peak needs --latency-bound-ms > 0");
    if (!c.find_peak && c.target_qps <= 0)
      bad("the server scenario needs --target-qps > 0 (or --find-peak)");
  } else if (c.find_peak || c.target_qps > 0) {
    bad("--target-qps and --find-peak apply to --scenario server only");
  }
}

}  // namespace infbench
