// The combination rules of ensembles and the thread budget of their members.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "helpers.hpp"

namespace infbench {
namespace {

// Softmax of one row, computed in double with the row's maximum subtracted (no overflow).
void add_probabilities(std::span<const float> row, bool already_probabilities, double weight,
                       std::span<double> sum) {
  if (already_probabilities) {
    for (std::size_t c = 0; c < row.size(); ++c) sum[c] += weight * row[c];
    return;
  }
  const double top = *std::max_element(row.begin(), row.end());
  double total = 0;
  for (const float v : row) total += std::exp(static_cast<double>(v) - top);
  for (std::size_t c = 0; c < row.size(); ++c) {
    sum[c] += weight * std::exp(static_cast<double>(row[c]) - top) / total;
  }
}

// A member's [N, C] scores as float32: members run at fp16/bf16 may return them in that type
// (XLA's fp16 programs do); `storage` holds the widened copy.
const float* float_scores(const TensorView& out, std::vector<float>& storage) {
  if (out.dtype == DType::float32) return reinterpret_cast<const float*>(out.data);
  storage.resize(static_cast<std::size_t>(element_count(out.shape)));
  for (std::size_t i = 0; i < storage.size(); ++i) {
    std::uint16_t bits;
    std::memcpy(&bits, out.data + 2 * i, 2);
    storage[i] = out.dtype == DType::float16 ? half_to_float(bits) : bfloat16_to_float(bits);
  }
  return storage.data();
}

bool scores_dtype(DType t) {
  return t == DType::float32 || t == DType::float16 || t == DType::bfloat16;
}

std::size_t argmax(std::span<const float> row) {
  return static_cast<std::size_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

}  // namespace

std::vector<std::int64_t> argmax_rows(const TensorView& scores) {
  if (scores.dtype != DType::float32 || scores.shape.size() != 2) {
    throw Error(ErrorKind::invalid_argument, "arg-max needs an [N, C] float32 tensor, got " +
                                                 std::string(to_string(scores.dtype)) + " " +
                                                 to_string(scores.shape));
  }
  const auto rows = scores.shape[0];
  const auto classes = static_cast<std::size_t>(scores.shape[1]);
  const auto* data = reinterpret_cast<const float*>(scores.data);
  std::vector<std::int64_t> out(static_cast<std::size_t>(rows));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::int64_t>(argmax({data + i * classes, classes}));
  }
  return out;
}

Tensor combine_outputs(CombineRule rule, std::span<const TensorView> outputs,
                       std::span<const double> weights, const std::vector<bool>& probabilities) {
  if (outputs.empty() || weights.size() != outputs.size() ||
      probabilities.size() != outputs.size()) {
    throw Error(ErrorKind::invalid_argument, "combine: one output, weight and flag per member");
  }
  const auto& first = outputs.front();
  for (std::size_t m = 0; m < outputs.size(); ++m) {
    const auto& out = outputs[m];
    if (!scores_dtype(out.dtype) || out.shape.size() != 2 || out.shape != first.shape) {
      throw Error(ErrorKind::invalid_argument,
                  "combine: member " + std::to_string(m + 1) + "'s output is " +
                      std::string(to_string(out.dtype)) + " " + to_string(out.shape) +
                      "; every member must give float32/float16/bfloat16 [N, C] of one shape (set "
                      "`output:` to the scores output)");
    }
  }
  std::vector<std::vector<float>> widened(outputs.size());
  std::vector<const float*> scores(outputs.size());
  for (std::size_t m = 0; m < outputs.size(); ++m) scores[m] = float_scores(outputs[m], widened[m]);
  const auto rows = static_cast<std::size_t>(first.shape[0]);
  const auto classes = static_cast<std::size_t>(first.shape[1]);
  double weight_total = 0;
  for (std::size_t m = 0; m < outputs.size(); ++m) {
    weight_total += rule == CombineRule::mean_softmax ? 1.0 : weights[m];
  }
  Tensor combined(DType::float32, {first.shape[0], first.shape[1]});
  auto result = combined.values<float>();
  std::vector<double> sum(classes);
  for (std::size_t i = 0; i < rows; ++i) {
    std::fill(sum.begin(), sum.end(), 0.0);
    for (std::size_t m = 0; m < outputs.size(); ++m) {
      const std::span<const float> row{scores[m] + i * classes, classes};
      const double weight = rule == CombineRule::mean_softmax ? 1.0 : weights[m];
      if (rule == CombineRule::majority_vote) {
        sum[argmax(row)] += weight;
      } else {
        add_probabilities(row, probabilities[m], weight, sum);
      }
    }
    for (std::size_t c = 0; c < classes; ++c) {
      result[i * classes + c] = static_cast<float>(sum[c] / weight_total);
    }
  }
  return combined;
}

std::vector<int> member_thread_budget(const EnsembleSpec& spec, EnsembleMode mode,
                                      int total_threads) {
  const int total = total_threads > 0 ? total_threads : default_thread_count();
  const int members = static_cast<int>(spec.members.size());
  std::vector<int> threads(spec.members.size());
  for (int i = 0; i < members; ++i) {
    const int asked = spec.members[static_cast<std::size_t>(i)].params.threads;
    int share = total;
    if (mode != EnsembleMode::sequential) {
      share = std::max(1, total / members + (i < total % members ? 1 : 0));
    }
    threads[static_cast<std::size_t>(i)] = asked > 0 ? asked : share;
  }
  return threads;
}

}  // namespace infbench
