#include "markdown_report.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/json_text.hpp"
#include "core/phase_summary.hpp"  // throttle_reason_names

namespace infbench {
namespace {

// A table cell: no pipes or line breaks can escape it.
std::string cell(std::string text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out.empty() ? "-" : out;
}

std::optional<double> number(const nlohmann::json& row, const char* key) {
  if (!row.contains(key) || !row[key].is_number()) return std::nullopt;
  return row[key].get<double>();
}

std::string text(const nlohmann::json& row, const char* key) {
  if (!row.contains(key) || row[key].is_null()) return {};
  return row[key].is_string() ? row[key].get<std::string>() : json_text(row[key]);
}

// Digits that the figure's size warrants: 12,345 / 123.4 / 1.23.
std::string rate(std::optional<double> v) {
  if (!v) return "-";
  if (*v >= 100) {
    std::string digits = fmt::format("{:.0f}", *v), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  }
  return *v >= 10 ? fmt::format("{:.1f}", *v) : fmt::format("{:.2f}", *v);
}

std::string percent(std::optional<double> v) { return v ? fmt::format("{:.1f} %", 100 * *v) : "-"; }

std::string settings_of(const nlohmann::json& row) {
  std::string out;
  try {
    // A plan point's framework options; an ensemble study's points record their mode and role.
    const auto requested = nlohmann::json::parse(text(row, "requested_json"));
    const auto& settings =
        requested.contains("params") ? requested.at("params").at("options") : requested;
    for (const auto& [k, v] : settings.items()) {
      if (v.is_structured()) continue;
      out += (out.empty() ? "" : " ") + k + "=" +
             (v.is_string() ? v.get<std::string>() : json_text(v));
    }
  } catch (const nlohmann::json::exception&) {
  }
  const auto scenario = text(row, "scenario");
  if (!scenario.empty() && scenario != "offline") out += (out.empty() ? "" : " ") + scenario;
  return out;
}

std::string throttle_of(const nlohmann::json& row) {
  std::string names = text(row, "gpu_throttle_summary");
  if (names.empty()) {
    const auto mask = number(row, "gpu_throttle_reasons");
    if (!mask) return "-";
    names = throttle_reason_names(static_cast<unsigned long long>(*mask));
  }
  if (const auto capped = number(row, "gpu_power_capped_fraction")) {
    names += fmt::format(" (power cap {:.0f} %)", 100 * *capped);
  }
  return names;
}

std::string stable_of(const nlohmann::json& row) {
  const auto stable = number(row, "stable");
  return !stable ? "not assessed" : *stable != 0 ? "yes" : "no";
}

std::string joined(const std::set<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!v.empty()) out += (out.empty() ? "" : ", ") + v;
  }
  return out.empty() ? "not recorded" : out;
}

// An ensemble study's points (members alone, the ensemble in each mode) are not alternatives to
// choose between: they record a role where plan points record their parameters.
bool ensemble_study_point(const nlohmann::json& row) {
  try {
    const auto requested = nlohmann::json::parse(text(row, "requested_json"));
    return requested.is_object() && requested.contains("role") && !requested.contains("params");
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

bool gate_failed(const nlohmann::json& row) {
  return text(row, "accuracy_gate").rfind("fail", 0) == 0;
}

// Per model and batch size, each framework at its fastest offline setting, the winner and its
// margins, among the points that pass their accuracy gate (docs/metrics.md "Accuracy"); the
// points left out are listed below the table.
std::string winners_table(const std::vector<nlohmann::json>& rows) {
  struct Best {
    double rate = 0;
    std::string name;
  };
  std::map<std::pair<std::string, double>, std::map<std::string, Best>> best;
  std::vector<std::string> left_out;
  std::map<std::pair<std::string, double>, int> candidates;  // offline points per model and batch
  for (const auto& p : rows) {
    const auto rate_of = number(p, "throughput_samples_per_s");
    const auto scenario = text(p, "scenario");
    if (text(p, "status") != "ok" || !rate_of || *rate_of <= 0 || ensemble_study_point(p) ||
        (!scenario.empty() && scenario != "offline")) {
      continue;
    }
    const auto framework = text(p, "framework"), precision = text(p, "precision");
    std::string name = framework;
    if (!precision.empty() && precision != "fp32") name += " " + precision;
    if (const auto settings = settings_of(p); !settings.empty()) name += " " + settings;
    const auto batch = number(p, "batch_size").value_or(0);
    ++candidates[{text(p, "model_name"), batch}];
    if (gate_failed(p)) {
      left_out.push_back(fmt::format("{} b{} {}: {}", text(p, "model_name"), batch, name,
                                     text(p, "accuracy_gate")));
      continue;
    }
    auto& slot = best[{text(p, "model_name"), batch}][framework];  // rate > 0: never left empty
    if (*rate_of > slot.rate) slot = {*rate_of, name};
  }
  // Nothing to choose from (one point per model and batch size): no table.
  if (std::none_of(candidates.begin(), candidates.end(),
                   [](const auto& c) { return c.second > 1; })) {
    return {};
  }
  std::string out =
      "\nFastest framework per model and batch size (offline throughput, each framework at its "
      "fastest setting, among points that do not fail their accuracy gate):\n\n"
      "| model | batch | winner (samples/s) | × next | × slowest | all frameworks at their best "
      "setting |\n|---|---|---|---|---|---|\n";
  for (const auto& [key, frameworks] : best) {
    std::vector<std::pair<std::string, Best>> ranked(frameworks.begin(), frameworks.end());
    std::sort(ranked.begin(), ranked.end(),
              [](const auto& a, const auto& b) { return a.second.rate > b.second.rate; });
    std::string everyone;
    for (const auto& [framework, b] : ranked) {
      everyone += (everyone.empty() ? "" : ", ") + framework + " " + rate(b.rate);
    }
    const auto& top = ranked.front().second;
    const auto margin = [&](const auto& other) {
      return fmt::format("{:.2f}× ({})", top.rate / other.second.rate, other.first);
    };
    out += fmt::format("| {} | {} | {}: {} | {} | {} | {} |\n", cell(key.first), key.second,
                       cell(top.name), rate(top.rate),
                       ranked.size() < 2 ? "(only one framework)" : margin(ranked[1]),
                       ranked.size() < 2 ? "" : margin(ranked.back()), cell(everyone));
  }
  if (!left_out.empty()) {
    out += fmt::format("\nLeft out: {} point(s) outside their precision's accuracy gate:\n\n",
                       left_out.size());
    for (const auto& line : left_out) out += "- " + cell(line) + "\n";
  }
  return out;
}

}  // namespace

std::string markdown_report(ResultStore& store, std::optional<std::int64_t> run,
                            const std::string& db_name) {
  const auto points = store.point_rows(run);
  std::map<std::int64_t, std::vector<nlohmann::json>> by_run;
  for (const auto& p : points) by_run[p.at("run_id").get<std::int64_t>()].push_back(p);
  std::string out = fmt::format(
      "<!-- generated by `infbench report --markdown {}`{}: edit the database, not this table "
      "-->\n",
      db_name, run ? fmt::format(" --run {}", *run) : "");
  for (const auto& r : store.run_rows()) {
    const auto id = r.at("run_id").get<std::int64_t>();
    if (!by_run.contains(id)) continue;
    auto& rows = by_run[id];
    nlohmann::json env = nlohmann::json::object();
    try {
      env = nlohmann::json::parse(text(r, "environment_json"));
    } catch (const nlohmann::json::exception&) {
    }
    std::set<std::string> devices, hosts, commits;
    bool gate = false;
    for (const auto& p : rows) {
      devices.insert(text(p, "device_name"));
      hosts.insert(text(p, "host"));
      commits.insert(text(p, "commit"));
      gate = gate || p.contains("accuracy_gate");
    }
    // Rows stored before the record carried provenance: the run's environment has it.
    if (joined(devices) == "not recorded") {
      devices.insert(env.value("gpu0_name", env.value("cpu_model", std::string())));
    }
    if (joined(commits) == "not recorded") commits.insert(env.value("git_commit", std::string()));
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return std::make_tuple(text(a, "model_name"), text(a, "framework"), text(a, "precision"),
                             settings_of(a), number(a, "batch_size").value_or(0)) <
             std::make_tuple(text(b, "model_name"), text(b, "framework"), text(b, "precision"),
                             settings_of(b), number(b, "batch_size").value_or(0));
    });
    int ok = 0;
    for (const auto& p : rows) ok += text(p, "status") == "ok" ? 1 : 0;
    out += fmt::format(
        "\n### Run {} of `{}`: plan {}, {} points ({} ok), status {}\n\nDevice: {}. Host: {}. "
        "Commit: {}.\n\n",
        id, db_name, cell(text(r, "plan_name")), rows.size(), ok, cell(text(r, "status")),
        cell(joined(devices)), cell(joined(hosts)), cell(joined(commits)));
    out +=
        "| model | framework | precision | settings | batch | samples/s | 95% CI | CV | stable | "
        "p99 ms | TFLOP/s | of peak | of copy bound |" +
        std::string(gate ? " accuracy gate |" : "") + " throttle | status |\n";
    out += "|---|---|---|---|---|---|---|---|---|---|---|---|---|" +
           std::string(gate ? "---|" : "") + "---|---|\n";
    for (const auto& p : rows) {
      const auto low = number(p, "throughput_ci95_low"), high = number(p, "throughput_ci95_high");
      const auto p99 = number(p, "latency_p99_ms");
      const auto cv = number(p, "throughput_cv");
      const auto tflops = number(p, "achieved_tflops");
      std::string status = text(p, "status");
      if (status != "ok") status += ": " + text(p, "error_phase") + ": " + text(p, "error");
      out += fmt::format(
          "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |{} {} | {} |\n",
          cell(text(p, "model_name")), cell(text(p, "framework")), cell(text(p, "precision")),
          cell(settings_of(p)), text(p, "batch_size"), rate(number(p, "throughput_samples_per_s")),
          low && high ? rate(low) + "-" + rate(high) : "-", cv ? fmt::format("{:.4f}", *cv) : "-",
          stable_of(p), p99 ? fmt::format("{:.2f}", *p99) : "-",
          tflops ? fmt::format("{:.3g}", *tflops) : "-", percent(number(p, "peak_compute_share")),
          percent(number(p, "copy_bound_share")),
          gate ? " " + cell(text(p, "accuracy_gate")) + " |" : "", cell(throttle_of(p)),
          cell(status));
    }
    out += winners_table(rows);
  }
  if (by_run.empty())
    out += "\nNo points in this database" + std::string(run ? " run." : ".") + "\n";
  return out;
}

}  // namespace infbench
