#pragma once
// Checks on a path before anything opens it. Opening a FIFO for reading blocks until a writer
// comes (a benchmark that hangs), a directory opens but reads fail with a misleading message, and a
// symbolic link loop reads as "not found": each is refused here in one line naming the path.
#include <cstdint>
#include <filesystem>
#include <string>

namespace infbench {

enum class PathKind { file, directory };

// Throws Error naming `path` (and `what`, e.g. ".npy file") unless it is a regular file, or a
// directory where `allowed` is PathKind::directory. Missing: not_found; anything else (FIFO,
// socket, device, link loop, directory where a file is needed): invalid_argument.
void check_input_path(const std::filesystem::path& path, const std::string& what,
                      PathKind allowed = PathKind::file);

// check_input_path() for a regular file, then its size in bytes.
std::uintmax_t input_file_size(const std::filesystem::path& path, const std::string& what);

}  // namespace infbench
