#pragma once
// The umbrella header of the library (find_package(infbench), target infbench::infbench): the
// unified API (Model::load, predict), the registry of built-in frameworks, tensors and .npy files,
// and the measurement engine (run_benchmark, its record).
#include "infbench/accuracy.hpp"
#include "infbench/backend.hpp"
#include "infbench/error.hpp"
#include "infbench/model.hpp"
#include "infbench/npy.hpp"
#include "infbench/params.hpp"
#include "infbench/record.hpp"
#include "infbench/registry.hpp"
#include "infbench/runner.hpp"
#include "infbench/tensor.hpp"
