#pragma once
// Running a plan: each load group in a child process (`infbench sweep-worker`) with a time limit,
// results streamed back and committed to the database point by point. A crash, an out-of-memory
// kill or a timeout fails the group's remaining points with the reason and the phase; the sweep
// goes on.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "infbench/record.hpp"
#include "plan.hpp"
#include "store/database.hpp"

namespace infbench {

struct SweepOptions {
  std::filesystem::path db;
  bool resume = false;
  bool dry_run = false;
  // With resume: points stored as failed (a rank that died, a machine that ran out of memory) are
  // forgotten and measured again, in the same run.
  bool retry_failed = false;
};

// Returns the process exit code: 0 when every point was attempted (failed points included).
int run_sweep(const Plan& plan, const SweepOptions& options);

// A new run of the plan, or (--resume) its latest run with the ids of the points already stored.
struct RunStart {
  std::int64_t run = 0;
  std::set<std::string> done;
  std::size_t skipped = 0;  // points of the plan already stored
};
RunStart start_run(ResultStore& store, const Plan& plan, const SweepOptions& options,
                   const Environment& environment);

// The stored form of a point that did not finish: status failed, with the reason and the phase.
RunResult failed_result(const PlanPoint& point, const std::string& reason,
                        const std::string& phase);

// The worker side: reads a group (JSON) from stdin, writes JSON lines to fd 3. A group it cannot
// read is an Error (invalid_argument), which main turns into exit code 2.
void run_sweep_worker();

nlohmann::json point_to_json(const PlanPoint& point);
PointIdentity identity_of(const PlanPoint& point);  // host and device_used left empty
PlanPoint point_from_json(const nlohmann::json& json);

// What a load group's child process reports, as it happens: the single-process sweep commits it
// to the database, an MPI worker rank forwards it to rank 0 (mpi_sweep.cpp).
class GroupSink {
 public:
  virtual ~GroupSink() = default;
  virtual void phase(const PlanPoint& point, const std::string& phase) = 0;
  virtual void result(const PlanPoint& point, const RunResult& result) = 0;
};

// What a load group's child process may use before it is killed (Plan::timeout_s and
// Plan::memory_limit_mib).
struct GroupLimits {
  double timeout_s = 900;
  std::int64_t memory_limit_mib = 0;  // resident memory (VmRSS) of the worker; 0 = no limit
};

// Runs one load group in a child process (`infbench sweep-worker`) within `limits`; every point
// of `todo` reaches `sink` exactly once, as measured or failed (crash, kill, timeout, out of
// memory: reason and phase). The memory limit is watched from here (the worker's VmRSS, every
// 100 ms) rather than set with RLIMIT_AS, which breaks runtimes that reserve large address ranges
// (CUDA, JIT compilers). Returns false when the sweep was interrupted (the unfinished points are
// not reported).
bool run_load_group(const std::vector<PlanPoint>& todo, const GroupLimits& limits,
                    const std::filesystem::path& log, GroupSink& sink);

// Stops run_load_group (and the sweep) from a signal handler: SIGINT in the single process, a
// stop request in an MPI rank.
void request_sweep_interrupt();

// Where this process measures: "cpu[0-3]" (the cores it may run on) or, for a GPU point,
// "gpu1 cpu[0-3]". Stored with every point, next to the host name.
std::string describe_placement(int device);
std::string host_name();

}  // namespace infbench
