// Top-1 accuracy on labelled data, for any model and for an ensemble and each of its members.
#include "helpers.hpp"
#include "infbench/ensemble_study.hpp"
#include "infbench/npy.hpp"

namespace infbench {
namespace {

std::vector<std::int64_t> read_labels(const std::filesystem::path& path, std::int64_t samples) {
  const auto t = read_npy(path);
  if (t.shape().size() != 1 || t.shape()[0] != samples) {
    throw Error(ErrorKind::invalid_argument,
                path.string() + ": labels must be a 1-D array of " + std::to_string(samples) +
                    " integers (one per input sample), got shape " + to_string(t.shape()));
  }
  std::vector<std::int64_t> labels;
  if (t.dtype() == DType::int64) {
    const auto v = t.values<std::int64_t>();
    labels.assign(v.begin(), v.end());
  } else if (t.dtype() == DType::int32) {
    for (const auto v : t.values<std::int32_t>()) labels.push_back(v);
  } else if (t.dtype() == DType::uint8) {
    for (const auto v : t.values<std::uint8_t>()) labels.push_back(v);
  } else {
    throw Error(ErrorKind::invalid_argument,
                path.string() + ": labels must be integers (int64, int32 or uint8), got " +
                    std::string(to_string(t.dtype())));
  }
  return labels;
}

double top1(const Tensor& scores, const std::vector<std::int64_t>& labels) {
  const auto predicted = argmax_rows(scores.view());
  std::int64_t right = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) right += predicted[i] == labels[i] ? 1 : 0;
  return static_cast<double>(right) / static_cast<double>(labels.size());
}

}  // namespace

std::vector<TopOneAccuracy> measure_top1(const std::string& framework,
                                         const std::filesystem::path& model, Params params,
                                         const std::vector<std::filesystem::path>& inputs,
                                         const std::filesystem::path& labels_path) {
  const bool ensemble = framework == "ensemble";
  if (ensemble) params.options["keep"] = "all";
  auto loaded = Model::load(framework, model, params);
  if (inputs.size() != loaded.signature().inputs.size()) {
    throw Error(ErrorKind::invalid_argument,
                "--input: the model has " + std::to_string(loaded.signature().inputs.size()) +
                    " inputs; give one .npy per input, in the model's order");
  }
  NamedTensors named;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    named.push_back({loaded.signature().inputs[i].name, read_npy(inputs[i])});
  }
  const auto samples = named.front().tensor.shape().at(0);
  const auto labels = read_labels(labels_path, samples);
  const auto outputs = loaded.predict(named);
  std::vector<TopOneAccuracy> result;
  result.push_back(
      {ensemble ? "ensemble" : model.stem().string(), top1(outputs.front().tensor, labels)});
  if (!ensemble) return result;
  // Each member's combined output comes back as "<member>/<output>" (keep=all).
  const auto spec = load_ensemble_spec(model);
  for (const auto& member : spec.members) {
    const auto& signature = loaded.signature().outputs;
    for (std::size_t o = 1; o < signature.size(); ++o) {
      const auto& name = signature[o].name;
      const auto prefix = member.name + "/";
      if (name.rfind(prefix, 0) != 0) continue;
      if (!member.output.empty() && name != prefix + member.output) continue;
      result.push_back({member.name, top1(outputs[o].tensor, labels)});
      break;  // the member's first output, unless `output:` names one
    }
  }
  return result;
}

}  // namespace infbench
