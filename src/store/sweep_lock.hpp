#pragma once
// One sweep writes a results database at a time. Two sweeps at once would measure on the same
// cores (each distorting the other's figures) and, with --resume of one plan, run the same points
// twice; so the second is refused at start instead. The lock is flock(2) on `<db>.lock`, held by
// the sweeping process (rank 0 under MPI) and released by the kernel however it ends, kill -9
// included. The file holds the holder's pid for the message and is left in place (removing it
// would let two sweeps lock two different files). Readers and ensemble studies do not take it:
// SQLite's WAL journal lets them read, and its busy timeout lets them write, beside a sweep.
#include <filesystem>

namespace infbench {

class SweepLock {
 public:
  // Throws Error(io) naming the database when another sweep holds it, or the lock file cannot
  // be created.
  explicit SweepLock(const std::filesystem::path& db);
  ~SweepLock();
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace infbench
