// `infbench export --studies`: ensemble studies stored in a results database come out one row per
// study, whole in JSON Lines and as flat scalar columns in CSV; no study is a clear error.
#include "store/export.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "infbench/error.hpp"

namespace infbench {
namespace {

namespace fs = std::filesystem;

// A summary shaped like an ensemble study's (src/ensemble/study.cpp), cut down.
nlohmann::json study_summary(const std::string& ensemble, double concurrent_speedup_b8) {
  return {
      {"ensemble", ensemble},
      {"spec", "configs/ensembles/" + ensemble + ".yaml"},
      {"threads", 2},
      {"members",
       {{{"name", "cnn_a"}, {"framework", "onnxruntime"}},
        {{"name", "cnn_b"}, {"framework", "libtorch"}}}},
      {"batches",
       {{{"batch_size", 1}, {"speedup_vs_sequential", {{"concurrent", 1.25}}}},
        {{"batch_size", 8}, {"speedup_vs_sequential", {{"concurrent", concurrent_speedup_b8}}}}}}};
}

class StudyExport : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("infbench-export-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A database with a sweep-like run (no study) and then one run per given study.
  std::string database(const std::vector<std::pair<std::string, nlohmann::json>>& studies) {
    const auto path = (dir_ / "r.db").string();
    ResultStore store(path);
    store.end_run(store.begin_run("sweep", "plan.yaml", "", {{"host", "box"}}), "complete");
    for (const auto& [name, summary] : studies) {
      const auto run = store.begin_run("ensemble:" + name, name + ".yaml", "", {{"host", "box"}});
      store.add_study(run, "ensemble", name, summary);
      store.end_run(run, "done");
    }
    return path;
  }

  static std::string exported(const std::string& db, std::optional<std::int64_t> run,
                              const std::string& format) {
    ResultStore store(db);
    std::ostringstream out;
    write_rows(study_export_rows(store, db, run, format == "csv"), format, out);
    return out.str();
  }

  fs::path dir_;
};

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  for (const char c : line) {
    if (c == ',')
      fields.emplace_back();
    else
      fields.back() += c;
  }
  return fields;
}

TEST_F(StudyExport, JsonLinesCarryEachSummaryWhole) {
  const auto paper = study_summary("paper", 1.51);
  const auto db = database({{"paper", paper}, {"fashion", study_summary("fashion", 1.07)}});
  std::istringstream lines(exported(db, std::nullopt, "jsonl"));
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].at("run_id"), 2);
  EXPECT_EQ(rows[0].at("kind"), "ensemble");
  EXPECT_EQ(rows[0].at("name"), "paper");
  EXPECT_EQ(rows[0].at("host"), "box");
  EXPECT_TRUE(rows[0].at("stored_at").is_string());
  EXPECT_EQ(rows[0].at("summary"), paper);
  EXPECT_EQ(rows[1].at("name"), "fashion");
  EXPECT_DOUBLE_EQ(rows[1]["summary"]["batches"][1]["speedup_vs_sequential"]["concurrent"], 1.07);
}

TEST_F(StudyExport, CsvHasOneRowPerStudyWithColumnsNamedByMemberAndBatchSize) {
  auto fashion = study_summary("fashion", 1.07);
  fashion["accuracy"] = {{{"name", "ensemble"}, {"top1", 0.9056}}};  // only this study has one
  const auto db = database({{"paper", study_summary("paper", 1.51)}, {"fashion", fashion}});
  std::istringstream lines(exported(db, std::nullopt, "csv"));
  std::string line;
  std::vector<std::vector<std::string>> table;
  while (std::getline(lines, line)) table.push_back(csv_fields(line));
  ASSERT_EQ(table.size(), 3U);  // header and two studies
  const auto& header = table[0];
  const auto cell = [&](std::size_t row, const std::string& column) {
    const auto it = std::find(header.begin(), header.end(), column);
    EXPECT_NE(it, header.end()) << "no column " << column;
    return it == header.end() ? std::string("?") : table[row].at(it - header.begin());
  };
  EXPECT_EQ(std::vector<std::string>(header.begin(), header.begin() + 5),
            (std::vector<std::string>{"run_id", "kind", "name", "host", "stored_at"}));
  EXPECT_EQ(cell(1, "name"), "paper");
  EXPECT_EQ(cell(1, "summary.batches[batch_size=8].speedup_vs_sequential.concurrent"), "1.51");
  EXPECT_EQ(cell(2, "summary.batches[batch_size=8].speedup_vs_sequential.concurrent"), "1.07");
  EXPECT_EQ(cell(1, "summary.members[name=cnn_b].framework"), "libtorch");
  EXPECT_EQ(cell(1, "summary.threads"), "2");
  EXPECT_EQ(cell(2, "summary.accuracy[name=ensemble].top1"), "0.9056");
  EXPECT_EQ(cell(1, "summary.accuracy[name=ensemble].top1"), "");  // paper has no accuracy
  // The field naming an element is in the column name, not repeated as a column of its own.
  EXPECT_EQ(std::count(header.begin(), header.end(), "summary.batches[batch_size=8].batch_size"),
            0);
}

TEST_F(StudyExport, RunSelectsItsStudy) {
  const auto db = database(
      {{"paper", study_summary("paper", 1.51)}, {"fashion", study_summary("fashion", 1.07)}});
  const auto text = exported(db, 3, "jsonl");
  const auto row = nlohmann::json::parse(text);
  EXPECT_EQ(row.at("name"), "fashion");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

TEST_F(StudyExport, ArraysWithoutANamingFieldAreIndexed) {
  nlohmann::ordered_json row = nlohmann::ordered_json::object();
  flatten_scalars({{"runs", {{{"rate", 3.5}}, {{"rate", 4.5}}}}, {"sizes", {1, 8}}}, "", row);
  EXPECT_EQ(row.at("runs[1].rate"), 4.5);
  EXPECT_EQ(row.at("sizes").dump(), "[1,8]");  // a list of scalars stays one cell
}

TEST_F(StudyExport, NoStudyIsAnErrorThatSaysWhatStoresOne) {
  const auto db = database({});
  try {
    exported(db, std::nullopt, "csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_NE(std::string(e.what()).find("--studies: no study in " + db +
                                         "; `infbench ensemble SPEC --db FILE` stores one"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(StudyExport, RunWithoutStudyNamesTheRunsThatHaveOne) {
  const auto db = database({{"paper", study_summary("paper", 1.51)}});
  try {
    exported(db, 1, "csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_NE(std::string(e.what()).find("--run 1: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("runs with one: 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace infbench
