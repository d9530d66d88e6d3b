#pragma once
// Where the xla adapter finds its PJRT plugin and which client options it creates it with: shared
// with the PJRT hand loop of bench/ (the harness-overhead baseline), so that both run the same
// plugin the same way.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "pjrt_client.hpp"

namespace infbench::xla {

// XLA's CPU plugin (found at configure time) for device -1, jax's CUDA plugin for a GPU; empty
// when there is none.
std::filesystem::path default_plugin(bool gpu);

// The options jax passes to the CUDA plugin (jaxlib's generate_pjrt_gpu_plugin_options) for GPU
// `device` alone, or one CPU device for device -1.
std::vector<pjrt::NamedValue> client_options(int device, const std::string& allocator,
                                             float memory_fraction, bool preallocate);

// Batches in flight when the in_flight option is 0: 2 on a GPU (batch k+1 runs while batch k's
// outputs travel to the host), 1 on the CPU.
inline std::size_t default_in_flight(bool gpu) { return gpu ? 2 : 1; }

}  // namespace infbench::xla
