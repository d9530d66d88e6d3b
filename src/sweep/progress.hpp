#pragma once
// Sweep progress on stderr: a live line on a terminal, plain periodic lines otherwise (CI logs,
// files). Shared by the single-process sweep and rank 0 of an MPI sweep.
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace infbench {

inline std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(seconds);
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, s / 60 % 60)
                   : fmt::format("{}m{:02}s", s / 60, s % 60);
}

class Progress {
  using Clock = std::chrono::steady_clock;

 public:
  Progress(std::size_t total, std::size_t skipped)
      : total_(total), done_(skipped), skipped_(skipped) {}
  void point(const std::string& label, const std::string& phase) {
    current_ = label + " [" + phase + "]";
    show(false);
  }
  void finished(const std::string& label, const std::string& status) {
    ++done_;
    current_ = label + " -> " + status;
    show(true);
  }
  void close() const {
    if (tty_) fmt::print(stderr, "\n");
  }

 private:
  void show(bool completed) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const auto measured = done_ - skipped_;
    const std::string eta = measured > 0 ? format_duration(elapsed / static_cast<double>(measured) *
                                                           static_cast<double>(total_ - done_))
                                         : "?";
    const auto line = fmt::format("[{}/{}] {} elapsed, ETA {}: {}", done_, total_,
                                  format_duration(elapsed), eta, current_);
    if (tty_) {
      fmt::print(stderr, "\r\033[K{}", line.substr(0, 160));
    } else if (completed || elapsed - last_print_ > 30) {
      fmt::print(stderr, "{}\n", line);
      last_print_ = elapsed;
    }
  }
  std::size_t total_, done_, skipped_;
  std::string current_;
  bool tty_ = ::isatty(STDERR_FILENO) == 1;
  Clock::time_point start_ = Clock::now();
  double last_print_ = -1e9;
};

}  // namespace infbench
