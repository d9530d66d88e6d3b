#pragma once
// The one table of backends built into this binary (each line guarded by its CMake option).
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infbench/backend.hpp"
#include "infbench/runner.hpp"

namespace infbench {

struct BackendEntry {
  std::string_view name;
  std::string_view description;
  std::unique_ptr<Backend> (*create)();
};

std::span<const BackendEntry> backend_table();
// Throws Error(not_found) listing the built-in names when `name` is unknown.
std::unique_ptr<Backend> create_backend(std::string_view name);
std::string backend_names();  // "fake, onnxruntime, ..."
// (name, version of the library loaded) of every backend built in, for environment records.
std::vector<std::pair<std::string, std::string>> framework_versions();

// The runner's entry points with the backend created by name; the environment record lists every
// framework built in. An unknown name throws Error(not_found), as create_backend does.
std::optional<Model> load_for_benchmark(std::string_view framework,
                                        const std::filesystem::path& model, const Params& params,
                                        const RunConfig& config, RunResult& result);
RunResult run_benchmark(std::string_view framework, const std::filesystem::path& model,
                        const Params& params, const RunConfig& config);

}  // namespace infbench
