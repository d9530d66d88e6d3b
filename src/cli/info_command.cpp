// `infbench info`: which frameworks are built in, their versions, devices and abilities.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core/json_text.hpp"
#include "infbench/registry.hpp"

namespace infbench::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

nlohmann::json to_json(const BackendInfo& info) {
  nlohmann::json options = nlohmann::json::array();
  for (const auto& o : info.options) {
    options.push_back({{"name", o.name},
                       {"help", o.help},
                       {"default", o.default_value},
                       {"choices", o.choices},
                       {"integer", o.integer}});
  }
  return {{"name", info.name},
          {"version", info.framework_version},
          {"model_format", info.model_format},
          {"zoo_files", info.zoo_files},
          {"devices", nlohmann::json{{"cpu", true}, {"gpus", info.gpus}}},
          {"precisions", info.precisions},
          {"optimization_levels", info.optimization_levels},
          {"optimized_model_cache", info.cache},
          {"options", options},
          {"notes", info.notes}};
}

void print_text(const BackendInfo& info, std::string_view description) {
  fmt::print("{} {} — {}\n", info.name, info.framework_version, description);
  fmt::print("  model format   : {}\n", info.model_format);
  if (!info.zoo_files.empty()) fmt::print("  zoo files      : {}\n", join(info.zoo_files));
  std::string devices = "cpu (-1)";
  for (int g : info.gpus) devices += fmt::format(", gpu {}", g);
  fmt::print("  devices        : {}\n", devices);
  fmt::print("  precisions     : {}\n", join(info.precisions));
  fmt::print("  optimization   : {} (default {})\n", join(info.optimization_levels),
             info.optimization_levels.front());
  fmt::print("  model cache    : {}\n", info.cache ? "yes (--cache-dir)" : "no");
  for (const auto& o : info.options) {
    const std::string values =
        o.choices.empty() ? (o.integer ? "integer" : "text") : join(o.choices);
    fmt::print("  --set {}=<{}> (default {}): {}\n", o.name, values, o.default_value, o.help);
  }
  if (!info.notes.empty()) fmt::print("  notes          : {}\n", info.notes);
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("info", "List the frameworks built in, versions, devices, options");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print the same as JSON");
  cmd->callback([json] {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& entry : backend_table()) {
      const auto info = entry.create()->info();
      if (*json) {
        all.push_back(to_json(info));
      } else {
        print_text(info, entry.description);
      }
    }
    if (*json) fmt::print("{}\n", json_text(all, 2));
  });
}

}  // namespace infbench::cli
