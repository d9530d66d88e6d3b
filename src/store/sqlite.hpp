#pragma once
// A thin RAII layer over the SQLite C API for the results database: a connection, a prepared
// statement and a transaction. Every failure is an infbench::Error of one line that names the
// database file, SQLite's reason and, for the failures a user can act on, the fix.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "infbench/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace infbench::sqlite {

enum class OpenMode {
  read_write,  // created when missing (sweeps, ensemble studies)
  read_only,   // SQLITE_OPEN_READONLY: export, report and compare never change the file
};

class Connection {
 public:
  Connection(const std::filesystem::path& path, OpenMode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(const std::string& sql);
  // Runs `sql` without waiting for other connections' locks; false (and nothing thrown) when it
  // failed, for what is worth trying but not worth an error (see ~ResultStore).
  bool try_exec_now(const std::string& sql) noexcept;
  std::int64_t last_insert_rowid();
  // The connection's last failure as an Error naming the file (kind io), with `context` appended.
  Error error(const std::string& context = "") const;
  // SQLite's primary result code of the last failure (SQLITE_NOTADB, SQLITE_FULL, ...).
  int last_error_code() const;
  const std::filesystem::path& path() const { return path_; }
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

class Statement {
 public:
  Statement(Connection& db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int i, const std::string& v);
  void bind(int i, double v);
  void bind(int i, std::int64_t v);
  void bind(int i, int v) { bind(i, static_cast<std::int64_t>(v)); }
  void bind(int i, bool v) { bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  void bind_null(int i);
  template <class T>
  void bind(int i, const std::optional<T>& v) {
    if (v)
      bind(i, *v);
    else
      bind_null(i);
  }
  bool step();  // true: a row is ready; false: done
  void reset();

  int column_count();
  std::string column_name(int i);
  bool is_null(int i);
  std::string text(int i);  // "" for NULL
  std::int64_t int64(int i);
  double real(int i);
  nlohmann::json value(int i);  // typed as stored: integer, real, text or null

 private:
  Connection& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE: takes the write lock at once (waiting up to the busy timeout), so two writers
// queue instead of failing halfway. Rolled back unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Connection& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& db_;
  bool open_ = true;
};

}  // namespace infbench::sqlite
