#pragma once
// Accuracy of a run point: how far its outputs are from the fp32 reference on the same inputs, and
// the gate per precision that decides whether the point may be chosen as a "best configuration"
// (docs/metrics.md "Accuracy"). The gates are written here and nowhere else.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infbench/tensor.hpp"

namespace infbench {

// Deviation of outputs from a reference, sample by sample (the batch axis is the sample axis).
struct Deviation {
  double max_rel_error = 0;   // max |y - ref| / max |ref| over every compared element
  double min_cosine = 1;      // the smallest cosine(y_i, ref_i) over samples i
  double top1_agreement = 1;  // share of samples whose arg-max class is the reference's
};

// `outputs` has N rows, `reference` M; row i is compared with reference row i % M (the reference
// is tiled to the point's batch). Throws Error when the per-sample shapes differ.
Deviation deviation_from_reference(const Tensor& outputs, const Tensor& reference);

// What a point at a precision must meet: cosine >= min_cosine, rel err <= max_rel_error and
// top-1 agreement >= min_top1_agreement.
struct AccuracyGate {
  double min_cosine = 1;
  double max_rel_error = 0;
  double min_top1_agreement = 1;
};

// The gate of a precision ("fp32", "fp16", "bf16", "int8"); nullopt for one without a gate.
std::optional<AccuracyGate> accuracy_gate_for(std::string_view precision);

// "pass", or "fail: " and each metric outside its gate, e.g. "fail: cosine 0.9912 outside >=
// 0.999".
std::string judge_accuracy(const Deviation& deviation, const AccuracyGate& gate);

// Whether a record's accuracy_gate lets the point be chosen as a best configuration: "pass" and
// "" (not checked) do, "fail..." does not.
bool passes_accuracy_gate(std::string_view accuracy_gate);

// Arg-max over each row of a [N, ...] tensor (any dtype).
std::vector<std::int64_t> top1_classes(const Tensor& outputs);

}  // namespace infbench
