#include "sweep_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "infbench/error.hpp"

namespace infbench {

SweepLock::SweepLock(const std::filesystem::path& db) {
  const auto path = db.string() + ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(ErrorKind::io, path + ": cannot create the sweep lock: " + std::strerror(errno) +
                                   "; the database's folder must be writable");
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int why = errno;
    char pid[32] = {};
    const auto n = ::pread(fd_, pid, sizeof pid - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (why != EWOULDBLOCK)
      throw Error(ErrorKind::io, path + ": cannot lock: " + std::strerror(why));
    const std::string holder = n > 0 ? std::string(" (pid ") + pid + ")" : "";
    throw Error(ErrorKind::io, db.string() + ": another sweep" + holder +
                                   " is writing this database; wait for it to end or give "
                                   "--db another file");
  }
  // The pid only makes the message above more useful: a full disk leaves it out, nothing more.
  const auto text = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) < 0) {
  }
}

SweepLock::~SweepLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace infbench
