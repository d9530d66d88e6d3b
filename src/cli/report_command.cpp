// `infbench report DB --out DIR` and `infbench compare DB --baseline RUN --candidate RUN`.
#include <fmt/core.h>

#include <map>
#include <optional>

#include "infbench/error.hpp"

#include "commands.hpp"
#include "core/stats.hpp"
#include "report/html_report.hpp"
#include "report/markdown_report.hpp"
#include "store/database.hpp"

namespace infbench::cli {
namespace {

struct Comparison {
  double ratio = 0;
  std::optional<Interval> ci;
  std::string verdict;
};

// Ratio of mean throughputs (candidate / baseline) with a percentile-bootstrap 95 % interval from
// the repeats of both sides; a verdict only when the interval excludes 1.
Comparison compare_throughput(const std::vector<double>& base, const std::vector<double>& cand,
                              std::uint64_t seed) {
  Comparison c;
  c.ratio = mean(cand) / mean(base);
  if (base.size() < 2 || cand.size() < 2) {
    c.verdict = "no interval (needs >= 2 repeats per side: measure.repeat)";
    return c;
  }
  c.ci = bootstrap_ratio_ci(cand, base, seed);
  c.verdict = c.ci->low > 1 ? "faster" : c.ci->high < 1 ? "slower" : "no significant difference";
  return c;
}

}  // namespace

void add_report_commands(CLI::App& app) {
  struct ReportArgs {
    std::string db, out = "report";
    std::int64_t run = 0;
    bool markdown = false;
  };
  auto r = std::make_shared<ReportArgs>();
  auto* report = app.add_subcommand(
      "report", "Write a self-contained HTML report with plots from a results database");
  report->add_option("db", r->db, "SQLite results database")->required()->check(CLI::ExistingFile);
  report->add_option("--out", r->out, "Output directory")->capture_default_str();
  report->add_option("--run", r->run, "Only this run (default: all runs)");
  report->add_flag("--markdown", r->markdown,
                   "Print a markdown summary (tables of the points) to stdout instead of HTML");
  report->callback([r] {
    ResultStore store(r->db, StoreAccess::read_only);
    const auto run = r->run > 0 ? std::optional<std::int64_t>(r->run) : std::nullopt;
    if (r->markdown) {
      fmt::print("{}",
                 markdown_report(store, run, std::filesystem::path(r->db).filename().string()));
      return;
    }
    const auto page = write_html_report(
        store, r->run > 0 ? std::optional<std::int64_t>(r->run) : std::nullopt, r->out);
    fmt::print("wrote {}\n", page.string());
  });

  struct CompareArgs {
    std::string db, candidate_db;
    std::int64_t baseline = 0, candidate = 0;
  };
  auto c = std::make_shared<CompareArgs>();
  auto* compare = app.add_subcommand(
      "compare", "Per-point throughput ratio of two runs, with 95% intervals and verdicts");
  compare->add_option("db", c->db, "SQLite results database")->required()->check(CLI::ExistingFile);
  compare->add_option("--baseline", c->baseline, "Run id of the baseline")->required();
  compare->add_option("--candidate", c->candidate, "Run id of the candidate")->required();
  compare
      ->add_option("--candidate-db", c->candidate_db,
                   "The candidate run is in this database (two runs of one plan elsewhere)")
      ->check(CLI::ExistingFile);
  compare->callback([c] {
    ResultStore store(c->db, StoreAccess::read_only);
    std::optional<ResultStore> other;
    if (!c->candidate_db.empty()) other.emplace(c->candidate_db, StoreAccess::read_only);
    ResultStore& cand_store = other ? *other : store;
    std::map<std::string, nlohmann::json> base;
    for (const auto& row : store.point_rows(c->baseline)) {
      if (row.at("status") == "ok") base[row.at("point_id")] = row;
    }
    if (base.empty())
      throw infbench::Error(
          infbench::ErrorKind::not_found,
          "--baseline " + std::to_string(c->baseline) + ": no successful points in that run");
    int matched = 0;
    std::map<std::string, int> verdicts;
    fmt::print("{:<60} {:>12} {:>12} {:>8} {:>20}  {}\n", "point", "baseline s/s", "candidate s/s",
               "ratio", "95% CI", "verdict");
    for (const auto& row : cand_store.point_rows(c->candidate)) {
      const auto it = base.find(row.at("point_id"));
      if (it == base.end() || row.at("status") != "ok") continue;
      ++matched;
      auto b = store.repeat_throughputs(c->baseline, it->first);
      auto k = cand_store.repeat_throughputs(c->candidate, it->first);
      if (b.empty()) b = {it->second.at("throughput_samples_per_s").get<double>()};
      if (k.empty()) k = {row.at("throughput_samples_per_s").get<double>()};
      const auto result = compare_throughput(b, k, 42);
      ++verdicts[result.verdict];
      fmt::print("{:<60} {:>12.2f} {:>12.2f} {:>8.3f} {:>20}  {}\n",
                 row.at("label").get<std::string>().substr(0, 60), mean(b), mean(k), result.ratio,
                 result.ci ? fmt::format("[{:.3f}, {:.3f}]", result.ci->low, result.ci->high) : "-",
                 result.verdict);
    }
    if (matched == 0)
      throw infbench::Error(infbench::ErrorKind::not_found,
                            "no point of run " + std::to_string(c->candidate) + " matches run " +
                                std::to_string(c->baseline) + " (same plan point ids needed)");
    std::string summary;
    for (const auto& [v, n] : verdicts)
      summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, v);
    const int moved = verdicts["faster"] + verdicts["slower"];
    fmt::print("{} matched points: {}; {} moved beyond their 95% intervals\n", matched, summary,
               moved);
  });
}

}  // namespace infbench::cli
