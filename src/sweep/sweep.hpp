#pragma once
// Running a plan: each load group in a child process (`infbench sweep-worker`) with a time limit,
// results streamed back and committed to the database point by point. A crash, an out-of-memory
// kill or a timeout fails the group's remaining points with the reason and the phase; the sweep
// goes on.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "plan.hpp"

namespace infbench {

struct SweepOptions {
  std::filesystem::path db;
  bool resume = false;
  bool dry_run = false;
};

// Returns the process exit code: 0 when every point was attempted (failed points included).
int run_sweep(const Plan& plan, const SweepOptions& options);

// The worker side: reads a group (JSON) from stdin, writes JSON lines to fd 3. Returns exit code.
int run_sweep_worker();

nlohmann::json point_to_json(const PlanPoint& point);
PlanPoint point_from_json(const nlohmann::json& json);

}  // namespace infbench
