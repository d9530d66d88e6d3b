#include "export.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include "core/json_text.hpp"
#include "infbench/error.hpp"

namespace infbench {
namespace {

// A string as itself, anything else as its JSON text (rows are ordered_json, summaries json).
template <class Json>
std::string text_of(const Json& v) {
  return v.is_string() ? v.template get<std::string>() : json_text(v);
}

std::string csv_cell(const nlohmann::ordered_json& v) {
  if (v.is_null()) return "";
  std::string text = text_of(v);
  if (text.find_first_of(",\"\n") != std::string::npos) {
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  return text;
}

// The field that names each element of an array of objects, so that a column means the same
// member or batch size in every study even when their lists differ in order or length.
std::optional<std::string> naming_field(const nlohmann::json& array) {
  for (const char* field : {"name", "member", "batch_size"}) {
    std::set<std::string> seen;
    bool names_all = true;
    for (const auto& element : array) {
      const auto it = element.is_object() ? element.find(field) : element.end();
      if (it == element.end() || it->is_structured() || it->is_null() ||
          !seen.insert(text_of(*it)).second) {
        names_all = false;
        break;
      }
    }
    if (names_all) return field;
  }
  return std::nullopt;
}

std::string joined(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// Says which runs do have a study when --run picked one without, else what stores a study.
Error no_study_error(ResultStore& store, const std::string& db_name,
                     std::optional<std::int64_t> run) {
  std::set<std::int64_t> with_study;
  for (const auto& s : store.study_rows(std::nullopt))
    with_study.insert(s.at("run_id").get<std::int64_t>());
  if (run && !with_study.empty()) {
    std::string runs;
    for (const auto r : with_study) runs += (runs.empty() ? "" : ", ") + std::to_string(r);
    return Error(ErrorKind::not_found, "--run " + std::to_string(*run) +
                                           ": no study in that run of " + db_name +
                                           "; runs with one: " + runs);
  }
  return Error(ErrorKind::not_found, "--studies: no study in " + db_name +
                                         "; `infbench ensemble SPEC --db FILE` stores one "
                                         "(without --studies, export writes the points)");
}

}  // namespace

void flatten_scalars(const nlohmann::json& value, const std::string& path,
                     nlohmann::ordered_json& row) {
  if (value.is_object()) {
    for (const auto& [key, v] : value.items()) flatten_scalars(v, joined(path, key), row);
    return;
  }
  const bool has_structured_element =
      value.is_array() &&
      std::any_of(value.begin(), value.end(), [](const auto& e) { return e.is_structured(); });
  if (!has_structured_element) {
    row[path] = value;
    return;
  }
  const auto field = value.empty() ? std::nullopt : naming_field(value);
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto& element = value[i];
    if (!field) {
      flatten_scalars(element, path + "[" + std::to_string(i) + "]", row);
      continue;
    }
    // The naming field is in the column name already; its own column would repeat it.
    auto rest = element;
    rest.erase(*field);
    flatten_scalars(rest, path + "[" + *field + "=" + text_of(element.at(*field)) + "]", row);
  }
}

void write_rows(const nlohmann::ordered_json& rows, const std::string& format, std::ostream& out) {
  if (format == "jsonl") {
    for (const auto& row : rows) out << json_text(row) << "\n";
    return;
  }
  // Rows may differ (two studies of different ensembles): the header is the union of columns.
  std::vector<std::string> columns;
  std::set<std::string> known;
  for (const auto& row : rows) {
    for (const auto& [k, v] : row.items())
      if (known.insert(k).second) columns.push_back(k);
  }
  if (columns.empty()) return;
  for (std::size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << csv_cell(columns[i]);
  out << "\n";
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < columns.size(); ++i)
      out << (i ? "," : "") << csv_cell(row.value(columns[i], nlohmann::ordered_json()));
    out << "\n";
  }
}

nlohmann::ordered_json study_export_rows(ResultStore& store, const std::string& db_name,
                                         std::optional<std::int64_t> run, bool flat) {
  const auto studies = store.study_rows(run);
  if (studies.empty()) throw no_study_error(store, db_name, run);
  // Studies are stored as their run ends, so the run's end is when the study was stored.
  nlohmann::json runs = nlohmann::json::object();
  for (const auto& r : store.run_rows())
    runs[std::to_string(r.at("run_id").get<std::int64_t>())] = r;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& study : studies) {
    const auto of_run = runs.value(std::to_string(study.at("run_id").get<std::int64_t>()),
                                   nlohmann::json::object());
    nlohmann::ordered_json row = {{"run_id", study.at("run_id")},
                                  {"kind", study.at("kind")},
                                  {"name", study.at("name")},
                                  {"host", of_run.value("host", nlohmann::json())},
                                  {"stored_at", of_run.value("ended_at", nlohmann::json())}};
    if (flat) {
      flatten_scalars(study.at("summary"), "summary", row);
    } else {
      row["summary"] = study.at("summary");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace infbench
