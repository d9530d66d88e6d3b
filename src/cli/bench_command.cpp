// `infbench bench`: one benchmark run with the measurement engine; readable summary on stdout,
// the full record (with raw latencies and the environment) as JSON with --json.
#include <fmt/core.h>

#include "commands.hpp"
#include "infbench/ensemble_study.hpp"
#include "infbench/report.hpp"
#include "infbench/runner.hpp"
#include "interrupt.hpp"
#include "model_options.hpp"
#include "output_files.hpp"

namespace infbench::cli {
namespace {

struct BenchOptions {
  ModelOptions m;
  std::string scenario = "offline", json;
  RunConfig config;
  std::vector<std::string> inputs, input_shapes;
  std::string labels;
  bool no_overlap = false;
};

Shape parse_shape(const std::string& text) {
  Shape shape;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto x = text.find('x', pos);
    const std::string part = text.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    try {
      std::size_t used = 0;
      const long long d = std::stoll(part, &used);
      if (used != part.size() || d < 1) throw std::invalid_argument(part);
      shape.push_back(d);
    } catch (const std::exception&) {
      throw Error(ErrorKind::invalid_argument,
                  "--input-shape '" + text + "' is not of the form 3x224x224 (positive sizes)");
    }
    if (x == std::string::npos) break;
    pos = x + 1;
  }
  return shape;
}

void run(BenchOptions o) {
  const Params params = o.m.to_params();
  o.config.scenario = parse_scenario(o.scenario);
  o.config.overlap = !o.no_overlap;
  for (const auto& f : o.inputs) o.config.input_files.emplace_back(f);
  for (const auto& s : o.input_shapes) o.config.sample_shapes.push_back(parse_shape(s));
  check_writable("--json", o.json);
  if (!o.labels.empty() && o.inputs.empty()) {
    throw Error(ErrorKind::invalid_argument,
                "--labels " + o.labels + ": give the labelled samples with --input x.npy");
  }
  const RunResult result = [&] {
    InterruptHandler ctrl_c;
    return run_benchmark(o.m.framework, o.m.model, params, o.config);
  }();
  fmt::print("{}", console_summary(result));
  auto record = to_json(result);
  if (!o.labels.empty() && result.record.status == "ok") {
    // Accuracy over every labelled sample, after (and apart from) the timed run.
    std::vector<std::filesystem::path> files(o.inputs.begin(), o.inputs.end());
    for (const auto& a : measure_top1(o.m.framework, o.m.model, params, files, o.labels)) {
      fmt::print("  top-1       {:.4f} {} ({})\n", a.top1, a.name, o.labels);
      record["accuracy_top1"][a.name] = a.top1;
    }
  }
  if (!o.json.empty()) {
    write_atomically("--json", o.json, record.dump(1) + "\n");
    fmt::print("  record      {}\n", o.json);
  }
  if (result.record.status == "failed")
    throw Error(ErrorKind::framework,
                "run failed in " + result.record.error_phase + ": " + result.record.error);
  if (result.record.status == "interrupted")
    throw Error(ErrorKind::interrupted, "interrupted: the summary above covers what was measured");
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd =
      app.add_subcommand("bench", "Benchmark a model with one framework in a LoadGen scenario");
  o->m.add_to(*cmd, "Model file");
  cmd->add_option("--scenario", o->scenario, "offline | single-stream | multi-stream | server")
      ->capture_default_str();
  auto& c = o->config;
  cmd->add_option("--min-duration-s", c.min_duration_s, "Measured phase lasts at least this")
      ->capture_default_str();
  cmd->add_option("--min-queries", c.min_queries, "...and completes at least this many queries")
      ->capture_default_str();
  cmd->add_option("--max-duration-s", c.max_duration_s, "Hard stop of one measured phase")
      ->capture_default_str();
  cmd->add_option("--warmup-s", c.warmup_s, "Warm-up lasts at least this")->capture_default_str();
  cmd->add_option("--warmup-queries", c.warmup_queries, "...and at least this many queries")
      ->capture_default_str();
  cmd->add_option("--samples-per-query", c.samples_per_query, "multi-stream query size")
      ->capture_default_str();
  cmd->add_option("--target-qps", c.target_qps, "server: Poisson arrival rate");
  cmd->add_option("--latency-bound-ms", c.latency_bound_ms, "server: p99 bound for a VALID run");
  cmd->add_flag("--find-peak", c.find_peak, "server: search the highest QPS meeting the bound");
  cmd->add_option("--peak-step-s", c.peak_step_duration_s, "server --find-peak: seconds per step")
      ->capture_default_str();
  cmd->add_option("--repeat", c.repeat, "Measured phases (>= 2 gives 95% CIs)")
      ->capture_default_str();
  cmd->add_option("--seed", c.seed, "Seed of samples and arrivals")->capture_default_str();
  cmd->add_option("--pool-samples", c.pool_samples, "Random samples held in memory")
      ->capture_default_str();
  cmd->add_flag("--no-overlap", o->no_overlap, "Prepare batches and compute in turn (no pipeline)");
  cmd->add_option("--prep-us-per-sample", c.prep_us_per_sample,
                  "Synthetic preparation cost per sample");
  cmd->add_option("--idle-power-s", c.idle_power_s, "Idle baseline before measuring (power probes)")
      ->capture_default_str();
  cmd->add_option("--input", o->inputs, "Sample pool from .npy (one per model input, in order)");
  cmd->add_option("--input-shape", o->input_shapes, "Per-sample shape like 3x224x224 (per input)");
  cmd->add_option("--labels", o->labels,
                  "Labels .npy (one integer per --input sample): top-1 accuracy of the model, and "
                  "of each member for an ensemble");
  cmd->add_option("--json", o->json, "Write the full record as JSON");
  cmd->callback([o] { run(*o); });
}

}  // namespace infbench::cli
