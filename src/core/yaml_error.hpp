#pragma once
// One error style for YAML files (plans, ensemble specs): "file:line: field: what is wrong".
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

#include "infbench/error.hpp"

namespace infbench {

// A yaml-cpp exception that got past a reader's checks (e.g. a key that is a list or mapping, on
// which as<std::string>() throws): the same one-line error at its line, never a bare yaml-cpp one.
inline Error yaml_exception_error(const std::filesystem::path& path, const YAML::Exception& e) {
  const std::string line = e.mark.line >= 0 ? ":" + std::to_string(e.mark.line + 1) : "";
  return Error(ErrorKind::invalid_argument, path.string() + line + ": " + e.msg +
                                                " (expected a plain value: a key or setting " +
                                                "written as a list or mapping?)");
}

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
