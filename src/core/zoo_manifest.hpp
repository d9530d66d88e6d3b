#pragma once
// Reads the model zoo's manifest.json (tools/model_zoo.py, tools/tf_zoo.py): the one reader of it.
// It recovers what a model format does not record (e.g. TorchScript input shapes) and finds the
// file a framework reads for a zoo model (BackendInfo::zoo_files).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infbench/backend.hpp"
#include "infbench/tensor.hpp"

namespace infbench {

// Per-sample input shapes (no batch axis) of the zoo model that `model` is a file of, looked up in
// a manifest.json found in the model's folder or up to two folders above. nullopt when none lists
// it.
std::optional<std::vector<Shape>> manifest_sample_shapes(const std::filesystem::path& model);

// The input dtypes that manifest lists for that zoo model (its "inputs"[i].dtype: float32 for the
// zoo's image models, uint8 for its pixel-input variants). For formats that record no dtype
// (TorchScript). nullopt when none lists it or a dtype is not one infbench knows.
std::optional<std::vector<DType>> manifest_input_dtypes(const std::filesystem::path& model);

// `inputs` (a model's own record) with those dtypes where the format records none (shape_known
// false), so that generated data and the reference check take the program's real input type
// instead of the float32 guess. Unchanged where no manifest lists the model or the counts differ.
// shape_known false stands for "no type recorded": true of TorchScript; OpenVINO and TensorFlow
// models of unknown rank record a type but no shape, and a manifest listing one would override it
// (the zoo lists none).
std::vector<TensorSpec> inputs_with_manifest_dtypes(std::vector<TensorSpec> inputs,
                                                    const std::filesystem::path& model);

// The manifest's flops_per_sample of that zoo model: 2 x multiply-accumulates of its conv and
// linear layers at batch 1 (tools/model_zoo.py count_flops). nullopt when none lists it.
std::optional<std::int64_t> manifest_flops_per_sample(const std::filesystem::path& model);
// The reference of the zoo model that `model` is a file of (docs/metrics.md "Accuracy"): the
// fp32 reference input and output (manifest kinds sample_input, sample_output) and, for models
// with real weights and labelled data, the labelled set (labelled_input, labelled_labels). Paths
// are empty where the manifest lists no such file; nullopt when no manifest lists the model.
struct ZooReference {
  std::string model;
  std::filesystem::path input, output, labelled_input, labels;
};
std::optional<ZooReference> manifest_reference(const std::filesystem::path& model);

// A zoo folder (models/) and its manifest.json; an absent manifest is an empty zoo.
class Zoo {
 public:
  // Throws Error(invalid_argument) naming the file when manifest.json is not valid JSON.
  explicit Zoo(std::filesystem::path dir);
  const std::filesystem::path& dir() const { return dir_; }
  bool has_model(const std::string& model) const;
  // The first of `kinds` (BackendInfo::zoo_files, "{precision}" and "{batch}" substituted) that
  // the manifest lists for `model`, as a path; empty when none is listed.
  std::filesystem::path file_for(const std::string& model, const std::vector<std::string>& kinds,
                                 const std::string& precision, long long batch) const;

 private:
  std::filesystem::path dir_;
  struct Manifest;
  std::shared_ptr<const Manifest> manifest_;
};

}  // namespace infbench
