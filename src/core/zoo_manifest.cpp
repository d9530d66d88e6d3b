#include "zoo_manifest.hpp"

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "infbench/error.hpp"

namespace infbench {

namespace {

// The manifest entry (and the manifest's folder) listing `model` as one of its files, looked up
// in a manifest.json in the model's folder or up to two folders above.
struct ManifestEntry {
  std::filesystem::path dir;
  nlohmann::json entry;
};

std::optional<ManifestEntry> manifest_entry_of(const std::filesystem::path& model) {
  std::error_code ec;
  const auto target = std::filesystem::weakly_canonical(model, ec);
  auto dir = target.parent_path();
  for (int up = 0; up < 3 && !dir.empty(); ++up, dir = dir.parent_path()) {
    const auto manifest = dir / "manifest.json";
    if (!std::filesystem::is_regular_file(manifest, ec)) continue;
    try {
      const auto json = nlohmann::json::parse(std::ifstream(manifest));
      for (const auto& [name, entry] : json.at("models").items()) {
        for (const auto& [kind, file] : entry.at("files").items()) {
          if (std::filesystem::weakly_canonical(dir / file.at("path").get<std::string>(), ec) ==
              target)
            return ManifestEntry{dir, entry};
        }
      }
    } catch (const nlohmann::json::exception&) {
      return std::nullopt;  // not a zoo manifest: the caller asks the user
    }
  }
  return std::nullopt;
}

std::filesystem::path file_of_kind(const ManifestEntry& found, const char* kind) {
  const auto& files = found.entry.at("files");
  if (!files.contains(kind)) return {};
  return found.dir / files[kind].at("path").get<std::string>();
}

}  // namespace

std::optional<std::vector<Shape>> manifest_sample_shapes(const std::filesystem::path& model) {
  const auto found = manifest_entry_of(model);
  if (!found) return std::nullopt;
  try {
    std::vector<Shape> shapes;
    for (const auto& input : found->entry.at("inputs")) {
      // Integers only: nlohmann converts a float such as 2e160 to int64 without a range check
      // (undefined behaviour; found by fuzz/zoo_manifest_fuzz.cpp).
      const auto& dims = input.at("shape");
      if (!dims.is_array() || !std::all_of(dims.begin(), dims.end(),
                                           [](const auto& d) { return d.is_number_integer(); }))
        return std::nullopt;
      const auto full = dims.get<Shape>();
      if (full.empty()) return std::nullopt;  // no batch axis: not what the zoo writes
      shapes.emplace_back(full.begin() + 1, full.end());
    }
    return shapes;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::optional<std::vector<DType>> manifest_input_dtypes(const std::filesystem::path& model) {
  const auto found = manifest_entry_of(model);
  if (!found) return std::nullopt;
  try {
    std::vector<DType> dtypes;
    for (const auto& input : found->entry.at("inputs")) {
      const auto dtype = parse_dtype(input.at("dtype").get<std::string>());
      if (!dtype) return std::nullopt;
      dtypes.push_back(*dtype);
    }
    return dtypes;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::vector<TensorSpec> inputs_with_manifest_dtypes(std::vector<TensorSpec> inputs,
                                                    const std::filesystem::path& model) {
  if (std::all_of(inputs.begin(), inputs.end(), [](const auto& in) { return in.shape_known; }))
    return inputs;
  const auto dtypes = manifest_input_dtypes(model);
  if (!dtypes || dtypes->size() != inputs.size()) return inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].shape_known) inputs[i].dtype = (*dtypes)[i];
  }
  return inputs;
}

std::optional<std::int64_t> manifest_flops_per_sample(const std::filesystem::path& model) {
  const auto found = manifest_entry_of(model);
  if (!found || !found->entry.contains("flops_per_sample") ||
      !found->entry["flops_per_sample"].is_number_integer())
    return std::nullopt;
  return found->entry["flops_per_sample"].get<std::int64_t>();
}

std::optional<ZooReference> manifest_reference(const std::filesystem::path& model) {
  const auto found = manifest_entry_of(model);
  if (!found) return std::nullopt;
  try {
    ZooReference ref;
    ref.model = found->entry.value("name", std::string());
    ref.input = file_of_kind(*found, "sample_input");
    ref.output = file_of_kind(*found, "sample_output");
    ref.labelled_input = file_of_kind(*found, "labelled_input");
    ref.labels = file_of_kind(*found, "labelled_labels");
    return ref;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

struct Zoo::Manifest {
  nlohmann::json json;
};

Zoo::Zoo(std::filesystem::path dir) : dir_(std::move(dir)) {
  auto manifest = std::make_shared<Manifest>();
  if (std::ifstream in(dir_ / "manifest.json"); in) {
    try {
      manifest->json = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorKind::invalid_argument, (dir_ / "manifest.json").string() + ": " + e.what() +
                                                   " (rebuild it with tools/model_zoo.py)");
    }
  }
  manifest_ = std::move(manifest);
}

bool Zoo::has_model(const std::string& model) const {
  const auto& json = manifest_->json;
  return json.contains("models") && json["models"].contains(model);
}

std::filesystem::path Zoo::file_for(const std::string& model, const std::vector<std::string>& kinds,
                                    const std::string& precision, long long batch) const {
  if (!has_model(model)) return {};
  // Checked access throughout: a hand-edited manifest (an entry without "files", a path that is
  // not a string) is an Error naming the file, never a json exception or undefined behaviour.
  try {
    const auto& files = manifest_->json.at("models").at(model).at("files");
    for (auto kind : kinds) {
      for (const auto& [key, value] :
           {std::pair<std::string, std::string>{"{precision}", precision},
            {"{batch}", std::to_string(batch)}}) {
        if (const auto at = kind.find(key); at != std::string::npos)
          kind.replace(at, key.size(), value);
      }
      if (files.contains(kind)) return dir_ / files.at(kind).at("path").get<std::string>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::invalid_argument, (dir_ / "manifest.json").string() + ": models." +
                                                 model + ": " + e.what() +
                                                 " (rebuild it with tools/model_zoo.py)");
  }
  return {};
}

}  // namespace infbench
