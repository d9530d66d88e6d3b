#pragma once
// Reads the model zoo's manifest.json (tools/model_zoo.py) to recover what a model format does not
// record, e.g. TorchScript input shapes.
#include <filesystem>
#include <optional>
#include <vector>

#include "infbench/tensor.hpp"

namespace infbench {

// Per-sample input shapes (no batch axis) of the zoo model that `model` is a file of, looked up in
// a manifest.json found in the model's folder or up to two folders above. nullopt when none lists
// it.
std::optional<std::vector<Shape>> manifest_sample_shapes(const std::filesystem::path& model);

}  // namespace infbench
