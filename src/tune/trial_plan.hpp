#pragma once
// Trials are sweep points: each (configuration, batch sizes, rung) is written as a plan in the
// configs format (docs/sweeps.md) and expanded by the sweep's own parser, so a trial's point id is
// the one `infbench sweep` gives the same plan, and the winner's plan file reproduces its point.
#include <filesystem>
#include <string>
#include <vector>

#include "space.hpp"
#include "sweep/plan.hpp"

namespace infbench::tune {

// One round of successive halving: how long each trial is measured.
struct Rung {
  int index = 0;
  double min_duration_s = 1;
  int repeat = 1;
  std::int64_t min_queries = 3;
  double warmup_s = 0.5;
  double idle_power_s = 0;
};

struct PlanContext {
  std::string name, model;
  std::filesystem::path models_dir;  // as given: it is part of every model file path (point ids)
  int device = -1;
  double timeout_s = 600;
  // Where adapters with a compiled-model cache keep it, so that a configuration measured again at
  // a later rung loads from the cache (XLA compiles take seconds on a GPU). Empty: none.
  std::filesystem::path cache_dir;
};

std::string plan_yaml(const PlanContext& context, const Combo& combo,
                      const std::vector<int>& batch_sizes, const Rung& rung);

// The load groups of that plan (the sweep's expansion: one per model file).
std::vector<LoadGroup> trial_groups(const PlanContext& context, const Combo& combo,
                                    const std::vector<int>& batch_sizes, const Rung& rung);

}  // namespace infbench::tune
