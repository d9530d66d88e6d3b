// `infbench tune MODEL`: search frameworks x precisions x batch sizes x settings for the best
// configuration under an objective and a time budget (src/tune/search.hpp), print it with the
// Pareto fronts and the roofline gap, and write a plan that reproduces it.
#include <fmt/core.h>

#include <fstream>

#include "commands.hpp"
#include "infbench/error.hpp"
#include "tune/search.hpp"
#include "tune/summary.hpp"

namespace infbench::cli {

void add_tune_command(CLI::App& app) {
  struct TuneArgs {
    tune::TuneRequest request;
    std::string objective = "throughput", db = "tune.db", models_dir = "models", plan_out;
  };
  auto a = std::make_shared<TuneArgs>();
  auto& r = a->request;
  auto* tune = app.add_subcommand(
      "tune", "Search frameworks x precisions x batch sizes x settings for the best configuration");
  tune->add_option("model", r.space.model, "Zoo model name (models/manifest.json), e.g. resnet50")
      ->required();
  tune->add_option("--device", r.space.device, "-1 = CPU, k = GPU k")->capture_default_str();
  tune->add_option("--objective", a->objective,
                   "throughput | latency:P99_MS (most throughput with p99 <= P99_MS) | memory | "
                   "energy")
      ->capture_default_str();
  tune->add_option("--budget-s", r.budget_s, "Wall-clock budget of this invocation, seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  tune->add_option("--db", a->db, "SQLite results database (every trial is stored)")
      ->capture_default_str();
  tune->add_option("--models-dir", a->models_dir, "The model zoo")->capture_default_str();
  tune->add_option("--frameworks", r.space.frameworks,
                   "Frameworks to search (default: every one built in that runs on the device)")
      ->delimiter(',');
  tune->add_option("--precisions", r.space.precisions, "Precisions (default fp32,fp16)")
      ->delimiter(',');
  tune->add_option("--batch-sizes", r.space.batch_sizes,
                   "Batch sizes (default 1,32,64,128,256 on a GPU, 1,8,32,64 on the CPU)")
      ->delimiter(',');
  tune->add_option("--setting", r.space.setting_specs,
                   "FRAMEWORK.OPTION=V1,V2: search these values of an adapter option (replaces "
                   "the default axis of that option), e.g. xla.in_flight=1,2,4");
  tune->add_flag("--resume", r.resume,
                 "Continue the latest tune run of this model, device and objective in --db; "
                 "stored trials are not run again");
  tune->add_option("--plan-out", a->plan_out,
                   "Plan file (YAML) reproducing the winner (default: <db>.winner.yaml)");
  tune->add_option("--short-s", r.short_s, "Rung 0's measurement, seconds (rung r: x 3^r)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  tune->add_option("--warmup-s", r.warmup_s, "Warm-up of every trial, seconds")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  tune->add_option("--rungs", r.rungs, "Rounds of successive halving")
      ->check(CLI::Range(1, 6))
      ->capture_default_str();
  tune->add_option("--trial-timeout-s", r.trial_timeout_s,
                   "Limit of one configuration's worker process, seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  tune->callback([a] {
    auto request = a->request;
    request.objective = tune::parse_objective(a->objective);
    request.db = a->db;
    request.space.models_dir = a->models_dir;
    const auto outcome = tune::run_tune(request);
    tune::print_summary(outcome, request.objective, stdout);
    if (outcome.interrupted)
      throw Error(ErrorKind::interrupted, "tune interrupted; stored trials are kept (--resume)");
    if (!outcome.winner)
      throw Error(ErrorKind::not_found,
                  "tune " + outcome.label + ": no configuration met the objective (see above)");
    const std::string path = a->plan_out.empty() ? a->db + ".winner.yaml" : a->plan_out;
    std::ofstream out(path);
    out << tune::winner_plan(outcome);
    out.close();
    if (!out) throw Error(ErrorKind::io, "--plan-out " + path + ": write failed");
    fmt::print("plan: {} (infbench sweep {} --db FILE measures the same point)\n", path, path);
  });
}

}  // namespace infbench::cli
