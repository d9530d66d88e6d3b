#pragma once
// The environment record attached to every result: build, frameworks, CPU, GPU.
#include <string>
#include <utility>
#include <vector>

namespace infbench {

using Environment = std::vector<std::pair<std::string, std::string>>;

// Collected once per run. Keys are documented in docs/metrics.md; absent facts are left out.
Environment collect_environment();

// True for builds whose timings mean little (CMake Debug / no optimisation).
bool is_debug_build();

}  // namespace infbench
