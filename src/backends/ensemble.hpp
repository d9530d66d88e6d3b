#pragma once
#include <memory>

#include "infbench/backend.hpp"

namespace infbench {
// Several models behind one Backend: the model path is an ensemble spec (.yaml, docs/ensembles.md)
// and each member is loaded through the registry, so every scenario, sweep and report measures
// ensembles like any framework.
std::unique_ptr<Backend> make_ensemble_backend();
}  // namespace infbench
