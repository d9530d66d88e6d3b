// libFuzzer target: the model zoo's manifest.json reader (src/core/zoo_manifest.cpp): the Zoo
// lookups a plan makes and the input shapes a TorchScript load recovers. Bad input must be
// refused with infbench::Error or be "not listed", never another exception or a crash.
#include <nlohmann/json.hpp>

#include "core/zoo_manifest.hpp"
#include "infbench/error.hpp"
#include "scratch_file.hpp"

namespace {

// The model names and file kinds the input mentions: the lookups that reach the most code.
std::vector<std::pair<std::string, std::vector<std::string>>> mentioned(const std::uint8_t* data,
                                                                        std::size_t size) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out{{"resnet18", {"onnx"}}};
  const auto json = nlohmann::json::parse(data, data + size, nullptr, false);
  if (!json.is_object() || !json.contains("models") || !json["models"].is_object()) return out;
  for (const auto& [name, entry] : json["models"].items()) {
    std::vector<std::string> kinds{"onnx", "openvino_ir_{precision}", "aoti_b{batch}"};
    if (entry.is_object() && entry.contains("files") && entry["files"].is_object()) {
      for (const auto& [kind, file] : entry["files"].items()) kinds.push_back(kind);
    }
    out.emplace_back(name, std::move(kinds));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto manifest = infbench::fuzz::write_scratch("zoo/manifest.json", data, size);
  const auto dir = manifest.parent_path();
  try {
    const infbench::Zoo zoo(dir);
    for (const auto& [model, kinds] : mentioned(data, size)) {
      if (!zoo.has_model(model)) continue;
      const auto file = zoo.file_for(model, kinds, "fp32", 8);
      if (file.empty()) continue;
      (void)infbench::manifest_sample_shapes(file);
      (void)infbench::manifest_input_dtypes(file);
    }
  } catch (const infbench::Error&) {
  }
  return 0;
}
