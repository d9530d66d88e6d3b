#pragma once
// `infbench tune`'s search: successive halving over the candidate space. Rung 0 measures every
// candidate briefly (a framework x precision whose smallest-batch probe fails, or fails the
// accuracy gate, is pruned first); each later rung re-measures the best third longer, with
// repeats, until one is left, the rungs are spent or the time budget is. Every trial is a sweep
// point run in a worker process (a crash fails the trial, not the tune) and stored in the results
// database under one run labelled tune-<model>-<device>-<objective>; --resume reuses stored trials.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "objective.hpp"
#include "space.hpp"
#include "trial_plan.hpp"

namespace infbench::tune {

struct TuneRequest {
  SpaceRequest space;
  Objective objective;
  double budget_s = 1200;
  std::filesystem::path db = "tune.db";
  bool resume = false;
  double short_s = 1;  // rung 0's min_duration_s; rung r measures short_s x 3^r, 3 repeats
  double warmup_s = 0.5;
  int rungs = 3;
  double trial_timeout_s = 600;  // per load group, as a plan's timeout_s
};

struct CandidateResult {
  std::size_t combo = 0;  // index into Space::combos
  int batch_size = 0;
  int rung = -1;                // highest rung measured (-1: never)
  std::optional<Trial> latest;  // the trial of that rung
  std::string excluded;         // why it cannot be chosen ("" when it can)
};

struct TuneOutcome {
  std::string label;  // the run's plan name
  std::int64_t run = 0;
  Space space;
  PlanContext context;
  std::vector<Rung> rungs;
  std::vector<CandidateResult> candidates;
  std::optional<std::size_t> winner;  // index into candidates
  std::vector<std::string> pruned;    // "xla bf16: probe at batch 1 failed: ..."
  std::size_t trials_run = 0, trials_reused = 0, trials_not_run_budget = 0;
  bool budget_exhausted = false, interrupted = false;
  double elapsed_s = 0;
};

TuneOutcome run_tune(const TuneRequest& request);

}  // namespace infbench::tune
