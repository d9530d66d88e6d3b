#pragma once
#include <memory>

#include "infbench/backend.hpp"

namespace infbench {
// Deterministic backend with a configurable delay, for testing the harness without a framework.
std::unique_ptr<Backend> make_fake_backend();
}  // namespace infbench
