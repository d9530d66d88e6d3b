#include "database.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <set>

#include "infbench/error.hpp"
#include "infbench/report.hpp"

namespace infbench {
namespace {

std::string now_utc() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// Column types follow the record's C++ field types: the schema is derived, never hand-listed.
template <class T>
const char* sql_type(const T&) {
  if constexpr (std::is_same_v<T, std::string>)
    return "TEXT";
  else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, std::optional<double>>)
    return "REAL";
  else
    return "INTEGER";
}

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      throw Error(ErrorKind::io,
                  std::string("database: ") + sqlite3_errmsg(db) + " in: " + sql.substr(0, 80));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.c_str(), -1, SQLITE_TRANSIENT);
  }
  void bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, int v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, bool v) { sqlite3_bind_int64(stmt_, i, v ? 1 : 0); }
  template <class T>
  void bind(int i, const std::optional<T>& v) {
    if (v)
      bind(i, *v);
    else
      sqlite3_bind_null(stmt_, i);
  }
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(ErrorKind::io, std::string("database: ") + sqlite3_errmsg(db_));
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

nlohmann::json column_value(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: return sqlite3_column_int64(s, i);
    case SQLITE_FLOAT: return sqlite3_column_double(s, i);
    case SQLITE_TEXT: return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i)));
    default: return nullptr;
  }
}

}  // namespace

ResultStore::ResultStore(const std::filesystem::path& path) : path_(path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorKind::io, path.string() + ": cannot open database: " + why);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    exec("PRAGMA journal_mode=WAL");  // a crash mid-write never corrupts committed points
    exec("PRAGMA foreign_keys=ON");
    exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)");
    Statement version(db_, "SELECT value FROM meta WHERE key='schema_version'");
    if (version.step()) {
      const auto v =
          std::stoi(reinterpret_cast<const char*>(sqlite3_column_text(version.get(), 0)));
      if (v == 2) upgrade_from_version_2();
      if (v != 2 && v != kDatabaseSchemaVersion) {
        throw Error(ErrorKind::invalid_argument,
                    path.string() + ": database schema version " + std::to_string(v) +
                        ", this infbench reads version " + std::to_string(kDatabaseSchemaVersion));
      }
    }
  } catch (const Error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    if (e.kind() == ErrorKind::io)
      throw Error(ErrorKind::io, path.string() + ": not an infbench database: " + e.what());
    throw;
  }
  exec("INSERT OR IGNORE INTO meta VALUES('schema_version', '" +
       std::to_string(kDatabaseSchemaVersion) + "'), ('created_by', 'infbench')");
  exec(
      "CREATE TABLE IF NOT EXISTS runs(run_id INTEGER PRIMARY KEY, plan_name TEXT, plan_path TEXT, "
      "plan_text TEXT, "
      "environment_json TEXT, host TEXT, started_at TEXT, ended_at TEXT, status TEXT)");
  exec(
      "CREATE TABLE IF NOT EXISTS points(run_id INTEGER REFERENCES runs, point_id TEXT, group_id "
      "TEXT, label TEXT, "
      "model TEXT, framework TEXT, model_file TEXT, scenario TEXT, batch_size INTEGER, device "
      "INTEGER, "
      "requested_json TEXT, status TEXT, error TEXT, error_phase TEXT, finished_at TEXT, "
      "host TEXT, device_used TEXT, PRIMARY KEY(run_id, point_id))");
  exec(
      "CREATE TABLE IF NOT EXISTS hosts(run_id INTEGER REFERENCES runs, host TEXT, "
      "environment_json TEXT, PRIMARY KEY(run_id, host))");
  std::string columns;
  RunRecord prototype;
  visit_fields(prototype, [&](const char* name, const auto& field) {
    columns += std::string(", \"m_") + name + "\" " + sql_type(field);
  });
  exec("CREATE TABLE IF NOT EXISTS metrics(run_id INTEGER, point_id TEXT" + columns +
       ", PRIMARY KEY(run_id, point_id))");
  // A database written before a record field existed gets its column (NULL: not measured then).
  std::set<std::string> present;
  Statement info(db_, "PRAGMA table_info(metrics)");
  while (info.step())
    present.insert(reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 1)));
  visit_fields(prototype, [&](const char* name, const auto& field) {
    const std::string column = std::string("m_") + name;
    if (!present.contains(column))
      exec("ALTER TABLE metrics ADD COLUMN \"" + column + "\" " + sql_type(field));
  });
  exec(
      "CREATE TABLE IF NOT EXISTS repeats(run_id INTEGER, point_id TEXT, repeat INTEGER, "
      "throughput_samples_per_s REAL, latency_p99_ms REAL, duration_s REAL, PRIMARY KEY(run_id, "
      "point_id, repeat))");
  exec(
      "CREATE TABLE IF NOT EXISTS samples(run_id INTEGER, point_id TEXT, seq INTEGER, latency_ms "
      "REAL)");
  exec("CREATE INDEX IF NOT EXISTS samples_point ON samples(run_id, point_id)");
  exec(
      "CREATE TABLE IF NOT EXISTS failures(run_id INTEGER, point_id TEXT, phase TEXT, reason "
      "TEXT)");
  // Analyses that span several points (an ensemble study's interference matrix and accuracy).
  exec(
      "CREATE TABLE IF NOT EXISTS studies(run_id INTEGER REFERENCES runs, kind TEXT, name TEXT, "
      "summary_json TEXT, PRIMARY KEY(run_id, kind, name))");
}

ResultStore::~ResultStore() { sqlite3_close(db_); }

// Version 3 only adds: the per-host table (created with the others) and two point columns.
void ResultStore::upgrade_from_version_2() {
  exec("BEGIN IMMEDIATE");
  try {
    Statement again(db_, "SELECT value FROM meta WHERE key='schema_version'");
    if (again.step() &&
        std::string(reinterpret_cast<const char*>(sqlite3_column_text(again.get(), 0))) == "2") {
      exec("ALTER TABLE points ADD COLUMN host TEXT");
      exec("ALTER TABLE points ADD COLUMN device_used TEXT");
      exec("UPDATE meta SET value='" + std::to_string(kDatabaseSchemaVersion) +
           "' WHERE key='schema_version'");
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

void ResultStore::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string why = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    throw Error(ErrorKind::io, path_.string() + ": " + why);
  }
}

std::int64_t ResultStore::begin_run(const std::string& plan_name,
                                    const std::filesystem::path& plan_path,
                                    const std::string& plan_text, const Environment& environment) {
  nlohmann::ordered_json env = nlohmann::ordered_json::object();
  std::string host;
  for (const auto& [k, v] : environment) {
    env[k] = v;
    if (k == "host") host = v;
  }
  Statement s(db_,
              "INSERT INTO runs(plan_name, plan_path, plan_text, environment_json, host, "
              "started_at, status) "
              "VALUES(?,?,?,?,?,?, 'running')");
  s.bind(1, plan_name);
  s.bind(2, plan_path.string());
  s.bind(3, plan_text);
  s.bind(4, env.dump());
  s.bind(5, host);
  s.bind(6, now_utc());
  s.step();
  return sqlite3_last_insert_rowid(db_);
}

std::optional<std::int64_t> ResultStore::latest_run(const std::string& plan_name) {
  Statement s(db_, "SELECT max(run_id) FROM runs WHERE plan_name = ?");
  s.bind(1, plan_name);
  if (s.step() && sqlite3_column_type(s.get(), 0) != SQLITE_NULL)
    return sqlite3_column_int64(s.get(), 0);
  return std::nullopt;
}

std::set<std::string> ResultStore::stored_points(std::int64_t run) {
  Statement s(db_, "SELECT point_id FROM points WHERE run_id = ?");
  s.bind(1, run);
  std::set<std::string> ids;
  while (s.step()) ids.insert(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0)));
  return ids;
}

void ResultStore::add_point(std::int64_t run, const PointIdentity& p, const RunResult& result) {
  const auto& r = result.record;
  exec("BEGIN IMMEDIATE");
  try {
    Statement point(db_,
                    "INSERT INTO points(run_id, point_id, group_id, label, model, framework, "
                    "model_file, scenario, batch_size, device, requested_json, status, error, "
                    "error_phase, finished_at, host, device_used) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    point.bind(1, run);
    point.bind(2, p.point_id);
    point.bind(3, p.group_id);
    point.bind(4, p.label);
    point.bind(5, p.model);
    point.bind(6, p.framework);
    point.bind(7, p.model_file);
    point.bind(8, p.scenario);
    point.bind(9, p.batch_size);
    point.bind(10, p.device);
    point.bind(11, p.requested.dump());
    point.bind(12, r.status);
    point.bind(13, r.error);
    point.bind(14, r.error_phase);
    point.bind(15, now_utc());
    point.bind(16, p.host);
    point.bind(17, p.device_used);
    point.step();

    std::string names, marks;
    visit_fields(r, [&](const char* name, const auto&) {
      names += std::string(", \"m_") + name + "\"";
      marks += ",?";
    });
    Statement metrics(
        db_, "INSERT INTO metrics(run_id, point_id" + names + ") VALUES(?,?" + marks + ")");
    metrics.bind(1, run);
    metrics.bind(2, p.point_id);
    int i = 3;
    visit_fields(r, [&](const char*, const auto& field) { metrics.bind(i++, field); });
    metrics.step();

    Statement repeat(db_, "INSERT INTO repeats VALUES(?,?,?,?,?,?)");
    for (std::size_t k = 0; k < result.repeat_results.size(); ++k) {
      repeat.reset();
      repeat.bind(1, run);
      repeat.bind(2, p.point_id);
      repeat.bind(3, static_cast<std::int64_t>(k));
      repeat.bind(4, result.repeat_results[k].throughput_samples_per_s);
      repeat.bind(5, result.repeat_results[k].latency_p99_ms);
      repeat.bind(6, result.repeat_results[k].duration_s);
      repeat.step();
    }
    Statement sample(db_, "INSERT INTO samples VALUES(?,?,?,?)");
    for (std::size_t k = 0; k < result.latencies_ms.size(); ++k) {
      sample.reset();
      sample.bind(1, run);
      sample.bind(2, p.point_id);
      sample.bind(3, static_cast<std::int64_t>(k));
      sample.bind(4, result.latencies_ms[k]);
      sample.step();
    }
    if (r.status != "ok") {
      Statement failure(db_, "INSERT INTO failures VALUES(?,?,?,?)");
      failure.bind(1, run);
      failure.bind(2, p.point_id);
      failure.bind(3, r.error_phase);
      failure.bind(4, r.error);
      failure.step();
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

void ResultStore::end_run(std::int64_t run, const std::string& status) {
  Statement s(db_, "UPDATE runs SET ended_at = ?, status = ? WHERE run_id = ?");
  s.bind(1, now_utc());
  s.bind(2, status);
  s.bind(3, run);
  s.step();
}

nlohmann::json ResultStore::point_rows(std::optional<std::int64_t> run) {
  Statement s(
      db_,
      std::string(
          "SELECT p.run_id, p.point_id, p.group_id, p.label, p.model_file, p.requested_json, "
          "p.finished_at, coalesce(p.host, r.host) AS host, p.device_used, p.model AS model_name, "
          "m.* FROM points p "
          "JOIN metrics m USING(run_id, point_id) "
          "JOIN runs r USING(run_id)") +
          (run ? " WHERE p.run_id = ?" : "") + " ORDER BY p.run_id, p.rowid");
  if (run) s.bind(1, *run);
  nlohmann::json rows = nlohmann::json::array();
  while (s.step()) {
    nlohmann::json row = nlohmann::json::object();
    for (int i = 0; i < sqlite3_column_count(s.get()); ++i) {
      std::string name = sqlite3_column_name(s.get(), i);
      if (name.rfind("m_", 0) == 0) name = name.substr(2);
      if (name == "run_id" && row.contains("run_id")) continue;
      if (name == "point_id" && row.contains("point_id")) continue;
      // The record's host (metrics.m_host) is the point's host: an older row's NULL keeps points'.
      if (row.contains(name) && sqlite3_column_type(s.get(), i) == SQLITE_NULL) continue;
      row[name] = column_value(s.get(), i);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void ResultStore::add_host(std::int64_t run, const Environment& environment) {
  nlohmann::ordered_json env = nlohmann::ordered_json::object();
  std::string host;
  for (const auto& [k, v] : environment) {
    env[k] = v;
    if (k == "host") host = v;
  }
  Statement s(db_, "INSERT OR IGNORE INTO hosts VALUES(?,?,?)");
  s.bind(1, run);
  s.bind(2, host);
  s.bind(3, env.dump());
  s.step();
}

std::map<std::string, MeasuredCost> ResultStore::measured_costs() {
  // Later runs overwrite earlier ones (ORDER BY run_id): the latest measurement wins.
  Statement s(db_,
              "SELECT point_id, coalesce(m_duration_s, 0) * max(coalesce(m_repeats, 1), 1) + "
              "coalesce(m_warmup_s, 0), coalesce(m_load_time_s, 0) FROM metrics "
              "WHERE m_status = 'ok' ORDER BY run_id");
  std::map<std::string, MeasuredCost> costs;
  while (s.step()) {
    costs[reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0))] = {
        sqlite3_column_double(s.get(), 1), sqlite3_column_double(s.get(), 2)};
  }
  return costs;
}

nlohmann::json ResultStore::host_rows(std::optional<std::int64_t> run) {
  Statement s(db_, std::string("SELECT run_id, host, environment_json FROM hosts") +
                       (run ? " WHERE run_id = ?" : "") + " ORDER BY run_id, host");
  if (run) s.bind(1, *run);
  nlohmann::json rows = nlohmann::json::array();
  while (s.step()) {
    nlohmann::json row = nlohmann::json::object();
    for (int i = 0; i < sqlite3_column_count(s.get()); ++i)
      row[sqlite3_column_name(s.get(), i)] = column_value(s.get(), i);
    rows.push_back(std::move(row));
  }
  return rows;
}

nlohmann::json ResultStore::run_rows() {
  Statement s(db_,
              "SELECT run_id, plan_name, host, started_at, ended_at, status, environment_json, "
              "(SELECT count(*) FROM points p WHERE p.run_id = runs.run_id) AS points FROM runs "
              "ORDER BY run_id");
  nlohmann::json rows = nlohmann::json::array();
  while (s.step()) {
    nlohmann::json row = nlohmann::json::object();
    for (int i = 0; i < sqlite3_column_count(s.get()); ++i)
      row[sqlite3_column_name(s.get(), i)] = column_value(s.get(), i);
    rows.push_back(std::move(row));
  }
  return rows;
}

void ResultStore::add_study(std::int64_t run, const std::string& kind, const std::string& name,
                            const nlohmann::json& summary) {
  Statement s(db_, "INSERT OR REPLACE INTO studies VALUES(?, ?, ?, ?)");
  s.bind(1, run);
  s.bind(2, kind);
  s.bind(3, name);
  s.bind(4, summary.dump());
  s.step();
}

nlohmann::json ResultStore::study_rows(std::optional<std::int64_t> run) {
  Statement s(db_, run ? "SELECT run_id, kind, name, summary_json FROM studies WHERE run_id = ?"
                       : "SELECT run_id, kind, name, summary_json FROM studies ORDER BY run_id");
  if (run) s.bind(1, *run);
  nlohmann::json rows = nlohmann::json::array();
  while (s.step()) {
    rows.push_back({{"run_id", sqlite3_column_int64(s.get(), 0)},
                    {"kind", reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 1))},
                    {"name", reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 2))},
                    {"summary", nlohmann::json::parse(reinterpret_cast<const char*>(
                                    sqlite3_column_text(s.get(), 3)))}});
  }
  return rows;
}

std::vector<double> ResultStore::repeat_throughputs(std::int64_t run, const std::string& point_id) {
  Statement s(db_,
              "SELECT throughput_samples_per_s FROM repeats WHERE run_id = ? AND point_id = ? "
              "ORDER BY repeat");
  s.bind(1, run);
  s.bind(2, point_id);
  std::vector<double> values;
  while (s.step()) values.push_back(sqlite3_column_double(s.get(), 0));
  return values;
}

}  // namespace infbench
