#include "atomic_file.hpp"

#include <unistd.h>

#include <fstream>
#include <string>

#include "infbench/error.hpp"

namespace infbench {

AtomicPath::AtomicPath(std::filesystem::path path)
    : path_(std::move(path)), tmp_(path_.string() + ".tmp." + std::to_string(::getpid())) {}

AtomicPath::~AtomicPath() {
  if (committed_) return;
  std::error_code ignored;
  std::filesystem::remove(tmp_, ignored);
}

void AtomicPath::commit() {
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) throw Error(ErrorKind::io, path_.string() + ": cannot move into place: " + ec.message());
  committed_ = true;
}

void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write) {
  AtomicPath file(path);
  {
    std::ofstream out(file.tmp(), std::ios::binary | std::ios::trunc);
    if (!out) {
      throw Error(ErrorKind::io, path.string() +
                                     ": cannot open for writing (check the directory exists and is "
                                     "writable)");
    }
    write(out);
    out.close();
    if (!out) throw Error(ErrorKind::io, path.string() + ": write failed (disk full?)");
  }
  file.commit();
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  write_file_atomically(path, [bytes](std::ostream& out) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  });
}

}  // namespace infbench
