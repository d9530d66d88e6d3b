#pragma once
// Files written whole or not at all: the bytes go to a temporary sibling (PATH.tmp.<pid>, so two
// processes writing one file never share it), which is renamed over PATH only once complete. A
// reader, a crash or a full disk never leaves a truncated file under the real name.
#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

namespace infbench {

// Throws Error(io) "PATH: write failed (...)" naming what failed; the temporary is removed.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// For writers that produce the file themselves (a framework's save(path)): write to tmp(), then
// commit(); destroyed without commit(), the temporary is removed.
class AtomicPath {
 public:
  explicit AtomicPath(std::filesystem::path path);
  ~AtomicPath();
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;
  const std::filesystem::path& tmp() const { return tmp_; }
  void commit();  // throws Error(io) when the rename fails

 private:
  std::filesystem::path path_, tmp_;
  bool committed_ = false;
};

}  // namespace infbench
