#include "html_report.hpp"

#include <fstream>

#include "../core/atomic_file.hpp"
#include "infbench/error.hpp"

#include "report_assets.hpp"  // generated: kChartJs, kReportJs

namespace infbench {
namespace {

// JSON inside a <script> element: "</" must not appear literally.
std::string script_safe(std::string text) {
  for (std::size_t at = text.find("</"); at != std::string::npos; at = text.find("</", at + 2)) {
    text.replace(at, 2, "<\\/");
  }
  return text;
}

constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1200px; color: #222; }
h1 { margin-bottom: 0.2rem; } .note { color: #555; margin-top: 0; }
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
  write_file_atomically(out_dir / "data.json", data.dump(1));
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
  html += script_safe(data.dump());
  html += ";</script>\n<script>\n";
  html += kReportJs;
  html += "\n</script>\n</body></html>\n";
  const auto page = out_dir / "index.html";
  write_file_atomically(page, html);
  return page;
}

}  // namespace infbench
