// The only place where errors become exit codes.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.hpp"
#include "infbench/error.hpp"

namespace {

int exit_code(infbench::ErrorKind kind) {
  switch (kind) {
    case infbench::ErrorKind::invalid_argument: return 2;
    case infbench::ErrorKind::not_found: return 3;
    case infbench::ErrorKind::unsupported: return 4;
    case infbench::ErrorKind::io: return 5;
    case infbench::ErrorKind::framework: return 6;
    case infbench::ErrorKind::interrupted: return 130;
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"infbench: benchmark deep-learning inference frameworks through one API"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(INFBENCH_VERSION));
  infbench::cli::add_info_command(app);
  infbench::cli::add_predict_command(app);
  infbench::cli::add_bench_command(app);
  infbench::cli::add_ensemble_command(app);
  infbench::cli::add_sweep_commands(app);
  infbench::cli::add_report_commands(app);
  infbench::cli::add_tune_command(app);
  // Usage errors in one line, like every other error.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("infbench: error: ") + e.what() + " (see --help)\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's own codes (104 for a value that does not convert, 105-111 for others) become the
    // documented 2 (invalid argument); --help and --version stay 0.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const infbench::Error& e) {
    fmt::print(stderr, "infbench: error: {}\n", e.what());
    return exit_code(e.kind());
  } catch (const std::exception& e) {
    fmt::print(stderr, "infbench: unexpected error: {}\n", e.what());
    return 70;
  }
  return 0;
}
