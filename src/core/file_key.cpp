#include "file_key.hpp"

#include <cstdio>
#include <fstream>

#include "infbench/error.hpp"

namespace infbench {

std::uint64_t fnv1a64(const std::string& text, std::uint64_t seed) {
  std::uint64_t hash = seed;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string cache_key(const std::filesystem::path& source,
                      const std::vector<std::string>& settings) {
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(source, ec);
  std::string identity =
      absolute.string() + "|" + std::to_string(std::filesystem::file_size(source, ec)) + "|" +
      std::to_string(std::filesystem::last_write_time(source, ec).time_since_epoch().count());
  for (const auto& s : settings) identity += "|" + s;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(identity)));
  return hex;
}

std::vector<char> read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(ErrorKind::not_found, path.string() + ": cannot open for reading");
  const auto size = static_cast<std::size_t>(in.tellg());
  std::vector<char> bytes(size);
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    throw Error(ErrorKind::io, path.string() + ": read failed");
  }
  return bytes;
}

}  // namespace infbench
