#pragma once
// Keys for optimised-model caches: a cached artefact is reused only for the same source file
// (path, size, modification time) and the same settings that shaped it.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace infbench {

std::uint64_t fnv1a64(const std::string& text, std::uint64_t seed = 14695981039346656037ULL);

// Hex digest over the file's identity and the given settings.
std::string cache_key(const std::filesystem::path& source,
                      const std::vector<std::string>& settings);

// Reads a whole file into memory; throws Error naming the path.
std::vector<char> read_file_bytes(const std::filesystem::path& path);

}  // namespace infbench
