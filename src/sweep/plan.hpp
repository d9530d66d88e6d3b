#pragma once
// Sweep plans: axes of values in a YAML file, expanded once into flat points. Points that share a
// loaded model (same model file, framework, settings and device) form a load group, so a model is
// loaded once for all its batch sizes and scenarios. Every point has a stable id (a hash of what
// defines it), which is what --resume and compare match on.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "infbench/params.hpp"
#include "infbench/runner.hpp"

namespace infbench {

struct PlanPoint {
  std::string id;        // stable: hash of the point's definition
  std::string group_id;  // stable: hash of the load group's definition
  std::string model;     // zoo name (or the path given)
  std::string framework;
  std::filesystem::path model_file;
  Params params;  // batch_size included
  RunConfig config;
  std::string label() const;  // "resnet50 onnxruntime optimization=all batch 8 offline"
};

struct LoadGroup {
  std::string id;
  std::vector<PlanPoint> points;  // same model file, framework, settings, device
};

struct Plan {
  std::string name;
  std::filesystem::path path;
  std::string text;        // the YAML as read, stored with the run
  double timeout_s = 900;  // per load group (child process)
  // Largest number of points the plan may expand to (plan key max_points; 0 = no limit).
  std::uint64_t max_points = 20000;
  // A load group's worker whose resident memory exceeds this is killed and its point fails as
  // "out of memory" (plan key memory_limit_mib; default 3/4 of physical RAM; 0 = no limit).
  std::int64_t memory_limit_mib = 0;
  std::vector<LoadGroup> groups;
  std::size_t point_count() const;
};

// Reads and expands a plan. Every problem is an Error naming the file, line and field. `overrides`
// are "key=value" pairs applied on top of the file (e.g. "batch_sizes=[1,8]", "measure.repeat=3").
// 3/4 of this machine's physical memory in MiB (0 when /proc/meminfo cannot be read).
std::int64_t default_memory_limit_mib();

Plan load_plan(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});

}  // namespace infbench
