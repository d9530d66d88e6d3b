#pragma once
// Samples held in memory before any timing (LoadGen's Query Sample Library): one tensor per model
// input with `samples` rows, filled from a seeded generator or from .npy files.
#include <cstdint>
#include <random>
#include <vector>

#include "infbench/backend.hpp"

namespace infbench {

class SamplePool {
 public:
  // Random values: N(0,1) for floats, small non-negative integers for integer types, 0/1 for bool.
  // `shapes` are per-sample shapes (no batch axis), one per input in signature order.
  static SamplePool random(const std::vector<TensorSpec>& inputs, const std::vector<Shape>& shapes,
                           std::int64_t samples, std::uint64_t seed);
  // Tensors whose leading axis is the sample axis, one per input in signature order.
  static SamplePool from_tensors(std::vector<Tensor> tensors);

  std::int64_t size() const { return samples_; }
  const std::vector<Tensor>& tensors() const { return tensors_; }
  // Copies the given samples, in order, into `batch` (one tensor per input, rows >= indices).
  void gather(const std::vector<std::int64_t>& indices, std::vector<Tensor>& batch) const;
  // Fresh batch buffers for up to `rows` samples.
  std::vector<Tensor> make_batch(std::int64_t rows) const;

 private:
  std::vector<Tensor> tensors_;
  std::int64_t samples_ = 0;
};

}  // namespace infbench
