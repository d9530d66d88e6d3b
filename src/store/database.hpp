#pragma once
// The results database (SQLite, one file). Schema version 3, documented in docs/sweeps.md:
//   meta(key, value)                          schema_version, created_by
//   runs(run_id, plan_name, plan_path, plan_text, environment_json, host, started_at, ended_at,
//        status)
//   hosts(run_id, host, environment_json)     one environment per machine of a run (MPI sweeps)
//   points(run_id, point_id, group_id, label, model, framework, model_file, scenario, batch_size,
//          device, requested_json, status, error, error_phase, finished_at, host, device_used)
//   metrics(run_id, point_id, <every RunRecord field, typed>)
//   repeats(run_id, point_id, repeat, throughput_samples_per_s, latency_p99_ms, duration_s)
//   samples(run_id, point_id, seq, latency_ms)            raw per-query latencies
//   failures(run_id, point_id, phase, reason)
//   studies(run_id, kind, name, summary_json)             e.g. an ensemble study's matrix
// Each point is written in its own transaction, so a kill -9 loses at most the point in flight.
// A version 2 file is upgraded in place when opened for writing (version 3 added hosts, points.host
// and points.device_used; old points keep NULL there, which readers take as the run's host); opened
// read-only it is read as it is. A file of another schema, or of a newer version, is refused before
// anything is written to it.
// The code: sqlite.hpp (connection, statement, transaction), schema.cpp (opening, checking,
// creating and upgrading), writes.cpp (storing runs, points, hosts, studies), queries.cpp (reads).
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "infbench/environment.hpp"
#include "infbench/record.hpp"
#include "sqlite.hpp"

namespace infbench {

inline constexpr int kDatabaseSchemaVersion = 3;  // 2: GPU record fields; 3: hosts

struct PointIdentity {
  std::string point_id, group_id, label, model, framework, model_file, scenario;
  std::int64_t batch_size = 0, device = -1;
  nlohmann::json requested;
  std::string host;         // the machine that measured the point
  std::string device_used;  // what it ran on there: "cpu[0-3]", "gpu1 cpu[4-7]"
};

// What earlier measurements of a point took, for scheduling estimates (MPI sweeps).
struct MeasuredCost {
  double measure_s = 0;  // warm-up and measured phase, all repeats
  double load_s = 0;     // its load group's load time
};

enum class StoreAccess {
  read_write,  // creates or upgrades the file (sweeps, ensemble studies)
  read_only,   // opened SQLITE_OPEN_READONLY, never changed (export, report, compare)
};

class ResultStore {
 public:
  // Checks the schema first: a file that is not an infbench database, or is of a newer schema
  // version, is refused (ErrorKind::invalid_argument) and left as it was.
  explicit ResultStore(const std::filesystem::path& path,
                       StoreAccess access = StoreAccess::read_write);
  // A writer leaves the file in rollback-journal mode when it is the last connection, so that
  // the finished database is one self-contained file, readable on read-only media.
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  std::int64_t begin_run(const std::string& plan_name, const std::filesystem::path& plan_path,
                         const std::string& plan_text, const Environment& environment);
  std::optional<std::int64_t> latest_run(const std::string& plan_name);
  std::set<std::string> stored_points(std::int64_t run);
  std::set<std::string> failed_points(std::int64_t run);  // status failed
  // Deletes these points of the run from every per-point table but `failures`, which keeps why
  // they failed (sweep --resume --retry-failed).
  void forget_points(std::int64_t run, const std::set<std::string>& point_ids);
  void add_point(std::int64_t run, const PointIdentity& point, const RunResult& result);
  void end_run(std::int64_t run, const std::string& status);
  // One environment record per machine of a run; a second call for the same host is ignored.
  void add_host(std::int64_t run, const Environment& environment);
  // The latest successful measurement of each point id, in any run of the database.
  std::map<std::string, MeasuredCost> measured_costs();

  // Every point of a run (all runs when nullopt) joined with its metrics, one JSON object each.
  nlohmann::json point_rows(std::optional<std::int64_t> run);
  nlohmann::json run_rows();
  nlohmann::json host_rows(std::optional<std::int64_t> run);
  std::vector<double> repeat_throughputs(std::int64_t run, const std::string& point_id);
  // Analyses over several points of a run (kind "ensemble": docs/ensembles.md), as JSON.
  void add_study(std::int64_t run, const std::string& kind, const std::string& name,
                 const nlohmann::json& summary);
  nlohmann::json study_rows(std::optional<std::int64_t> run);

 private:
  std::optional<int> stored_schema_version();  // nullopt: a new, empty file
  void create_or_upgrade();
  sqlite::Connection db_;
  StoreAccess access_;
  int schema_version_ = kDatabaseSchemaVersion;  // of the file (2 only when read-only)
};

}  // namespace infbench
