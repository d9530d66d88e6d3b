// `infbench ensemble SPEC`: the ensemble study (include/infbench/ensemble_study.hpp) with a table
// on stdout, the summary as JSON, and every run plus the summary in a results database that
// `infbench report` turns into plots.
#include <fmt/core.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "core/json_text.hpp"
#include "infbench/ensemble_study.hpp"
#include "infbench/environment.hpp"
#include "infbench/registry.hpp"
#include "interrupt.hpp"
#include "output_files.hpp"
#include "store/database.hpp"

namespace infbench::cli {
namespace {

struct EnsembleCommandOptions {
  std::string spec, db, json, markdown;
  std::vector<int> batch_sizes = {1, 8, 32};
  std::vector<std::string> modes = {"sequential", "concurrent", "pipelined"};
  std::vector<std::string> inputs;
  std::string labels, placement;
  bool no_interference = false, no_members = false;
  EnsembleStudyConfig config;
};

void store_study(const std::string& db, const std::filesystem::path& spec_path,
                 const EnsembleStudy& study, const nlohmann::json& summary) {
  ResultStore store(db);
  std::ifstream in(spec_path);
  std::stringstream text;
  text << in.rdbuf();
  const auto run = store.begin_run("ensemble:" + study.spec.name, spec_path, text.str(),
                                   collect_environment(framework_versions()));
  for (const auto& r : study.runs) {
    PointIdentity id;
    id.point_id = r.role + ":" + r.mode + ":b" + std::to_string(r.batch_size);
    id.group_id = r.role + ":" + r.mode;
    id.label = (r.role == "ensemble" ? study.spec.name + " " + r.mode : r.mode + " alone") +
               " batch " + std::to_string(r.batch_size);
    id.model = r.role == "ensemble" ? study.spec.name : r.mode;
    id.framework = r.result.record.framework;
    id.model_file = r.result.record.model;
    id.scenario = r.result.record.scenario;
    id.batch_size = r.batch_size;
    id.device = r.result.record.device;
    id.requested = {{"role", r.role}, {"mode", r.mode}};
    store.add_point(run, id, r.result);
  }
  store.add_study(run, "ensemble", study.spec.name, summary);
  store.end_run(run, "done");
}

void run(EnsembleCommandOptions o) {
  auto& c = o.config;
  c.batch_sizes = o.batch_sizes;
  c.modes.clear();
  for (const auto& m : o.modes) {
    const auto mode = parse_ensemble_mode(m);
    if (mode == EnsembleMode::automatic) {
      throw Error(ErrorKind::invalid_argument,
                  "--modes: list the modes to compare (sequential, concurrent, pipelined); auto "
                  "picks one of them");
    }
    c.modes.push_back(mode);
  }
  for (const auto b : o.batch_sizes) {
    if (b < 1) throw Error(ErrorKind::invalid_argument, "--batch-sizes: sizes must be >= 1");
  }
  for (const auto& f : o.inputs) c.run.input_files.emplace_back(f);
  if (!o.labels.empty() && o.inputs.empty()) {
    throw Error(ErrorKind::invalid_argument,
                "--labels " + o.labels + ": give the labelled samples with --input x.npy");
  }
  c.labels = o.labels;
  c.interference = !o.no_interference;
  c.members_alone = !o.no_members;
  if (!o.placement.empty()) c.placement = parse_placement(o.placement, "--placement");
  check_writable("--json", o.json);
  check_writable("--markdown", o.markdown);
  check_writable("--db", o.db);
  load_ensemble_spec(o.spec);  // a bad spec fails before any measurement
  const auto study = [&] {
    InterruptHandler ctrl_c;  // Ctrl-C: the runs so far are still printed and stored
    return run_ensemble_study(o.spec, c,
                              [](const std::string& line) { fmt::print(stderr, "{}\n", line); });
  }();
  const auto table = ensemble_study_table(study);
  fmt::print("{}", table);
  const auto summary = nlohmann::json::parse(study.summary_json);
  if (!o.json.empty()) write_atomically("--json", o.json, json_text(summary, 1) + "\n");
  if (!o.markdown.empty()) write_atomically("--markdown", o.markdown, table);
  if (!o.db.empty()) {
    store_study(o.db, o.spec, study, summary);
    fmt::print("stored in {} (infbench report {} --out DIR)\n", o.db, o.db);
  }
  if (summary.value("interrupted", false)) {
    throw Error(ErrorKind::interrupted, "interrupted: the tables above cover what was measured");
  }
}

}  // namespace

void add_ensemble_command(CLI::App& app) {
  auto o = std::make_shared<EnsembleCommandOptions>();
  auto* cmd = app.add_subcommand(
      "ensemble",
      "Ensemble study: modes x batch sizes, members alone, interference matrix, accuracy");
  cmd->add_option("spec", o->spec, "Ensemble spec (.yaml, docs/ensembles.md)")->required();
  cmd->add_option("--batch-sizes", o->batch_sizes, "Batch sizes")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--modes", o->modes, "Modes compared")->delimiter(',')->capture_default_str();
  cmd->add_option("--threads", o->config.threads,
                  "Thread budget of the whole ensemble (0 = all CPUs)")
      ->capture_default_str();
  auto& r = o->config.run;
  r.min_duration_s = 5;
  r.warmup_s = 1;
  r.min_queries = 5;
  cmd->add_option("--min-duration-s", r.min_duration_s, "Measured phase of each run")
      ->capture_default_str();
  cmd->add_option("--min-queries", r.min_queries, "...and at least this many queries")
      ->capture_default_str();
  cmd->add_option("--warmup-s", r.warmup_s, "Warm-up of each run")->capture_default_str();
  cmd->add_option("--repeat", r.repeat, "Measured phases per run")->capture_default_str();
  cmd->add_option("--interference-s", o->config.interference_duration_s,
                  "Seconds per co-location measurement")
      ->capture_default_str();
  cmd->add_flag("--no-interference", o->no_interference, "Skip the interference matrix");
  cmd->add_option("--placement", o->placement,
                  "Devices the members run on in turn, e.g. 0,1 (member i on GPU i mod 2) or 0 "
                  "(all on GPU 0), replacing their settings.device; the study is named "
                  "SPEC@0,1");
  cmd->add_flag("--no-members", o->no_members, "Skip the members-alone runs");
  cmd->add_option("--input", o->inputs, "Sample pool .npy (one per input); real data");
  cmd->add_option("--labels", o->labels, "Labels .npy for --input: top-1 of members and ensemble");
  cmd->add_option("--db", o->db, "Results database (SQLite) to add the study to");
  cmd->add_option("--json", o->json, "Write the study's summary as JSON");
  cmd->add_option("--markdown", o->markdown, "Write the tables as Markdown");
  cmd->callback([o] { run(*o); });
}

}  // namespace infbench::cli
