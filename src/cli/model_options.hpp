#pragma once
// The model/framework/settings options that `predict` and `bench` share, declared once.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "infbench/params.hpp"

namespace infbench::cli {

struct ModelOptions {
  std::string model;
  std::string framework;
  std::string ensemble;  // --ensemble SPEC: framework "ensemble", model SPEC
  Params params;
  std::string optimization;
  std::string cache_dir;
  std::vector<std::string> sets;
  std::vector<int> devices;  // --device of a command that takes several (predict); empty = CPU

  // several_devices: --device takes a list (0,1,...) into `devices`; otherwise one value.
  void add_to(CLI::App& cmd, const std::string& model_help, bool several_devices = false);
  // The Params these options request; resolves --ensemble into framework and model. Throws Error
  // on a malformed --set or a missing --model/--framework.
  Params to_params();
};

}  // namespace infbench::cli
