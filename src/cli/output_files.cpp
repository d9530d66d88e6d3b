#include "output_files.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

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
  const std::string tmp = file + ".tmp";
  std::ofstream out(tmp);
  out << text;
  out.close();
  if (!out || std::rename(tmp.c_str(), file.c_str()) != 0) {
    throw Error(ErrorKind::io, flag + " " + file + ": write failed");
  }
}

}  // namespace infbench::cli
