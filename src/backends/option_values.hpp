#pragma once
// Reading a framework option with the default its OptionSpec declares, so defaults live in one
// place (the adapter's info()) and are reported as effective settings.
#include <string>

#include "infbench/backend.hpp"

namespace infbench {

inline std::string option_value(const Params& params, const BackendInfo& info,
                                const std::string& name) {
  if (const auto it = params.options.find(name); it != params.options.end()) return it->second;
  for (const auto& spec : info.options) {
    if (spec.name == name) return spec.default_value;
  }
  throw Error(ErrorKind::invalid_argument, "internal: option '" + name + "' is not declared");
}

inline int option_int(const Params& params, const BackendInfo& info, const std::string& name) {
  return std::stoi(option_value(params, info, name));
}

// The optimisation level in force: the requested one, or the framework's default (listed first).
inline std::string optimization_level(const Params& params, const BackendInfo& info) {
  return params.optimization.empty() ? info.optimization_levels.front() : params.optimization;
}

}  // namespace infbench
