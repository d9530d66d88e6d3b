#include "zoo_manifest.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace infbench {

std::optional<std::vector<Shape>> manifest_sample_shapes(const std::filesystem::path& model) {
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
          if (std::filesystem::weakly_canonical(dir / file.at("path").get<std::string>(), ec) !=
              target)
            continue;
          std::vector<Shape> shapes;
          for (const auto& input : entry.at("inputs")) {
            const auto full = input.at("shape").get<Shape>();
            shapes.emplace_back(full.begin() + 1, full.end());
          }
          return shapes;
        }
      }
    } catch (const nlohmann::json::exception&) {
      return std::nullopt;  // not a zoo manifest: the caller asks the user for shapes
    }
  }
  return std::nullopt;
}

}  // namespace infbench
