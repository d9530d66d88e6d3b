#include "reference_check.hpp"

#include <cstring>

#include "infbench/accuracy.hpp"
#include "infbench/npy.hpp"
#include "phase_summary.hpp"
#include "zoo_manifest.hpp"

namespace infbench {
namespace {

// The reference is float32; a model reading another float type gets it converted, as a user of
// that precision would convert their data. An integer input (uint8 pixels) takes its own type.
Tensor as_input_dtype(const Tensor& t, DType dtype, const std::filesystem::path& file) {
  if (t.dtype() == dtype) return t;
  if (!is_float(dtype)) {
    throw Error(ErrorKind::invalid_argument,
                file.string() + ": the model's input is " + std::string(to_string(dtype)) + "; a " +
                    std::string(to_string(t.dtype())) + " reference cannot be given to it");
  }
  return converted_float(t, dtype);
}

// `t`'s rows repeated to a whole number of batches (at least one), so that every framework call
// of the check has the point's batch size.
Tensor tiled_to_batches(const Tensor& t, std::int64_t batch) {
  const std::int64_t m = t.batch();
  const std::int64_t rows = (m + batch - 1) / batch * batch;
  Shape shape = t.shape();
  shape.front() = rows;
  Tensor out(t.dtype(), shape);
  const std::size_t row_bytes = t.sample_bytes();
  for (std::int64_t i = 0; i < rows; ++i) {
    std::memcpy(out.data() + static_cast<std::size_t>(i) * row_bytes,
                t.data() + static_cast<std::size_t>(i % m) * row_bytes, row_bytes);
  }
  return out;
}

Tensor first_output(Model& model, const Tensor& input) {
  auto outputs = model.predict({{model.signature().inputs.front().name, input}});
  if (outputs.empty())
    throw Error(ErrorKind::framework, "the model returned no outputs for the reference input");
  return std::move(outputs.front().tensor);
}

ZooReference find_reference(const std::filesystem::path& model_path, const RunConfig& config) {
  if (!config.reference_input.empty() || !config.reference_output.empty()) {
    if (config.reference_input.empty() || config.reference_output.empty()) {
      throw Error(ErrorKind::invalid_argument,
                  "--reference-input and --reference-output go together: give both .npy files");
    }
    return {"", config.reference_input, config.reference_output, {}, {}};
  }
  auto ref = manifest_reference(model_path).value_or(ZooReference{});
  if (ref.input.empty() || ref.output.empty()) {
    throw Error(ErrorKind::not_found, "no fp32 reference for " + model_path.string() +
                                          " (no model zoo manifest entry lists sample_input and "
                                          "sample_output for it; give --reference-input and "
                                          "--reference-output)");
  }
  return ref;
}

// Top-1 accuracy over the zoo entry's labelled set, at the point's batch size.
double labelled_top1(Model& model, const ZooReference& ref, DType input_dtype) {
  const Tensor x = as_input_dtype(read_npy(ref.labelled_input), input_dtype, ref.labelled_input);
  const auto labels = read_npy(ref.labels).to_float();
  const auto predicted = top1_classes(first_output(model, x));
  if (predicted.size() != labels.size() || labels.empty()) {
    throw Error(ErrorKind::invalid_argument,
                ref.labels.string() + ": " + std::to_string(labels.size()) + " labels for " +
                    std::to_string(predicted.size()) + " labelled samples");
  }
  std::size_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i)
    correct += predicted[i] == static_cast<std::int64_t>(labels[i]) ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

}  // namespace

std::vector<TensorSpec> fed_inputs(const Model& model, const std::filesystem::path& model_path,
                                   const RunConfig& config) {
  auto inputs = inputs_with_manifest_dtypes(model.signature().inputs, model_path);
  if (config.sample_dtypes.size() > inputs.size()) {
    throw Error(ErrorKind::invalid_argument,
                "--input-dtype: " + std::to_string(config.sample_dtypes.size()) +
                    " dtypes for a model of " + std::to_string(inputs.size()) +
                    " inputs; give at most one per input, in the model's order");
  }
  for (std::size_t i = 0; i < config.sample_dtypes.size(); ++i) {
    const DType asked = config.sample_dtypes[i];
    if (inputs[i].shape_known && inputs[i].dtype != asked) {
      throw Error(ErrorKind::invalid_argument,
                  "--input-dtype " + std::string(to_string(asked)) + " for input '" +
                      inputs[i].name + "': the model records " +
                      std::string(to_string(inputs[i].dtype)) +
                      "; --input-dtype is for formats that record no type (TorchScript)");
    }
    inputs[i].dtype = asked;
  }
  return inputs;
}

void check_accuracy(Model& model, const std::filesystem::path& model_path, const RunConfig& config,
                    RunRecord& r) {
  r.accuracy_max_rel_error.reset();
  r.accuracy_cosine.reset();
  r.accuracy_top1_agreement.reset();
  r.accuracy_top1.reset();
  r.accuracy_gate.clear();
  if (!config.accuracy_check) {
    warn(r, "accuracy not checked: accuracy_check is off");
    return;
  }
  std::vector<TensorSpec> inputs;
  try {
    // TorchScript records no input dtype: --input-dtype's or the manifest's applies.
    inputs = fed_inputs(model, model_path, config);
    if (inputs.size() != 1) {
      throw Error(ErrorKind::invalid_argument, "the model has " + std::to_string(inputs.size()) +
                                                   " inputs; the check runs single-input models");
    }
    const ZooReference ref = find_reference(model_path, config);
    const Tensor input = as_input_dtype(read_npy(ref.input), inputs.front().dtype, ref.input);
    const Deviation d = deviation_from_reference(
        first_output(model, tiled_to_batches(input, model.batch_size())), read_npy(ref.output));
    r.accuracy_max_rel_error = d.max_rel_error;
    r.accuracy_cosine = d.min_cosine;
    r.accuracy_top1_agreement = d.top1_agreement;
    if (const auto gate = accuracy_gate_for(r.precision)) {
      r.accuracy_gate = judge_accuracy(d, *gate);
    } else {
      warn(r, "accuracy not gated: no gate for precision '" + r.precision + "'");
    }
  } catch (const Error& e) {
    warn(r, std::string("accuracy not checked: ") + e.what());
    return;
  }
  if (const auto ref = manifest_reference(model_path); ref && !ref->labelled_input.empty() &&
                                                       !ref->labels.empty() &&
                                                       config.reference_input.empty()) {
    try {
      r.accuracy_top1 = labelled_top1(model, *ref, inputs.front().dtype);
    } catch (const Error& e) {
      warn(r, std::string("top-1 on the labelled set not measured: ") + e.what());
    }
  }
}

}  // namespace infbench
