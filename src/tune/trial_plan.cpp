#include "trial_plan.hpp"

#include <fmt/core.h>

namespace infbench::tune {
namespace {

// Double-quoted YAML scalar: values such as off/on must stay strings.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string plan_yaml(const PlanContext& c, const Combo& combo, const std::vector<int>& batches,
                      const Rung& rung) {
  std::string out =
      fmt::format("name: {}\nmodels_dir: {}\nmodels: [{}]\nframeworks:\n  {}:\n", quoted(c.name),
                  quoted(c.models_dir.string()), quoted(c.model), combo.framework);
  out += fmt::format("    precision: [{}]\n", quoted(combo.precision));
  if (combo.cache && !c.cache_dir.empty())
    out += fmt::format("    cache_dir: [{}]\n", quoted(c.cache_dir.string()));
  for (const auto& [option, value] : combo.settings)
    out += fmt::format("    {}: [{}]\n", option, quoted(value));
  std::string batch_list;
  for (const int b : batches) batch_list += (batch_list.empty() ? "" : ", ") + std::to_string(b);
  out += fmt::format("batch_sizes: [{}]\ndevices: [{}]\nthreads: [0]\nscenarios: [offline]\n",
                     batch_list, c.device);
  out += fmt::format(
      "measure:\n  min_duration_s: {}\n  repeat: {}\n  min_queries: {}\n  warmup_s: {}\n"
      "  warmup_queries: 2\n  idle_power_s: {}\ntimeout_s: {}\n",
      rung.min_duration_s, rung.repeat, rung.min_queries, rung.warmup_s, rung.idle_power_s,
      c.timeout_s);
  return out;
}

std::vector<LoadGroup> trial_groups(const PlanContext& c, const Combo& combo,
                                    const std::vector<int>& batches, const Rung& rung) {
  const auto text = plan_yaml(c, combo, batches, rung);
  return parse_plan(text, "tune plan for " + combo.label()).groups;
}

}  // namespace infbench::tune
