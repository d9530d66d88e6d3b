// Sweeps across the ranks of an MPI job; the only file that includes <mpi.h>.
//
// Messages are JSON text. Workers send to rank 0 with tag kToRank0, rank 0 answers with kToWorker:
//   worker -> 0 : hello {host, pid, placement, problem, environment}
//   0 -> worker : unit {points, timeout_s, memory_limit_mib} | stop
//   worker -> 0 : phase {point, phase} | result {point, device_used, result} | done
// A worker rank runs each unit (a load group) with run_load_group(), the single-process sweep's
// own code: a forked `sweep-worker`, its time limit, and crashes turned into failed points.
// Waiting is MPI_Iprobe and a 2 ms sleep, never a blocking MPI_Recv: Open MPI busy-polls inside
// MPI_Recv, which would take a core from the measurements running beside rank 0.
#include <fmt/core.h>
#include <mpi.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "core/json_text.hpp"
#include "core/record_json.hpp"
#include "infbench/environment.hpp"
#include "infbench/error.hpp"
#include "infbench/registry.hpp"
#include "mpi_sweep.hpp"
#include "progress.hpp"
#include "schedule.hpp"
#include "store/sweep_lock.hpp"

namespace infbench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kToRank0 = 1;
constexpr int kToWorker = 2;
// A worker rank kills its group's child at timeout_s, then reports at once; rank 0 gives it this
// much longer before it declares the rank lost (dead, or hung outside the child).
constexpr double kRankGraceS = 30;

std::atomic<bool> g_stop = false;
void on_stop_signal(int) {
  g_stop = true;
  request_sweep_interrupt();
}

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw Error(ErrorKind::io, std::string("MPI: ") + what + " failed: " + std::string(text, length));
}

void send(const nlohmann::json& message, int to, int tag) {
  const std::string text = json_text(message);
  check(MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD),
        "send");
}

std::optional<nlohmann::json> try_receive(int tag, int& from) {
  int flag = 0;
  MPI_Status status;
  check(MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &flag, &status), "probe");
  if (flag == 0) return std::nullopt;
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string text(static_cast<std::size_t>(count), '\0');
  check(MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, tag, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE),
        "receive");
  from = status.MPI_SOURCE;
  return nlohmann::json::parse(text);
}

void idle() { std::this_thread::sleep_for(std::chrono::milliseconds(2)); }

bool process_gone(long pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

// ---- worker ranks ----

struct Placement {
  std::vector<int> cores;
  int gpu = -1;         // the GPU ordinal this rank owns, -1 = none on its node
  std::string problem;  // why two measurements could share a device; empty = none
};

// Collective over the worker ranks: the ranks of one node split the node's cores (the union of
// what the launcher let them run on) and take GPU k = their index on the node.
Placement place_worker(MPI_Comm workers) {
  MPI_Comm node = MPI_COMM_NULL;
  check(MPI_Comm_split_type(workers, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "split");
  int index = 0, count = 1;
  MPI_Comm_rank(node, &index);
  MPI_Comm_size(node, &count);
  cpu_set_t mine;
  CPU_ZERO(&mine);
  sched_getaffinity(0, sizeof mine, &mine);
  std::vector<cpu_set_t> all(static_cast<std::size_t>(count));
  check(MPI_Allgather(&mine, sizeof mine, MPI_BYTE, all.data(), sizeof mine, MPI_BYTE, node),
        "allgather");
  MPI_Comm_free(&node);
  std::vector<int> node_cores;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    bool any = false;
    for (const auto& set : all) any = any || CPU_ISSET(c, &set);
    if (any) node_cores.push_back(c);
  }
  Placement placement;
  bool shared = false;
  placement.cores = cores_for_rank(node_cores, index, count, shared);
  if (shared) {
    placement.problem = fmt::format("{} worker ranks share {} CPU cores", count, node_cores.size());
  }
  placement.gpu = index < visible_gpu_count() ? index : -1;
  cpu_set_t pinned;
  CPU_ZERO(&pinned);
  for (const int c : placement.cores) CPU_SET(c, &pinned);
  // Children inherit the mask, so "threads: 0" (one per usable core) means this rank's cores.
  if (!placement.cores.empty() && sched_setaffinity(0, sizeof pinned, &pinned) != 0) {
    placement.problem = fmt::format("sched_setaffinity to cores {} failed: {}",
                                    core_list_text(placement.cores), std::strerror(errno));
  }
  return placement;
}

class ForwardSink final : public GroupSink {
 public:
  void phase(const PlanPoint& point, const std::string& phase) override {
    send({{"type", "phase"}, {"point", point.id}, {"phase", phase}}, 0, kToRank0);
  }
  void result(const PlanPoint& point, const RunResult& result) override {
    send({{"type", "result"},
          {"point", point.id},
          {"device_used", describe_placement(point.params.device)},
          {"result", to_json(result)}},
         0, kToRank0);
  }
};

// Returns whether to call MPI_Finalize: not after another rank died (see finalize_safely).
bool work(int rank, const Placement& placement, const SweepOptions& options,
          const nlohmann::json& coordinator) {
  nlohmann::json environment = nlohmann::json::object();
  for (const auto& [k, v] : collect_environment(framework_versions())) environment[k] = v;
  send({{"type", "hello"},
        {"host", host_name()},
        {"pid", static_cast<long>(::getpid())},
        {"placement", describe_placement(placement.gpu)},  // after pinning: its cores
        {"problem", placement.problem},
        {"environment", environment}},
       0, kToRank0);
  const auto log = std::filesystem::path(fmt::format("{}.rank{}.log", options.db.string(), rank));
  const bool coordinator_here = coordinator.at("host") == host_name();
  auto last_check = Clock::now();
  while (!g_stop) {
    int from = 0;
    const auto message = try_receive(kToWorker, from);
    if (!message) {
      // Rank 0 gone (possible with --enable-recovery): nobody will ever send "stop".
      if (coordinator_here && Clock::now() - last_check > std::chrono::seconds(1)) {
        if (process_gone(coordinator.at("pid").get<long>())) return false;
        last_check = Clock::now();
      }
      idle();
      continue;
    }
    if (message->at("type") == "stop") return message->value("finalize", true);
    std::vector<PlanPoint> points;
    for (const auto& j : message->at("points")) {
      auto point = point_from_json(j);
      // A GPU point runs on this rank's GPU; the stored point keeps the plan's id and device.
      if (point.params.device >= 0 && placement.gpu >= 0) point.params.device = placement.gpu;
      points.push_back(std::move(point));
    }
    ForwardSink sink;
    const GroupLimits limits{message->at("timeout_s").get<double>(),
                             message->value("memory_limit_mib", std::int64_t{0})};
    if (!run_load_group(points, limits, log, sink)) return false;
    send({{"type", "done"}}, 0, kToRank0);
  }
  return false;  // stopped by a signal: the launcher is ending the job
}

// ---- rank 0 ----

struct Worker {
  int rank = 0;
  std::string host, placement;
  long pid = 0;
  bool alive = true, busy = false;
  std::vector<PlanPoint> unit;
  std::map<std::string, std::string> phase_of;
  std::set<std::string> reported;
  Clock::time_point deadline;
};

class Coordinator {
 public:
  Coordinator(const Plan& plan, const SweepOptions& options, ResultStore& store,
              const RunStart& start)
      : plan_(plan),
        options_(options),
        store_(store),
        start_(start),
        progress_(plan.point_count(), start.skipped) {}

  int run() {
    const auto queue = longest_first(plan_, start_.done, store_.measured_costs());
    std::size_t next = 0;
    auto last_check = Clock::now();
    for (;;) {
      if (g_stop) break;
      for (auto& [rank, w] : workers_) {
        if (w.alive && !w.busy && next < queue.size()) dispatch(w, queue[next++]);
      }
      const bool busy = std::any_of(workers_.begin(), workers_.end(),
                                    [](const auto& w) { return w.second.busy; });
      if (!busy) break;  // every unit handed out and finished, or no worker left
      int from = 0;
      if (const auto message = try_receive(kToRank0, from)) {
        handle(workers_.at(from), *message);
        continue;
      }
      if (Clock::now() - last_check > std::chrono::milliseconds(500)) {
        for (auto& [rank, w] : workers_) check_alive(w);
        last_check = Clock::now();
      }
      idle();
    }
    for (auto& [rank, w] : workers_) {
      if (w.alive) send({{"type", "stop"}, {"finalize", !lost_any()}}, rank, kToWorker);
    }
    progress_.close();
    const bool complete = !g_stop && next == queue.size();
    store_.end_run(start_.run, complete ? "complete" : "interrupted");
    if (!complete) {
      fmt::print(stderr, "sweep {}: stored points are kept; continue with --resume\n",
                 g_stop ? "interrupted" : "stopped: no worker rank left");
      return 130;
    }
    fmt::print(stderr, "sweep complete: {} (worker output in {}.rank<N>.log on each host)\n",
               options_.db.string(), options_.db.string());
    return 0;
  }

  // Every worker says where it runs; the hosts' environments are stored once per host. Throws
  // Error when two ranks would share a device (after telling every worker to stop).
  void meet_workers(int size) {
    std::map<std::string, Environment> hosts;
    std::map<std::string, std::string> ranks_of;
    std::vector<std::string> problems;
    const auto give_up = Clock::now() + std::chrono::seconds(120);
    while (static_cast<int>(workers_.size()) < size - 1) {
      int from = 0;
      const auto m = try_receive(kToRank0, from);
      if (!m) {
        if (Clock::now() > give_up)
          throw Error(ErrorKind::io, "MPI: some worker ranks did not start within 120 s");
        idle();
        continue;
      }
      Worker w;
      w.rank = from;
      w.host = m->at("host");
      w.pid = m->at("pid");
      w.placement = m->at("placement");
      workers_[from] = w;
      const std::string problem = m->at("problem");
      if (!problem.empty()) problems.push_back(fmt::format("host {}: {}", w.host, problem));
      if (!hosts.contains(w.host)) {
        for (const auto& [k, v] : m->at("environment").items()) {
          hosts[w.host].emplace_back(k, v.get<std::string>());
        }
      }
      ranks_of[w.host] +=
          fmt::format("{}rank {} {}", ranks_of[w.host].empty() ? "" : "; ", from, w.placement);
    }
    if (!problems.empty()) {
      for (const auto& [rank, w] : workers_) send({{"type", "stop"}}, rank, kToWorker);
      throw Error(ErrorKind::invalid_argument,
                  "mpirun: " + problems.front() +
                      ", so two measurements would share a device: start at most one worker "
                      "rank per core (-np cores+1: rank 0 only schedules), or bind ranks with "
                      "--bind-to none");
    }
    for (auto& [host, environment] : hosts) {
      environment.emplace_back("mpi_worker_ranks", ranks_of[host]);
      store_.add_host(start_.run, environment);
      fmt::print(stderr, "  {}: {}\n", host, ranks_of[host]);
    }
  }
  bool all_met(int size) const { return static_cast<int>(workers_.size()) == size - 1; }
  bool lost_any() const {
    return std::any_of(workers_.begin(), workers_.end(),
                       [](const auto& w) { return !w.second.alive; });
  }

 private:
  void dispatch(Worker& w, const LoadGroup& group) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : group.points) points.push_back(point_to_json(p));
    send({{"type", "unit"},
          {"points", points},
          {"timeout_s", plan_.timeout_s},
          {"memory_limit_mib", plan_.memory_limit_mib}},
         w.rank, kToWorker);
    w.busy = true;
    w.unit = group.points;
    w.phase_of.clear();
    w.reported.clear();
    w.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(plan_.timeout_s + kRankGraceS));
  }

  const PlanPoint* find(const Worker& w, const std::string& id) const {
    for (const auto& p : w.unit) {
      if (p.id == id) return &p;
    }
    return nullptr;
  }

  void store(const Worker& w, const PlanPoint& p, const RunResult& result,
             const std::string& device_used) {
    auto identity = identity_of(p);
    identity.host = w.host;
    identity.device_used = device_used;
    store_.add_point(start_.run, identity, result);
    progress_.finished(p.label() + " @ rank " + std::to_string(w.rank), result.record.status);
  }

  void handle(Worker& w, const nlohmann::json& m) {
    if (!w.alive) return;  // declared lost earlier: its points are already stored as failed
    const std::string type = m.at("type");
    if (type == "done") {
      w.busy = false;
      fail_unreported(w, "the worker rank finished its load group without reporting this point");
      return;
    }
    const auto* point = find(w, m.at("point"));
    if (point == nullptr || w.reported.contains(point->id)) return;
    if (type == "phase") {
      w.phase_of[point->id] = m.at("phase");
      progress_.point(point->label() + " @ rank " + std::to_string(w.rank), m.at("phase"));
    } else if (type == "result") {
      store(w, *point, result_from_json(m.at("result")), m.at("device_used"));
      w.reported.insert(point->id);
    }
  }

  void check_alive(Worker& w) {
    if (!w.alive || !w.busy) return;
    // On rank 0's own host a dead rank is seen at once; elsewhere only its silence tells.
    if (w.host == host_name() && process_gone(w.pid)) {
      lose(w, fmt::format("MPI rank {} (pid {} on {}) died while running this load group", w.rank,
                          w.pid, w.host));
    } else if (Clock::now() > w.deadline) {
      lose(w, fmt::format("MPI rank {} on {} reported nothing for timeout_s + {:.0f} s: the rank "
                          "died or hangs",
                          w.rank, w.host, kRankGraceS));
    }
  }

  void lose(Worker& w, const std::string& reason) {
    fail_unreported(w, reason);
    w.alive = false;
    w.busy = false;
    fmt::print(stderr,
               "\nsweep: {}; its unfinished points are stored as failed, the other ranks "
               "go on\n",
               reason);
  }

  void fail_unreported(Worker& w, const std::string& reason) {
    for (const auto& p : w.unit) {
      if (w.reported.contains(p.id)) continue;
      const auto phase =
          w.phase_of.contains(p.id) ? w.phase_of[p.id] : (w.phase_of.empty() ? "load" : "pending");
      store(w, p, failed_result(p, reason, phase), w.placement);
      w.reported.insert(p.id);
    }
  }

  const Plan& plan_;
  const SweepOptions& options_;
  ResultStore& store_;
  const RunStart& start_;
  Progress progress_;
  std::map<int, Worker> workers_;
};

// Rank 0's setup (database, --resume lookup) succeeds or fails for the whole job: the outcome is
// broadcast, so that a user error ends every rank cleanly with rank 0's one-line message.
nlohmann::json broadcast(int rank, const nlohmann::json& value) {
  std::string text = rank == 0 ? json_text(value) : std::string();
  int length = static_cast<int>(text.size());
  check(MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD), "broadcast");
  text.resize(static_cast<std::size_t>(length));
  check(MPI_Bcast(text.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD), "broadcast");
  return nlohmann::json::parse(text);
}

void print_schedule(const Plan& plan) {
  fmt::print("MPI order (longest first, estimated seconds):\n");
  const std::map<std::string, MeasuredCost> none;
  for (const auto& g : longest_first(plan, {}, none)) {
    fmt::print("  group {}  {:.1f} s  {} points  {}\n", g.id, estimated_seconds(g, none),
               g.points.size(), g.points.front().label());
  }
}

}  // namespace

int run_mpi_sweep(const Plan& plan, const SweepOptions& options) {
  check(MPI_Init(nullptr, nullptr), "MPI_Init");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // Errors thrown after this point skip MPI_Finalize on purpose: the launcher then ends the job.
  if (size == 1 || options.dry_run) {
    int code = 0;
    if (rank == 0) code = run_sweep(plan, options);
    if (rank == 0 && options.dry_run && size > 1) print_schedule(plan);
    MPI_Finalize();
    return code;
  }
  std::optional<SweepLock> lock;  // rank 0 holds it: one sweep writes a database at a time
  std::optional<ResultStore> store;
  RunStart start;
  std::exception_ptr setup_error;
  if (rank == 0) {
    try {
      store.emplace(options.db);
      lock.emplace(options.db);
      start = start_run(*store, plan, options, collect_environment(framework_versions()));
      if (std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr &&
          std::getenv("OMPI_MCA_orte_enable_recovery") == nullptr) {
        fmt::print(stderr,
                   "sweep: note: mpirun without --enable-recovery ends the whole job if a rank "
                   "dies (stored points are kept; --resume continues)\n");
      }
    } catch (const Error&) {
      setup_error = std::current_exception();
    }
  }
  const auto setup = broadcast(rank, {{"ok", setup_error == nullptr},
                                      {"host", host_name()},
                                      {"pid", static_cast<long>(::getpid())}});
  if (!setup.at("ok").get<bool>()) {
    MPI_Finalize();
    if (setup_error) std::rethrow_exception(setup_error);
    return 0;
  }
  MPI_Comm workers = MPI_COMM_NULL;
  check(MPI_Comm_split(MPI_COMM_WORLD, rank == 0 ? MPI_UNDEFINED : 1, rank, &workers), "split");
  const auto previous_int = std::signal(SIGINT, on_stop_signal);
  const auto previous_term = std::signal(SIGTERM, on_stop_signal);
  int code = 0;
  bool finalize = true;
  if (rank == 0) {
    fmt::print(stderr, "sweep over {} worker ranks:\n", size - 1);
    Coordinator coordinator(plan, options, *store, start);
    try {
      coordinator.meet_workers(size);
    } catch (const Error&) {
      if (coordinator.all_met(size)) MPI_Finalize();  // every worker was told to stop
      throw;
    }
    code = coordinator.run();
    finalize = !coordinator.lost_any() && !g_stop;
  } else {
    const auto placement = place_worker(workers);
    MPI_Comm_free(&workers);
    finalize = work(rank, placement, options, setup);
  }
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  // After a rank died, Open MPI 4.1's MPI_Finalize can spin forever waiting for it (seen here in
  // about 1 of 10 runs with --enable-recovery); the surviving ranks then exit without it, which
  // mpirun --enable-recovery accepts (exit status 0). Nothing is left to communicate.
  if (finalize) MPI_Finalize();
  return code;
}

}  // namespace infbench
