#include "html_report.hpp"

#include <fstream>

#include "core/atomic_file.hpp"
#include "infbench/error.hpp"

#include "core/json_text.hpp"
#include "report_assets.hpp"  // generated: kChartJs, kReportJs

namespace infbench {
namespace {

// JSON inside a <script> element. The HTML parser ends the element at any "</script" and changes
// state at "<!--", whatever JSON thinks is a string, so no '<' may appear literally ("\u003c",
// which JSON.parse and JavaScript read back as '<'); '>' and '&' likewise, for parsers that
// treat them specially. U+2028/U+2029 are valid in JSON strings but were line terminators in
// JavaScript string literals before ES2019. JSON has no '<', '>', '&' outside strings, so every
// occurrence can be replaced.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";  // UTF-8 E2 80 A8 / A9
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1200px; color: #222; }
h1 { margin-bottom: 0.2rem; } .note { color: #555; margin-top: 0; } .gate-fail { color: #b00020; font-weight: bold; }
section { margin: 2rem 0; } .chart { position: relative; height: 340px; margin: 1rem 0; }
table { border-collapse: collapse; font-size: 0.85rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
)";

}  // namespace

std::filesystem::path write_html_report(ResultStore& store, std::optional<std::int64_t> run,
                                        const std::filesystem::path& out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw Error(ErrorKind::io, "--out " + out_dir.string() + ": " + ec.message());
  nlohmann::json runs = store.run_rows();
  if (run) {
    nlohmann::json only = nlohmann::json::array();
    for (const auto& r : runs) {
      if (r.at("run_id") == *run) only.push_back(r);
    }
    if (only.empty())
      throw Error(ErrorKind::not_found,
                  "--run " + std::to_string(*run) + ": no such run in the database");
    runs = only;
  }
  nlohmann::json studies = nlohmann::json::array();
  for (const auto& study : store.study_rows(run)) {
    for (const auto& r : runs) {
      if (r.at("run_id") == study.at("run_id")) studies.push_back(study);
    }
  }
  const nlohmann::json data = {{"runs", runs},
                               {"hosts", store.host_rows(run)},
                               {"points", store.point_rows(run)},
                               {"studies", studies}};
  // Invalid UTF-8 in a stored string (a model path, a framework message) is shown as U+FFFD
  // instead of failing the whole report.
  write_file_atomically(out_dir / "data.json", json_text(data, 1));
  std::string html =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>infbench report</title><style>";
  html += kStyle;
  html += "</style></head><body>\n<h1>infbench report</h1>\n<p class=\"note\">";
  html += std::to_string(data["points"].size()) + " points from " + std::to_string(runs.size()) +
          " run(s). Metric definitions: docs/metrics.md. Raw data: data.json.</p>\n<div "
          "id=\"content\"></div>\n";
  html += "<script>/* Chart.js (MIT), inlined so the page works offline */\n";
  html += kChartJs;
  html += "\n</script>\n<script>window.INFBENCH = ";
  html += script_safe(json_text(data));
  html += ";</script>\n<script>\n";
  html += kReportJs;
  html += "\n</script>\n</body></html>\n";
  const auto page = out_dir / "index.html";
  write_file_atomically(page, html);
  return page;
}

}  // namespace infbench
