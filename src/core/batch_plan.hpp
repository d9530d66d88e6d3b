#pragma once
// Which of predict()'s inputs are split into batches and which go whole to every framework call,
// decided from the model's declared input shapes and the tensors given. The rule, per input:
//   * a rank-0 tensor (scalar) is whole;
//   * declared first dimension dynamic (-1, symbolic): batched;
//   * declared first dimension fixed at F and the tensor has F rows: whole (it is exactly what the
//     model declares: a weight, a broadcast operand, or a fixed-batch input given one batch);
//   * declared first dimension fixed at F and the tensor has another number of rows: batched, at a
//     fixed batch of F per call (the last call padded with zero rows, dropped from the outputs);
//   * shape not recorded by the format (TorchScript): batched if it has a first dimension.
// Ambiguous, refused with the input's name and the fix: batched inputs whose row counts differ;
// fixed batched inputs with different F. No batched input: one call with the tensors as given.
// An input given exactly as declared is never split, even when its first dimension equals a fixed
// batch beside it: a conv weight [1,C,k,k] next to an image [1,C,H,W] must stay whole, so
// per-sample data must be given with all its rows to be split.
#include <cstdint>
#include <span>
#include <vector>

#include "infbench/backend.hpp"

namespace infbench {

struct BatchPlan {
  std::vector<bool> batched;     // per input, signature order
  std::int64_t samples = 0;      // rows of the batched inputs; 0: none is batched (one call)
  std::int64_t fixed_batch = 0;  // > 0: the batched inputs' declared first dimension
};

// `given` are in signature order (Model::ordered_inputs). Throws Error naming the input.
BatchPlan plan_batches(const std::vector<TensorSpec>& specs, std::span<const TensorView> given);

// Whether output `spec` came back batched from a call that was passed `rows` rows: its first
// dimension is `rows` and the model does not declare another fixed size for it.
bool output_is_batched(const TensorSpec& spec, const Tensor& output, std::int64_t rows);

}  // namespace infbench
