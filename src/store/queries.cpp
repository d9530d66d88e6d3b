// Reading the results database: for --resume and scheduling (sweeps), export, report and compare.
// Every query here also works on a version 2 file opened read-only (no hosts table, no
// points.host or points.device_used columns).
#include "database.hpp"

namespace infbench {
namespace {

// Every row of a statement as a JSON object keyed by column name.
nlohmann::json all_rows(sqlite::Statement& s) {
  nlohmann::json rows = nlohmann::json::array();
  while (s.step()) {
    nlohmann::json row = nlohmann::json::object();
    for (int i = 0; i < s.column_count(); ++i) row[s.column_name(i)] = s.value(i);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

std::optional<std::int64_t> ResultStore::latest_run(const std::string& plan_name) {
  sqlite::Statement s(db_, "SELECT max(run_id) FROM runs WHERE plan_name = ?");
  s.bind(1, plan_name);
  if (s.step() && !s.is_null(0)) return s.int64(0);
  return std::nullopt;
}

namespace {

std::set<std::string> point_ids(sqlite::Connection& db, std::int64_t run, const char* sql) {
  sqlite::Statement s(db, sql);
  s.bind(1, run);
  std::set<std::string> ids;
  while (s.step()) ids.insert(s.text(0));
  return ids;
}

}  // namespace

std::set<std::string> ResultStore::stored_points(std::int64_t run) {
  return point_ids(db_, run, "SELECT point_id FROM points WHERE run_id = ?");
}

std::set<std::string> ResultStore::failed_points(std::int64_t run) {
  return point_ids(db_, run, "SELECT point_id FROM points WHERE run_id = ? AND status = 'failed'");
}

std::map<std::string, MeasuredCost> ResultStore::measured_costs() {
  // Later runs overwrite earlier ones (ORDER BY run_id): the latest measurement wins.
  sqlite::Statement s(db_,
                      "SELECT point_id, coalesce(m_duration_s, 0) * max(coalesce(m_repeats, 1), 1) "
                      "+ coalesce(m_warmup_s, 0), coalesce(m_load_time_s, 0) FROM metrics "
                      "WHERE m_status = 'ok' ORDER BY run_id");
  std::map<std::string, MeasuredCost> costs;
  while (s.step()) costs[s.text(0)] = {s.real(1), s.real(2)};
  return costs;
}

nlohmann::json ResultStore::point_rows(std::optional<std::int64_t> run) {
  const bool per_point_host = schema_version_ >= 3;
  sqlite::Statement s(db_,
                      std::string("SELECT p.run_id, p.point_id, p.group_id, p.label, p.model_file, "
                                  "p.requested_json, p.finished_at, ") +
                          (per_point_host ? "coalesce(p.host, r.host) AS host, p.device_used, "
                                          : "r.host AS host, NULL AS device_used, ") +
                          "p.model AS model_name, p.framework, p.scenario, p.batch_size, m.* FROM "
                          "points p JOIN metrics m "
                          "USING(run_id, point_id) JOIN runs r "
                          "USING(run_id)" +
                          (run ? " WHERE p.run_id = ?" : "") + " ORDER BY p.run_id, p.rowid");
  if (run) s.bind(1, *run);
  nlohmann::json rows = nlohmann::json::array();
  while (s.step()) {
    nlohmann::json row = nlohmann::json::object();
    for (int i = 0; i < s.column_count(); ++i) {
      std::string name = s.column_name(i);
      if (name.rfind("m_", 0) == 0) name = name.substr(2);
      if ((name == "run_id" || name == "point_id") && row.contains(name)) continue;
      // The record's host (metrics.m_host) is the point's host: an older row's NULL keeps points'.
      // A point that failed before its record was filled (a load failure) keeps the plan's
      // framework, scenario and batch size from its points row.
      auto value = s.value(i);
      if (row.contains(name) && (value.is_null() || value == "" || value == 0)) continue;
      row[name] = std::move(value);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

nlohmann::json ResultStore::host_rows(std::optional<std::int64_t> run) {
  if (schema_version_ < 3) return nlohmann::json::array();  // per-host records came with 3
  sqlite::Statement s(db_, std::string("SELECT run_id, host, environment_json FROM hosts") +
                               (run ? " WHERE run_id = ?" : "") + " ORDER BY run_id, host");
  if (run) s.bind(1, *run);
  return all_rows(s);
}

nlohmann::json ResultStore::run_rows() {
  sqlite::Statement s(db_,
                      "SELECT run_id, plan_name, host, started_at, ended_at, status, "
                      "environment_json, (SELECT count(*) FROM points p WHERE p.run_id = "
                      "runs.run_id) AS points FROM runs ORDER BY run_id");
  return all_rows(s);
}

nlohmann::json ResultStore::study_rows(std::optional<std::int64_t> run) {
  sqlite::Statement s(db_,
                      run ? "SELECT run_id, kind, name, summary_json FROM studies WHERE run_id = ?"
                          : "SELECT run_id, kind, name, summary_json FROM studies ORDER BY run_id");
  if (run) s.bind(1, *run);
  nlohmann::json rows = nlohmann::json::array();
  while (s.step()) {
    rows.push_back({{"run_id", s.int64(0)},
                    {"kind", s.text(1)},
                    {"name", s.text(2)},
                    {"summary", nlohmann::json::parse(s.text(3))}});
  }
  return rows;
}

std::vector<double> ResultStore::repeat_throughputs(std::int64_t run, const std::string& point_id) {
  sqlite::Statement s(db_,
                      "SELECT throughput_samples_per_s FROM repeats WHERE run_id = ? AND "
                      "point_id = ? ORDER BY repeat");
  s.bind(1, run);
  s.bind(2, point_id);
  std::vector<double> values;
  while (s.step()) values.push_back(s.real(0));
  return values;
}

}  // namespace infbench
