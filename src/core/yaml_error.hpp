#pragma once
// One error style for YAML files (plans, ensemble specs): "file:line: field: what is wrong".
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

#include "infbench/error.hpp"

namespace infbench {

class YamlFieldError {
 public:
  YamlFieldError(const std::filesystem::path& path, const YAML::Node& node)
      : path_(path), node_(node) {}
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    const auto mark = node_.Mark();
    const std::string line = mark.line >= 0 ? ":" + std::to_string(mark.line + 1) : "";
    throw Error(ErrorKind::invalid_argument, path_.string() + line + ": " + field + ": " + what);
  }

 private:
  std::filesystem::path path_;
  YAML::Node node_;
};

}  // namespace infbench
