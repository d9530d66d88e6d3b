#include "sweep.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>

#include "core/idle_baseline.hpp"
#include "core/json_text.hpp"
#include "core/record_json.hpp"
#include "infbench/environment.hpp"
#include "infbench/registry.hpp"
#include "progress.hpp"
#include "schedule.hpp"
#include "store/database.hpp"
#include "store/sweep_lock.hpp"

namespace infbench {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_interrupted = false;
void on_interrupt(int) { g_interrupted = true; }

// Resident memory of process `pid` in MiB (VmRSS of /proc/PID/status), or -1 once it is gone.
std::int64_t resident_mib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) / 1024;  // "N kB"
  }
  return -1;
}

std::string describe_exit(int status, bool timed_out, double timeout_s) {
  if (timed_out)
    return fmt::format("timeout: the load group exceeded {:.0f} s and was killed", timeout_s);
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    std::string what = fmt::format("crashed with signal {} ({})", sig, strsignal(sig));
    if (sig == SIGKILL) what += ": killed from outside, most likely by the out-of-memory killer";
    return what;
  }
  if (WIFEXITED(status))
    return fmt::format("worker exited with code {} before finishing", WEXITSTATUS(status));
  return "worker ended abnormally";
}

struct Child {
  pid_t pid = -1;
  int results_fd = -1;
};

Child spawn_worker(const std::vector<PlanPoint>& points, const std::filesystem::path& log) {
  int to_child[2], from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) {
    throw Error(ErrorKind::io, "sweep: cannot create pipes");
  }
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorKind::io, "sweep: fork failed");
  if (pid == 0) {
    ::dup2(to_child[0], STDIN_FILENO);
    ::dup2(from_child[1], 3);
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    ::execl("/proc/self/exe", "infbench", "sweep-worker", static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  if (log_fd >= 0) ::close(log_fd);
  nlohmann::json group = nlohmann::json::array();
  for (const auto& p : points) group.push_back(point_to_json(p));
  const std::string text = json_text(group);
  std::size_t written = 0;
  while (written < text.size()) {
    const auto n = ::write(to_child[1], text.data() + written, text.size() - written);
    if (n <= 0) break;  // the child died early: its exit status tells why
    written += static_cast<std::size_t>(n);
  }
  ::close(to_child[1]);
  return {pid, from_child[0]};
}

// The single-process sink: each point is committed as it arrives.
class StoreSink final : public GroupSink {
 public:
  StoreSink(ResultStore& store, std::int64_t run, Progress& progress)
      : store_(store), run_(run), progress_(progress), host_(host_name()) {}
  void phase(const PlanPoint& point, const std::string& phase) override {
    progress_.point(point.label(), phase);
  }
  void result(const PlanPoint& point, const RunResult& result) override {
    auto identity = identity_of(point);
    identity.host = host_;
    identity.device_used = describe_placement(point.params.device);
    store_.add_point(run_, identity, result);
    progress_.finished(point.label(), result.record.status);
  }

 private:
  ResultStore& store_;
  std::int64_t run_;
  Progress& progress_;
  std::string host_;
};

std::string cpu_list() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return "cpu";
  std::vector<int> cores;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cores.push_back(c);
  }
  return "cpu[" + core_list_text(cores) + "]";
}

void print_dry_run(const Plan& plan) {
  double estimate = 0;
  for (const auto& group : plan.groups) {
    estimate += 2;  // load
    for (const auto& p : group.points) {
      fmt::print("{}  group {}  {}  ({})\n", p.id, p.group_id, p.label(), p.model_file.string());
      estimate += 1 + p.config.warmup_s + p.config.min_duration_s * p.config.repeat;
    }
  }
  fmt::print(
      "{} points in {} load groups; estimated at least {} (from the plan's durations; slow models "
      "take longer: a point lasts until both min_duration_s and min_queries are met)\n",
      plan.point_count(), plan.groups.size(), format_duration(estimate));
}

}  // namespace

PointIdentity identity_of(const PlanPoint& p) {
  return {p.id,
          p.group_id,
          p.label(),
          p.model,
          p.framework,
          p.model_file.string(),
          std::string(to_string(p.config.scenario)),
          p.params.batch_size,
          p.params.device,
          point_to_json(p),
          {},
          {}};
}

void request_sweep_interrupt() { g_interrupted = true; }

std::string host_name() {
  utsname uts{};
  return uname(&uts) == 0 ? std::string(uts.nodename) : std::string("unknown");
}

std::string describe_placement(int device) {
  return device >= 0 ? fmt::format("gpu{} {}", device, cpu_list()) : cpu_list();
}

bool run_load_group(const std::vector<PlanPoint>& todo, const GroupLimits& limits,
                    const std::filesystem::path& log, GroupSink& sink) {
  const double timeout_s = limits.timeout_s;
  Child child = spawn_worker(todo, log);
  std::map<std::string, std::string> phase_of;  // last phase reported per point
  std::map<std::string, bool> stored;
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  std::string buffer;
  bool timed_out = false;
  std::string out_of_memory;  // the reason, once the worker was killed for its memory
  // 100 ms between memory checks: a worker allocating 1 GB/s overshoots by ~100 MB at most.
  const long long poll_ms = limits.memory_limit_mib > 0 ? 100 : 500;
  for (;;) {
    if (g_interrupted) break;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    if (limits.memory_limit_mib > 0) {
      const auto rss = resident_mib(child.pid);
      if (rss > limits.memory_limit_mib) {
        out_of_memory = fmt::format("out of memory: RSS {} MiB above the limit {} MiB", rss,
                                    limits.memory_limit_mib);
        break;
      }
    }
    pollfd fd{child.results_fd, POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(std::min<long long>(left, poll_ms)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char chunk[65536];
    const auto n = ::read(child.results_fd, chunk, sizeof chunk);
    if (n <= 0) break;  // worker closed its end: finished or died
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
      const auto message = nlohmann::json::parse(buffer.substr(0, nl));
      buffer.erase(0, nl + 1);
      const std::string id = message.at("point");
      const auto point =
          std::find_if(todo.begin(), todo.end(), [&](const PlanPoint& p) { return p.id == id; });
      if (point == todo.end()) continue;
      if (message.at("type") == "phase") {
        phase_of[id] = message.at("phase");
        sink.phase(*point, phase_of[id]);
      } else {
        try {
          sink.result(*point, result_from_json(message.at("result")));
        } catch (...) {  // the database cannot store it (disk full): stop the worker, then report
          ::kill(child.pid, SIGKILL);
          ::close(child.results_fd);
          while (::waitpid(child.pid, nullptr, 0) < 0 && errno == EINTR) {
          }
          throw;
        }
        stored[id] = true;
      }
    }
  }
  if (timed_out || g_interrupted || !out_of_memory.empty()) ::kill(child.pid, SIGKILL);
  ::close(child.results_fd);
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  const bool interrupted = g_interrupted || (WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
  if (interrupted) return false;  // unfinished points stay missing: --resume runs them
  const std::string reason =
      out_of_memory.empty() ? describe_exit(status, timed_out, timeout_s) : out_of_memory;
  for (const auto& p : todo) {
    if (stored[p.id]) continue;
    sink.result(
        p, failed_result(
               p, reason,
               phase_of.contains(p.id) ? phase_of[p.id] : (phase_of.empty() ? "load" : "pending")));
  }
  return true;
}

// What every worker shares, measured or prepared once here: the idle power baseline of each
// device the plan uses (at the sweep's start, before any model loads; the longest idle_power_s of
// the device's points), and the file in which the first worker on a device leaves its roofline
// peaks for the others (INFBENCH_PEAK_CACHE; removed when the sweep ends).
static void prepare_worker_environment(const Plan& plan, const std::filesystem::path& db) {
  std::map<int, double> seconds;
  for (const auto& group : plan.groups) {
    for (const auto& p : group.points) {
      const int device = p.params.device < 0 ? -1 : static_cast<int>(p.params.device);
      seconds[device] = std::max(seconds[device], p.config.idle_power_s);
    }
  }
  for (const auto& [device, s] : seconds) {
    const auto b = idle_baseline(device, s);
    fmt::print(stderr, "sweep: idle power of {}: {}\n",
               device < 0 ? "cpu" : "GPU " + std::to_string(device),
               b.watts ? fmt::format("{:.1f} W ({}, {})", *b.watts, b.source, b.note) : b.note);
  }
  ::setenv("INFBENCH_IDLE_BASELINE", idle_baselines_for_workers().c_str(), 1);
  const std::string peaks = db.string() + ".peaks.json";
  std::error_code ec;
  std::filesystem::remove(peaks, ec);
  ::setenv("INFBENCH_PEAK_CACHE", peaks.c_str(), 1);
}

RunResult failed_result(const PlanPoint& p, const std::string& reason, const std::string& phase) {
  RunResult failed;
  failed.record.model = p.model_file.string();
  failed.record.framework = p.framework;
  failed.record.scenario = std::string(to_string(p.config.scenario));
  failed.record.batch_size = p.params.batch_size;
  failed.record.device = p.params.device;
  failed.record.status = "failed";
  failed.record.error = reason;
  failed.record.error_phase = phase;
  return failed;
}

RunStart start_run(ResultStore& store, const Plan& plan, const SweepOptions& options,
                   const Environment& environment) {
  RunStart start;
  if (options.resume) {
    const auto last = store.latest_run(plan.name);
    if (!last) {
      throw Error(ErrorKind::not_found, options.db.string() + ": no earlier run of plan '" +
                                            plan.name + "' to resume; run without --resume");
    }
    start.run = *last;
    if (options.retry_failed) {
      const auto failed = store.failed_points(start.run);
      store.forget_points(start.run, failed);
      fmt::print(stderr, "sweep '{}': {} failed point(s) of run {} forgotten, measured again\n",
                 plan.name, failed.size(), start.run);
    }
    start.done = store.stored_points(start.run);
  } else {
    start.run = store.begin_run(plan.name, plan.path, plan.text, environment);
  }
  for (const auto& g : plan.groups) {
    for (const auto& p : g.points) start.skipped += start.done.contains(p.id) ? 1 : 0;
  }
  fmt::print(stderr, "sweep '{}': run {} in {}, {} points ({} already stored)\n", plan.name,
             start.run, options.db.string(), plan.point_count(), start.skipped);
  return start;
}

int run_sweep(const Plan& plan, const SweepOptions& options) {
  if (options.dry_run) {
    print_dry_run(plan);
    return 0;
  }
  ResultStore store(options.db);     // refuses a file of another schema before writing to it
  const SweepLock lock(options.db);  // a second sweep of this database is refused here
  const auto environment = collect_environment(framework_versions());
  const auto [run, done, skipped] = start_run(store, plan, options, environment);
  store.add_host(run, environment);
  Progress progress(plan.point_count(), skipped);
  g_interrupted = false;
  auto previous = std::signal(SIGINT, on_interrupt);
  const auto log = std::filesystem::path(options.db.string() + ".worker.log");
  prepare_worker_environment(plan, options.db);
  StoreSink sink(store, run, progress);
  bool complete = true;
  for (const auto& group : plan.groups) {
    std::vector<PlanPoint> todo;
    for (const auto& p : group.points) {
      if (!done.contains(p.id)) todo.push_back(p);
    }
    if (todo.empty()) continue;
    if (!run_load_group(todo, {plan.timeout_s, plan.memory_limit_mib}, log, sink)) {
      complete = false;
      break;
    }
  }
  std::signal(SIGINT, previous);
  progress.close();
  std::error_code ec;
  std::filesystem::remove(options.db.string() + ".peaks.json", ec);
  store.end_run(run, complete ? "complete" : "interrupted");
  if (!complete) {
    fmt::print(stderr, "sweep interrupted: stored points are kept; continue with --resume\n");
    return 130;
  }
  fmt::print(stderr, "sweep complete: {} (worker output in {})\n", options.db.string(),
             log.string());
  return 0;
}

}  // namespace infbench
