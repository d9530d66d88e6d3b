// Storing into the results database: runs, their hosts, points (one transaction each) and studies.
#include <chrono>
#include <ctime>

#include "core/json_text.hpp"
#include "database.hpp"

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

// The environment as one JSON object in its own order, and the host it names.
std::pair<std::string, std::string> environment_json(const Environment& environment) {
  nlohmann::ordered_json env = nlohmann::ordered_json::object();
  std::string host;
  for (const auto& [k, v] : environment) {
    env[k] = v;
    if (k == "host") host = v;
  }
  return {json_text(env), host};
}

}  // namespace

std::int64_t ResultStore::begin_run(const std::string& plan_name,
                                    const std::filesystem::path& plan_path,
                                    const std::string& plan_text, const Environment& environment) {
  const auto [env, host] = environment_json(environment);
  sqlite::Statement s(db_,
                      "INSERT INTO runs(plan_name, plan_path, plan_text, environment_json, host, "
                      "started_at, status) VALUES(?,?,?,?,?,?, 'running')");
  s.bind(1, plan_name);
  s.bind(2, plan_path.string());
  s.bind(3, plan_text);
  s.bind(4, env);
  s.bind(5, host);
  s.bind(6, now_utc());
  s.step();
  return db_.last_insert_rowid();
}

void ResultStore::forget_points(std::int64_t run, const std::set<std::string>& point_ids) {
  // Every table with a point_id column, from the schema itself (a table added later is included),
  // except `failures`: the record of why a point failed (a rank that died) stays as history.
  std::vector<std::string> tables;
  sqlite::Statement list(db_,
                         "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c "
                         "WHERE m.type = 'table' AND c.name = 'point_id' AND m.name != 'failures'");
  while (list.step()) tables.push_back(list.text(0));
  sqlite::Transaction transaction(db_);
  for (const auto& table : tables) {
    sqlite::Statement s(db_, "DELETE FROM " + table + " WHERE run_id = ? AND point_id = ?");
    for (const auto& id : point_ids) {
      s.bind(1, run);
      s.bind(2, id);
      s.step();
      s.reset();
    }
  }
  transaction.commit();
}

void ResultStore::add_point(std::int64_t run, const PointIdentity& p, const RunResult& result) {
  const auto& r = result.record;
  sqlite::Transaction transaction(db_);
  sqlite::Statement point(db_,
                          "INSERT INTO points(run_id, point_id, group_id, label, model, framework, "
                          "model_file, scenario, batch_size, device, requested_json, status, "
                          "error, error_phase, finished_at, host, device_used) "
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
  point.bind(11, json_text(p.requested));
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
  sqlite::Statement metrics(
      db_, "INSERT INTO metrics(run_id, point_id" + names + ") VALUES(?,?" + marks + ")");
  metrics.bind(1, run);
  metrics.bind(2, p.point_id);
  int i = 3;
  visit_fields(r, [&](const char*, const auto& field) { metrics.bind(i++, field); });
  metrics.step();

  sqlite::Statement repeat(db_, "INSERT INTO repeats VALUES(?,?,?,?,?,?)");
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
  sqlite::Statement sample(db_, "INSERT INTO samples VALUES(?,?,?,?)");
  for (std::size_t k = 0; k < result.latencies_ms.size(); ++k) {
    sample.reset();
    sample.bind(1, run);
    sample.bind(2, p.point_id);
    sample.bind(3, static_cast<std::int64_t>(k));
    sample.bind(4, result.latencies_ms[k]);
    sample.step();
  }
  if (r.status != "ok") {
    sqlite::Statement failure(db_, "INSERT INTO failures VALUES(?,?,?,?)");
    failure.bind(1, run);
    failure.bind(2, p.point_id);
    failure.bind(3, r.error_phase);
    failure.bind(4, r.error);
    failure.step();
  }
  transaction.commit();
}

void ResultStore::end_run(std::int64_t run, const std::string& status) {
  sqlite::Statement s(db_, "UPDATE runs SET ended_at = ?, status = ? WHERE run_id = ?");
  s.bind(1, now_utc());
  s.bind(2, status);
  s.bind(3, run);
  s.step();
}

void ResultStore::add_host(std::int64_t run, const Environment& environment) {
  const auto [env, host] = environment_json(environment);
  sqlite::Statement s(db_, "INSERT OR IGNORE INTO hosts VALUES(?,?,?)");
  s.bind(1, run);
  s.bind(2, host);
  s.bind(3, env);
  s.step();
}

void ResultStore::add_study(std::int64_t run, const std::string& kind, const std::string& name,
                            const nlohmann::json& summary) {
  sqlite::Statement s(db_, "INSERT OR REPLACE INTO studies VALUES(?, ?, ?, ?)");
  s.bind(1, run);
  s.bind(2, kind);
  s.bind(3, name);
  s.bind(4, json_text(summary));
  s.step();
}

}  // namespace infbench
