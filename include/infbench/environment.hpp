#pragma once
// The environment record attached to every result: build, frameworks, CPU, GPU.
#include <string>
#include <utility>
#include <vector>

namespace infbench {

using Environment = std::vector<std::pair<std::string, std::string>>;

// Collected once per run. Keys are documented in docs/metrics.md; absent facts are left out.
// The caller names the frameworks (name, version) to record, e.g. registry's framework_versions():
// core does not look up the registry itself.
Environment collect_environment(const Environment& framework_versions);

// The commit this binary was built from ("fa79b7b", "fa79b7b-dirty" or "unknown"), stamped at
// every build (cmake/WriteCommit.cmake).
std::string build_commit();
// gethostname(), or "unknown".
std::string this_host();
// The CPU's model name for device < 0, the GPU's NVML name otherwise (with the reason if absent).
std::string device_description(int device);

// True for builds whose timings mean little (CMake Debug / no optimisation).
bool is_debug_build();

}  // namespace infbench
