#include "input_file.hpp"

#include <cerrno>
#include <system_error>

#include "infbench/error.hpp"

namespace infbench {
namespace {

std::string kind_name(std::filesystem::file_type type) {
  using T = std::filesystem::file_type;
  switch (type) {
    case T::directory: return "a directory";
    case T::fifo: return "a FIFO (named pipe; reading it would wait for a writer)";
    case T::socket: return "a socket";
    case T::block: return "a block device";
    case T::character: return "a character device";
    default: return "not a regular file";
  }
}

}  // namespace

void check_input_path(const std::filesystem::path& path, const std::string& what,
                      PathKind allowed) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);  // follows symbolic links
  if (ec && ec.value() == ELOOP) {
    throw Error(ErrorKind::invalid_argument,
                path.string() + ": symbolic link loop; point it at the " + what + " itself");
  }
  if (ec || status.type() == std::filesystem::file_type::not_found) {
    if (ec && ec.value() != ENOENT && ec.value() != ENOTDIR) {
      throw Error(ErrorKind::io, path.string() + ": cannot read the " + what + ": " + ec.message());
    }
    throw Error(ErrorKind::not_found, path.string() + ": " + what + " not found");
  }
  if (status.type() == std::filesystem::file_type::regular) return;
  if (status.type() == std::filesystem::file_type::directory && allowed == PathKind::directory)
    return;
  throw Error(ErrorKind::invalid_argument, path.string() + ": is " + kind_name(status.type()) +
                                               "; give the " + what + " itself");
}

std::uintmax_t input_file_size(const std::filesystem::path& path, const std::string& what) {
  check_input_path(path, what);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec)
    throw Error(ErrorKind::io, path.string() + ": cannot read the " + what + ": " + ec.message());
  return size;
}

}  // namespace infbench
