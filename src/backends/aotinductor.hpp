#pragma once
#include <memory>

#include "infbench/backend.hpp"

namespace infbench {
std::unique_ptr<Backend> make_aotinductor_backend();
}  // namespace infbench
