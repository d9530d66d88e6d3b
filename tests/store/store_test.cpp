// The results database's library guarantees: a read-only store cannot write (whoever runs it,
// root included), and concurrent writers lose and duplicate nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/database.hpp"

namespace infbench {
namespace {

namespace fs = std::filesystem;

std::string bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

PointIdentity point(const std::string& id) {
  PointIdentity p;
  p.point_id = id;
  p.group_id = "g";
  p.label = id;
  p.model = p.framework = "fake";
  p.scenario = "offline";
  p.batch_size = 1;
  p.requested = nlohmann::json::object();
  p.host = "box";
  return p;
}

RunResult measured(double throughput) {
  RunResult r;
  r.record.status = "ok";
  r.record.throughput_samples_per_s = throughput;
  r.latencies_ms = {1.0, 2.0, 3.0};
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("infbench-store-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(StoreTest, ReadOnlyStoreReadsAndCannotWrite) {
  const auto db = dir_ / "r.db";
  {
    ResultStore store(db);
    const auto run = store.begin_run("plan", "plan.yaml", "", {{"host", "box"}});
    store.add_point(run, point("p1"), measured(10));
    store.end_run(run, "complete");
  }
  const auto before = bytes_of(db);
  ResultStore reader(db, StoreAccess::read_only);
  EXPECT_EQ(reader.point_rows(std::nullopt).size(), 1u);
  EXPECT_EQ(reader.latest_run("plan"), 1);
  // SQLITE_OPEN_READONLY holds for root too, unlike file permissions.
  try {
    reader.begin_run("plan", "plan.yaml", "", {{"host", "box"}});
    FAIL() << "a read-only store wrote a run";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(
        std::string(e.what()).rfind(db.string() + ": attempt to write a readonly database", 0), 0u)
        << e.what();
  }
  EXPECT_EQ(bytes_of(db), before);
}

TEST_F(StoreTest, ReadOnlyStoreRefusesAMissingOrEmptyFile) {
  EXPECT_THROW(ResultStore(dir_ / "missing.db", StoreAccess::read_only), Error);
  EXPECT_FALSE(fs::exists(dir_ / "missing.db"));
  std::ofstream(dir_ / "empty.db").close();
  try {
    ResultStore store(dir_ / "empty.db", StoreAccess::read_only);
    FAIL() << "an empty file was read as a database";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_EQ(std::string(e.what()), (dir_ / "empty.db").string() +
                                         ": empty database, no infbench results in it; `infbench "
                                         "sweep PLAN --db " +
                                         (dir_ / "empty.db").string() + "` fills one");
  }
  EXPECT_EQ(fs::file_size(dir_ / "empty.db"), 0u);
}

// Two processes create one new database and store points into it at the same time: the busy
// timeout and one transaction per point serialise them.
TEST_F(StoreTest, ConcurrentWritersLoseAndDuplicateNothing) {
  const auto db = dir_ / "c.db";
  constexpr int kWriters = 3, kPoints = 60;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        ResultStore store(db);
        const auto run = store.begin_run("plan-" + std::to_string(w), "p.yaml", "", {});
        for (int i = 0; i < kPoints; ++i)
          store.add_point(run, point("p" + std::to_string(i)), measured(i));
        store.end_run(run, "complete");
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", w, e.what());
        _exit(1);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer failed";
  }
  ResultStore reader(db, StoreAccess::read_only);
  const auto rows = reader.point_rows(std::nullopt);
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(kWriters * kPoints));
  std::set<std::pair<std::int64_t, std::string>> keys;
  for (const auto& row : rows) keys.emplace(row.at("run_id"), row.at("point_id"));
  EXPECT_EQ(keys.size(), rows.size());
  EXPECT_EQ(reader.run_rows().size(), static_cast<std::size_t>(kWriters));
}

}  // namespace
}  // namespace infbench
