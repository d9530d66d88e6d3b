#include "batch_plan.hpp"

#include <string>

namespace infbench {
namespace {

enum class Kind { whole, dynamic_batched, fixed_batched, unknown_batched };

Kind kind_of(const TensorSpec& spec, const TensorView& tensor) {
  if (tensor.shape.empty()) return Kind::whole;
  if (!spec.shape_known || spec.shape.empty()) return Kind::unknown_batched;
  if (spec.shape[0] < 0) return Kind::dynamic_batched;
  return spec.shape[0] == tensor.shape[0] ? Kind::whole : Kind::fixed_batched;
}

std::string quoted(const std::string& name) { return "'" + name + "'"; }

}  // namespace

BatchPlan plan_batches(const std::vector<TensorSpec>& specs, std::span<const TensorView> given) {
  BatchPlan plan;
  plan.batched.assign(given.size(), false);
  std::vector<Kind> kinds;
  std::size_t first = given.size();  // the first batched input, for messages
  for (std::size_t i = 0; i < given.size(); ++i) {
    const Kind kind = kind_of(specs[i], given[i]);
    kinds.push_back(kind);
    if (kind == Kind::whole) continue;
    plan.batched[i] = true;
    const auto rows = given[i].shape[0];
    if (first == given.size()) {
      first = i;
      plan.samples = rows;
    } else if (rows != plan.samples) {
      const bool unknown = kind == Kind::unknown_batched || kinds[first] == Kind::unknown_batched;
      throw Error(ErrorKind::invalid_argument,
                  "input " + quoted(specs[i].name) + " has " + std::to_string(rows) +
                      " rows but input " + quoted(specs[first].name) + " has " +
                      std::to_string(plan.samples) + ", and both would be split into batches (" +
                      (unknown ? "the model file records no shapes"
                               : "first dimension dynamic in the model, or not the declared one") +
                      "): give them the same rows, or use --batch-size 0 to run one call with "
                      "the tensors as given");
    }
    if (kind != Kind::fixed_batched) continue;
    const auto declared = specs[i].shape[0];
    if (plan.fixed_batch == 0) {
      plan.fixed_batch = declared;
    } else if (declared != plan.fixed_batch) {
      throw Error(ErrorKind::invalid_argument,
                  "inputs declare different fixed batches (" + quoted(specs[i].name) + " " +
                      std::to_string(declared) + ", another " + std::to_string(plan.fixed_batch) +
                      ") and are given " + std::to_string(rows) +
                      " rows: give each input its declared shape");
    }
  }
  return plan;
}

bool output_is_batched(const TensorSpec& spec, const Tensor& output, std::int64_t rows) {
  if (output.shape().empty() || output.shape()[0] != rows) return false;
  const bool declared_other =
      spec.shape_known && !spec.shape.empty() && spec.shape[0] >= 0 && spec.shape[0] != rows;
  return !declared_other;
}

}  // namespace infbench
