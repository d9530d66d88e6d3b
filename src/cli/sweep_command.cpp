// `infbench sweep PLAN`: run (or --dry-run, or --resume) a plan into a results database.
// `infbench export DB`: CSV or JSON Lines of every point with its metrics, or (--studies) of every
// study (src/store/export.hpp).
#include <fmt/core.h>

#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "core/atomic_file.hpp"
#include "store/database.hpp"
#include "store/export.hpp"
#include "sweep/mpi_sweep.hpp"
#include "sweep/schedule.hpp"
#include "sweep/sweep.hpp"

namespace infbench::cli {

void add_sweep_commands(CLI::App& app) {
  struct SweepArgs {
    std::string plan, db = "results.db";
    std::vector<std::string> overrides;
    bool resume = false, dry_run = false, retry_failed = false;
  };
  auto a = std::make_shared<SweepArgs>();
  auto* sweep =
      app.add_subcommand("sweep", "Run a plan (models x frameworks x settings x batch sizes)");
  sweep->add_option("plan", a->plan, "Plan file (YAML), e.g. configs/paper-cpu.yaml")->required();
  sweep->add_option("--db", a->db, "SQLite results database")->capture_default_str();
  sweep->add_option("--set", a->overrides,
                    "Override a plan field, e.g. batch_sizes=[1,8] or measure.repeat=3");
  sweep->add_flag("--resume", a->resume,
                  "Continue the latest run of this plan in --db, running only what is missing");
  sweep->add_flag("--retry-failed", a->retry_failed,
                  "With --resume: measure again the points stored as failed (e.g. those of an MPI "
                  "rank that died)");
  sweep->add_flag("--dry-run", a->dry_run,
                  "List the points and an estimated duration, run nothing");
  sweep->callback([a] {
    if (const auto problem = srun_without_mpi_problem(); !problem.empty())
      throw infbench::Error(infbench::ErrorKind::invalid_argument, problem);
    if (a->retry_failed && !a->resume)
      throw infbench::Error(infbench::ErrorKind::invalid_argument,
                            "--retry-failed re-measures the failed points of a run: give --resume "
                            "too");
    const auto plan = load_plan(a->plan, a->overrides);
    const SweepOptions options{a->db, a->resume, a->dry_run, a->retry_failed};
    const int code = launched_by_mpi() ? run_mpi_sweep(plan, options) : run_sweep(plan, options);
    if (code == 130)
      throw infbench::Error(infbench::ErrorKind::interrupted,
                            "sweep interrupted; stored points are kept (--resume)");
  });

  auto* worker = app.add_subcommand("sweep-worker", "");  // internal: one load group of a sweep
  worker->group("");
  worker->callback([] { run_sweep_worker(); });

  struct ExportArgs {
    std::string db, format = "csv", out;
    std::int64_t run = 0;
    bool studies = false;
  };
  auto e = std::make_shared<ExportArgs>();
  auto* exp = app.add_subcommand("export", "Export a results database as CSV or JSON Lines");
  exp->add_option("db", e->db, "SQLite results database")->required()->check(CLI::ExistingFile);
  exp->add_option("--format", e->format, "csv | jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  exp->add_option("--run", e->run, "Only this run (default: all runs)");
  exp->add_option("--out", e->out, "Output file (default: standard output)");
  exp->add_flag("--studies", e->studies,
                "Export the studies (e.g. `infbench ensemble`'s summaries) instead of the points");
  exp->callback([e] {
    ResultStore store(e->db, StoreAccess::read_only);
    const auto run = e->run > 0 ? std::optional<std::int64_t>(e->run) : std::nullopt;
    const auto rows = e->studies ? study_export_rows(store, e->db, run, e->format == "csv")
                                 : nlohmann::ordered_json(store.point_rows(run));
    if (e->out.empty()) {
      write_rows(rows, e->format, std::cout);
      return;
    }
    try {
      write_file_atomically(e->out, [&](std::ostream& out) { write_rows(rows, e->format, out); });
    } catch (const Error& error) {
      throw Error(ErrorKind::io, "--out " + std::string(error.what()));
    }
    fmt::print(stderr, "wrote {} rows to {}\n", rows.size(), e->out);
  });
}

}  // namespace infbench::cli
