#include "sqlite.hpp"

#include <sqlite3.h>

namespace infbench::sqlite {
namespace {

constexpr int kBusyTimeoutMs = 5000;  // another writer's transaction lasts milliseconds

// What the user can do about the failures that are not a bug: appended to SQLite's reason.
std::string fix_for(int code) {
  switch (code) {
    case SQLITE_FULL: return "; free space on its disk, then continue the sweep with --resume";
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
      return "; check that the file and its folder are writable and the disk has space and is "
             "mounted read-write, then continue the sweep with --resume";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "; another process held its write lock for longer than " +
             std::to_string(kBusyTimeoutMs / 1000) + " s";
    case SQLITE_CORRUPT: return "; restore it from a copy or use another database file";
    default: return "";
  }
}

}  // namespace

Connection::Connection(const std::filesystem::path& path, OpenMode mode) : path_(path) {
  const int flags = mode == OpenMode::read_only ? SQLITE_OPEN_READONLY
                                                : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const auto failure = db_ != nullptr ? error("cannot open the database")
                                        : Error(ErrorKind::io, path.string() + ": out of memory");
    sqlite3_close(db_);
    db_ = nullptr;
    throw failure;
  }
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

Connection::~Connection() { sqlite3_close(db_); }

Error Connection::error(const std::string& context) const {
  const int code = last_error_code();
  return Error(ErrorKind::io, path_.string() + ": " + (context.empty() ? "" : context + ": ") +
                                  sqlite3_errmsg(db_) + fix_for(code));
}

int Connection::last_error_code() const { return sqlite3_errcode(db_) & 0xff; }

void Connection::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);  // the same text as sqlite3_errmsg, which error() reads
    throw error();
  }
}

bool Connection::try_exec_now(const std::string& sql) noexcept {
  sqlite3_busy_timeout(db_, 0);
  const bool ok = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  return ok;
}

std::int64_t Connection::last_insert_rowid() { return sqlite3_last_insert_rowid(db_); }

Statement::Statement(Connection& db, const std::string& sql) : db_(db) {
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    throw db.error("in `" + sql.substr(0, 60) + "`");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::bind(int i, const std::string& v) {
  sqlite3_bind_text(stmt_, i, v.c_str(), -1, SQLITE_TRANSIENT);
}
void Statement::bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
void Statement::bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
void Statement::bind_null(int i) { sqlite3_bind_null(stmt_, i); }

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw db_.error();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() { return sqlite3_column_count(stmt_); }
std::string Statement::column_name(int i) { return sqlite3_column_name(stmt_, i); }
bool Statement::is_null(int i) { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
std::string Statement::text(int i) {
  const auto* t = sqlite3_column_text(stmt_, i);
  return t != nullptr ? reinterpret_cast<const char*>(t) : "";
}
std::int64_t Statement::int64(int i) { return sqlite3_column_int64(stmt_, i); }
double Statement::real(int i) { return sqlite3_column_double(stmt_, i); }

nlohmann::json Statement::value(int i) {
  switch (sqlite3_column_type(stmt_, i)) {
    case SQLITE_INTEGER: return int64(i);
    case SQLITE_FLOAT: return real(i);
    case SQLITE_TEXT: return text(i);
    default: return nullptr;
  }
}

Transaction::Transaction(Connection& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  // A failed COMMIT or statement may have ended the transaction already; then this is a no-op.
  if (open_ && sqlite3_get_autocommit(db_.get()) == 0)
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace infbench::sqlite
