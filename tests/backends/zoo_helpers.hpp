#pragma once
// Helpers of the adapter tests: the model zoo's small models (tools/model_zoo.py resnet18
// mobilenet_v3_small) and their PyTorch eager references. Relative error is max|a-b| / max|ref|.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>

#include "error_of.hpp"
#include "infbench/model.hpp"
#include "infbench/npy.hpp"
#include "infbench/registry.hpp"

namespace infbench::testing_zoo {

inline std::filesystem::path models_dir() {
  const char* env = std::getenv("INFBENCH_MODELS_DIR");
  return env != nullptr ? std::filesystem::path(env) : std::filesystem::path(INFBENCH_MODELS_DIR);
}

// A missing model is a failure, not a skip: the test command builds the zoo first.
inline std::filesystem::path model_file(const std::string& model, const std::string& file) {
  const auto path = models_dir() / model / file;
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << path << " is missing: run /usr/bin/python3 tools/model_zoo.py " << model;
  }
  return path;
}

inline double relative_error(const Tensor& got, const Tensor& ref) {
  const auto a = got.to_float(), b = ref.to_float();
  if (a.size() != b.size()) return INFINITY;
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, static_cast<double>(std::abs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::abs(b[i])));
  }
  return diff / scale;
}

inline std::vector<std::int64_t> top1(const Tensor& logits) {
  const auto v = logits.to_float();
  const auto classes = static_cast<std::size_t>(logits.shape()[1]);
  std::vector<std::int64_t> out;
  for (std::size_t r = 0; r < v.size() / classes; ++r) {
    const auto begin = v.begin() + static_cast<std::ptrdiff_t>(r * classes);
    out.push_back(std::max_element(begin, begin + static_cast<std::ptrdiff_t>(classes)) - begin);
  }
  return out;
}

inline Tensor run(const std::string& framework, const std::filesystem::path& path, Params params,
                  const std::string& model) {
  auto m = Model::load(framework, path, params);
  const Tensor x = read_npy(model_file(model, model + ".sample_input.npy"));
  return m.predict({{"", x}}).front().tensor;
}

using test_support::error_of;

}  // namespace infbench::testing_zoo
