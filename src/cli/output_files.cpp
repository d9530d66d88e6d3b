#include "output_files.hpp"

#include <unistd.h>

#include <filesystem>

#include "core/atomic_file.hpp"
#include "infbench/error.hpp"

namespace infbench::cli {

void check_writable(const std::string& flag, const std::string& file) {
  if (file.empty()) return;
  const auto dir = std::filesystem::path(file).parent_path();
  if (::access(dir.empty() ? "." : dir.c_str(), W_OK) != 0) {
    throw Error(ErrorKind::io, flag + " " + file + ": directory is missing or not writable");
  }
}

void write_atomically(const std::string& flag, const std::string& file, const std::string& text) {
  try {
    write_file_atomically(file, text);
  } catch (const Error& e) {
    throw Error(ErrorKind::io, flag + " " + e.what());
  }
}

}  // namespace infbench::cli
