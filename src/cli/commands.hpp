#pragma once
// Each command adds its subcommand (options and callback) to the CLI application.
#include <CLI/CLI.hpp>

namespace infbench::cli {

void add_info_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_ensemble_command(CLI::App& app);
void add_sweep_commands(CLI::App& app);
void add_report_commands(CLI::App& app);
void add_tune_command(CLI::App& app);

}  // namespace infbench::cli
