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
  Params params;
  std::string optimization;
  std::string cache_dir;
  std::vector<std::string> sets;

  void add_to(CLI::App& cmd, const std::string& model_help);
  // The Params these options request (throws Error on a malformed --set).
  Params to_params() const;
};

}  // namespace infbench::cli
