// Deviation metrics and the accuracy gates (docs/metrics.md "Accuracy").
#include "infbench/accuracy.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "infbench/error.hpp"

namespace infbench {
namespace {

struct PrecisionGate {
  std::string_view precision;
  AccuracyGate gate;
};

// The one table of gates (docs/metrics.md "Accuracy gates" gives the measurements behind them).
// fp32 must reproduce the reference up to summation order (measured <= 2.4e-6 rel err). fp16 and
// bf16: about twice the worst deviation measured for the zoo's programs in those precisions
// (bench/accuracy_deviation.py: XLA, fp16 rel err 0.019 / cosine 0.99992, bf16 0.128 / 0.9949,
// both mobilenet_v3_small). Top-1 agreement is weak evidence on 4 reference samples of
// random-weight models: one flip is 0.75, as bf16 showed. int8: no adapter offers it yet; its gate
// is set a priori, looser still, and not yet checked against a measurement.
constexpr std::array kGates{
    PrecisionGate{"fp32", {0.9999, 1e-3, 1.0}},
    PrecisionGate{"fp16", {0.999, 5e-2, 0.75}},
    PrecisionGate{"bf16", {0.99, 2.5e-1, 0.5}},
    PrecisionGate{"int8", {0.98, 5e-1, 0.5}},
};

std::int64_t row_count(const Tensor& t) { return t.shape().empty() ? 1 : t.shape().front(); }

}  // namespace

Deviation deviation_from_reference(const Tensor& outputs, const Tensor& reference) {
  const std::int64_t n = row_count(outputs), m = row_count(reference);
  const Shape out_sample(outputs.shape().begin() + (outputs.shape().empty() ? 0 : 1),
                         outputs.shape().end());
  const Shape ref_sample(reference.shape().begin() + (reference.shape().empty() ? 0 : 1),
                         reference.shape().end());
  if (out_sample != ref_sample || n == 0 || m == 0) {
    throw Error(ErrorKind::invalid_argument, "reference output " + to_string(reference.shape()) +
                                                 " does not match the model's first output " +
                                                 to_string(outputs.shape()) +
                                                 " per sample: give the reference of this model");
  }
  const auto y = outputs.to_float();
  const auto ref = reference.to_float();
  const auto width = static_cast<std::size_t>(element_count(out_sample));
  double max_abs_diff = 0, max_abs_ref = 0;
  bool non_finite = false;  // NaN or inf in the outputs fails every gate (std::max drops NaN)
  Deviation d;
  std::int64_t agree = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* a = y.data() + static_cast<std::size_t>(i) * width;
    const float* b = ref.data() + static_cast<std::size_t>(i % m) * width;
    double dot = 0, na = 0, nb = 0;
    for (std::size_t k = 0; k < width; ++k) {
      non_finite = non_finite || !std::isfinite(a[k]);
      max_abs_diff = std::max(max_abs_diff, std::abs(static_cast<double>(a[k]) - b[k]));
      max_abs_ref = std::max(max_abs_ref, std::abs(static_cast<double>(b[k])));
      dot += static_cast<double>(a[k]) * b[k];
      na += static_cast<double>(a[k]) * a[k];
      nb += static_cast<double>(b[k]) * b[k];
    }
    // Two zero vectors agree; a zero output against a non-zero reference does not (cosine 0).
    const double cosine = na == 0 && nb == 0 ? 1 : dot / std::max(std::sqrt(na * nb), 1e-300);
    d.min_cosine = std::min(d.min_cosine, std::isfinite(cosine) ? cosine : -1.0);
    if (std::max_element(a, a + width) - a == std::max_element(b, b + width) - b) ++agree;
  }
  d.max_rel_error = non_finite ? INFINITY : max_abs_diff / std::max(max_abs_ref, 1e-30);
  d.top1_agreement = static_cast<double>(agree) / static_cast<double>(n);
  return d;
}

std::optional<AccuracyGate> accuracy_gate_for(std::string_view precision) {
  for (const auto& row : kGates)
    if (row.precision == precision) return row.gate;
  return std::nullopt;
}

std::string judge_accuracy(const Deviation& d, const AccuracyGate& gate) {
  std::string failed;
  const auto add = [&](const std::string& what) { failed += (failed.empty() ? "" : "; ") + what; };
  // Written as "not (value within gate)" so that NaN fails.
  if (!(d.min_cosine >= gate.min_cosine))
    add(fmt::format("cosine {:.6g} outside >= {:g}", d.min_cosine, gate.min_cosine));
  if (!(d.max_rel_error <= gate.max_rel_error))
    add(fmt::format("rel_error {:.3g} outside <= {:g}", d.max_rel_error, gate.max_rel_error));
  if (!(d.top1_agreement >= gate.min_top1_agreement))
    add(fmt::format("top1_agreement {:.4g} outside >= {:g}", d.top1_agreement,
                    gate.min_top1_agreement));
  return failed.empty() ? "pass" : "fail: " + failed;
}

bool passes_accuracy_gate(std::string_view accuracy_gate) {
  return accuracy_gate.substr(0, 4) != "fail";
}

std::vector<std::int64_t> top1_classes(const Tensor& outputs) {
  const std::int64_t n = row_count(outputs);
  const auto values = outputs.to_float();
  if (n == 0) return {};
  const auto width = values.size() / static_cast<std::size_t>(n);
  std::vector<std::int64_t> classes;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = values.data() + static_cast<std::size_t>(i) * width;
    classes.push_back(std::max_element(row, row + width) - row);
  }
  return classes;
}

}  // namespace infbench
