// Opening a results database: what kind of file it is, then (for writing) creating or upgrading
// its tables. Nothing is written before the file is known to be an infbench database of a version
// this binary can write, so a wrong --db argument never changes the file it names.
#include <sqlite3.h>

#include <set>
#include <string>

#include "database.hpp"

namespace infbench {
namespace {

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

constexpr int kOldestUpgradable = 2;

Error refused(const std::filesystem::path& path, const std::string& why) {
  return Error(ErrorKind::invalid_argument, path.string() + ": " + why);
}

std::string joined(const std::set<std::string>& names) {
  std::string text;
  for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

}  // namespace

ResultStore::ResultStore(const std::filesystem::path& path, StoreAccess access)
    : db_(path, access == StoreAccess::read_only ? sqlite::OpenMode::read_only
                                                 : sqlite::OpenMode::read_write),
      access_(access) {
  const auto version = stored_schema_version();
  if (access == StoreAccess::read_only) {
    if (!version) {
      throw refused(path, "empty database, no infbench results in it; `infbench sweep PLAN --db " +
                              path.string() + "` fills one");
    }
    schema_version_ = *version;  // a version 2 file is read as it is (queries.cpp)
    return;
  }
  db_.exec("PRAGMA journal_mode=WAL");  // a crash mid-write never corrupts committed points
  db_.exec("PRAGMA foreign_keys=ON");
  create_or_upgrade();
}

ResultStore::~ResultStore() {
  // While writing, the WAL journal lets readers read beside the writer; once done, a reader
  // opened read-only needs no -wal/-shm side files beside a rollback-journal file, so it also
  // reads where it cannot create them (a read-only folder or mount). The switch needs every
  // other connection closed: when another is open (a second writer or a reader), the file stays
  // in WAL mode and the last writer to close switches it. Failing here loses nothing.
  if (access_ == StoreAccess::read_write) db_.try_exec_now("PRAGMA journal_mode=DELETE");
}

// Reads only. Throws for a file that is not SQLite, an SQLite file of another application, and a
// schema version this binary cannot write.
std::optional<int> ResultStore::stored_schema_version() {
  const auto& path = db_.path();
  const std::string fix = "use an infbench results database, or a new file name to start one";
  std::set<std::string> tables;
  try {
    sqlite::Statement list(db_, "SELECT name FROM sqlite_master WHERE type = 'table'");
    while (list.step()) tables.insert(list.text(0));
  } catch (const Error&) {
    if (db_.last_error_code() != SQLITE_NOTADB) throw;  // I/O: unreadable, locked, ...
    throw refused(path, "not an SQLite database; " + fix);
  }
  if (tables.empty()) return std::nullopt;
  const auto other = [&](const std::string& what) {
    return refused(path, "not an infbench results database (" + what + "); " + fix);
  };
  if (!tables.contains("meta")) throw other("it has tables " + joined(tables) + " but no meta");
  std::string version_text, created_by;
  try {
    sqlite::Statement meta(
        db_, "SELECT key, value FROM meta WHERE key IN ('schema_version', 'created_by')");
    while (meta.step()) (meta.text(0) == "created_by" ? created_by : version_text) = meta.text(1);
  } catch (const Error&) {
    throw other("its meta table is not infbench's");
  }
  if (created_by != "infbench") throw other("meta.created_by is '" + created_by + "'");
  int version = 0;
  try {
    version = std::stoi(version_text);
  } catch (const std::exception&) {
    throw other("meta.schema_version is '" + version_text + "'");
  }
  if (version > kDatabaseSchemaVersion) {
    throw refused(path, "database schema version " + std::to_string(version) +
                            " is newer than this infbench's (" +
                            std::to_string(kDatabaseSchemaVersion) +
                            "); use the newer infbench that wrote it, or another database file");
  }
  if (version < kOldestUpgradable) {
    throw refused(
        path, "database schema version " + std::to_string(version) +
                  " is older than this infbench can read (" + std::to_string(kOldestUpgradable) +
                  " to " + std::to_string(kDatabaseSchemaVersion) + "); use another database file");
  }
  return version;
}

// One transaction: a second process opening the same new file waits, then finds it complete.
void ResultStore::create_or_upgrade() {
  sqlite::Transaction transaction(db_);
  db_.exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)");
  db_.exec("INSERT OR IGNORE INTO meta VALUES('schema_version', '" +
           std::to_string(kDatabaseSchemaVersion) + "'), ('created_by', 'infbench')");
  sqlite::Statement version(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
  const bool version_2 = version.step() && version.text(0) == "2";
  db_.exec(
      "CREATE TABLE IF NOT EXISTS runs(run_id INTEGER PRIMARY KEY, plan_name TEXT, plan_path TEXT, "
      "plan_text TEXT, environment_json TEXT, host TEXT, started_at TEXT, ended_at TEXT, "
      "status TEXT)");
  db_.exec(
      "CREATE TABLE IF NOT EXISTS points(run_id INTEGER REFERENCES runs, point_id TEXT, group_id "
      "TEXT, label TEXT, model TEXT, framework TEXT, model_file TEXT, scenario TEXT, batch_size "
      "INTEGER, device INTEGER, requested_json TEXT, status TEXT, error TEXT, error_phase TEXT, "
      "finished_at TEXT, host TEXT, device_used TEXT, PRIMARY KEY(run_id, point_id))");
  if (version_2) {
    // Version 3 only adds the per-host table (created below) and these two point columns.
    db_.exec("ALTER TABLE points ADD COLUMN host TEXT");
    db_.exec("ALTER TABLE points ADD COLUMN device_used TEXT");
    db_.exec("UPDATE meta SET value = '" + std::to_string(kDatabaseSchemaVersion) +
             "' WHERE key = 'schema_version'");
  }
  db_.exec(
      "CREATE TABLE IF NOT EXISTS hosts(run_id INTEGER REFERENCES runs, host TEXT, "
      "environment_json TEXT, PRIMARY KEY(run_id, host))");
  std::string columns;
  RunRecord prototype;
  visit_fields(prototype, [&](const char* name, const auto& field) {
    columns += std::string(", \"m_") + name + "\" " + sql_type(field);
  });
  db_.exec("CREATE TABLE IF NOT EXISTS metrics(run_id INTEGER, point_id TEXT" + columns +
           ", PRIMARY KEY(run_id, point_id))");
  // A database written before a record field existed gets its column (NULL: not measured then).
  std::set<std::string> present;
  sqlite::Statement info(db_, "PRAGMA table_info(metrics)");
  while (info.step()) present.insert(info.text(1));
  visit_fields(prototype, [&](const char* name, const auto& field) {
    const std::string column = std::string("m_") + name;
    if (!present.contains(column))
      db_.exec("ALTER TABLE metrics ADD COLUMN \"" + column + "\" " + sql_type(field));
  });
  db_.exec(
      "CREATE TABLE IF NOT EXISTS repeats(run_id INTEGER, point_id TEXT, repeat INTEGER, "
      "throughput_samples_per_s REAL, latency_p99_ms REAL, duration_s REAL, PRIMARY KEY(run_id, "
      "point_id, repeat))");
  db_.exec(
      "CREATE TABLE IF NOT EXISTS samples(run_id INTEGER, point_id TEXT, seq INTEGER, latency_ms "
      "REAL)");
  db_.exec("CREATE INDEX IF NOT EXISTS samples_point ON samples(run_id, point_id)");
  db_.exec(
      "CREATE TABLE IF NOT EXISTS failures(run_id INTEGER, point_id TEXT, phase TEXT, reason "
      "TEXT)");
  // Analyses that span several points (an ensemble study's interference matrix and accuracy).
  db_.exec(
      "CREATE TABLE IF NOT EXISTS studies(run_id INTEGER REFERENCES runs, kind TEXT, name TEXT, "
      "summary_json TEXT, PRIMARY KEY(run_id, kind, name))");
  transaction.commit();
}

}  // namespace infbench
