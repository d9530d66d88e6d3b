// Every RunConfig setting can be set from a plan and reaches the sweep worker unchanged; the ids
// of points depend on what defines them. The field list comes from run_config.hpp's visitor, so a
// setting added there is covered here without editing this file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <type_traits>

#include "sweep/plan.hpp"
#include "sweep/sweep.hpp"

namespace infbench {
namespace {

// A value of each field that differs from the default and is valid for an offline point.
template <class T>
T changed(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return !value;
  } else {
    return value + 7;
  }
}

std::filesystem::path write_plan(const std::string& measure,
                                 const std::string& scenarios = "[offline]") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("infbench-plan-test-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "name: t\nmodels: [fake]\nframeworks:\n  fake: {}\nbatch_sizes: [2]\n"
                      << "scenarios: " << scenarios << "\nmeasure:\n"
                      << measure;
  return path;
}

TEST(Plan, ServerOnlyFieldsApplyToTheServerPointsOnly) {
  const auto path =
      write_plan("  find_peak: true\n  latency_bound_ms: 15\n", "[single-stream, server]");
  const Plan plan = load_plan(path);
  std::filesystem::remove(path);
  ASSERT_EQ(plan.point_count(), 2u);
  for (const auto& point : plan.groups.front().points) {
    const bool server = point.config.scenario == Scenario::server;
    EXPECT_EQ(point.config.find_peak, server) << to_string(point.config.scenario);
    EXPECT_EQ(point.config.latency_bound_ms, server ? 15 : 0) << to_string(point.config.scenario);
  }
}

TEST(Plan, EveryRunConfigFieldIsSettableAndReachesTheWorker) {
  RunConfig expected;
  std::ostringstream measure;
  measure << std::boolalpha;
  visit_fields(expected, [&](const ConfigField& f, auto& member) {
    member = changed(member);
    measure << "  " << f.name << ": " << member << "\n";
  });
  // The server scenario: the one every field applies to (the others drop the server-only ones).
  const auto path = write_plan(measure.str(), "[server]");
  const Plan plan = load_plan(path);
  std::filesystem::remove(path);
  ASSERT_EQ(plan.point_count(), 1u);
  const PlanPoint& point = plan.groups.front().points.front();
  const PlanPoint received = point_from_json(point_to_json(point));
  int fields = 0;
  visit_fields(expected, [&](const ConfigField& f, const auto& want) {
    ++fields;
    visit_fields(point.config, [&](const ConfigField& g, const auto& got) {
      if constexpr (std::is_same_v<decltype(want), decltype(got)>) {
        if (g.name == f.name) {
          EXPECT_EQ(got, want) << "plan measure." << f.name;
        }
      }
    });
    visit_fields(received.config, [&](const ConfigField& g, const auto& got) {
      if constexpr (std::is_same_v<decltype(want), decltype(got)>) {
        if (g.name == f.name) {
          EXPECT_EQ(got, want) << "worker JSON " << f.name;
        }
      }
    });
  });
  EXPECT_GE(fields, 17);
  EXPECT_EQ(received.params.batch_size, 2);
  EXPECT_EQ(received.id, point.id);
}

TEST(Plan, UnknownMeasureKeyListsTheValidOnes) {
  const auto path = write_plan("  min_duraton_s: 3\n");
  try {
    load_plan(path);
    FAIL() << "a misspelt key was accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("measure.min_duraton_s"), std::string::npos) << what;
    EXPECT_NE(what.find("peak_step_duration_s"), std::string::npos) << what;
  }
  std::filesystem::remove(path);
}

// Found by fuzz/plan_fuzz.cpp: yaml-cpp's own exception used to escape as "unexpected error".
TEST(Plan, KeyWrittenAsAListIsAnErrorNamingFileAndLine) {
  const auto path = write_plan("  min_duration_s: 3\n[a]: 1\n");
  try {
    load_plan(path);
    FAIL() << "a list as a key was accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find(path.string() + ":9: bad conversion"), 0U) << what;
  }
  std::filesystem::remove(path);
}

std::string id_with(const std::string& measure) {
  const auto path = write_plan(measure);
  const auto id = load_plan(path).groups.front().points.front().id;
  std::filesystem::remove(path);
  return id;
}

TEST(Plan, IdsChangeWithWhatDefinesAPointOnly) {
  const auto base = id_with("  repeat: 3\n");
  EXPECT_EQ(id_with("  repeat: 3\n  max_duration_s: 50\n  pool_samples: 8\n"), base);
  EXPECT_NE(id_with("  repeat: 4\n"), base);
  EXPECT_NE(id_with("  repeat: 3\n  prep_us_per_sample: 5\n"), base);
  EXPECT_EQ(id_with("  repeat: 3\n  prep_us_per_sample: 0\n"), base);  // the default
}

// Bounds: a measure value out of its range and a plan of millions of points are refused at load,
// before anything is expanded, with the field, the range or the count.
TEST(Plan, RefusesOutOfRangeSettingsAndTooManyPoints) {
  const auto message = [](const std::string& text, const std::vector<std::string>& sets = {}) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("infbench-plan-bounds-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(path) << text;
    std::string what = "(no error)";
    try {
      load_plan(path, sets);
    } catch (const Error& e) {
      what = e.what();
    }
    std::filesystem::remove(path);
    return what;
  };
  const std::string base = "name: t\nmodels: [fake]\nbatch_sizes: [1, 2]\n";
  EXPECT_NE(message(base + "frameworks: {fake: {}}\nmeasure: {repeat: 5000}\n")
                .find("measure: --repeat 5000 is out of range (plan key measure.repeat); valid: 1 "
                      "to 1000"),
            std::string::npos);
  EXPECT_NE(message(base + "frameworks: {fake: {}}\nmeasure: {min_duration_s: .nan}\n")
                .find("--min-duration-s nan is out of range"),
            std::string::npos);
  std::string axis = "[0";
  for (int i = 1; i < 100; ++i) axis += "," + std::to_string(i);
  axis += "]";
  const std::string big = base + "frameworks:\n  fake: {delay_ms: " + axis + ", shift: " + axis +
                          ", per_sample_us: " + axis + "}\n";
  EXPECT_NE(message(big).find("max_points: the plan expands to 2000000 points (before exclude "
                              "rules), above the limit of 20000"),
            std::string::npos);
  EXPECT_NE(message(big, {"max_points=100"}).find("above the limit of 100;"), std::string::npos);
  const std::string small = base + "frameworks: {fake: {delay_ms: [0, 1]}}\n";
  EXPECT_EQ(message(small, {"max_points=4"}), "(no error)");
  EXPECT_NE(message(small, {"max_points=3"}).find("expands to 4 points"), std::string::npos);
  EXPECT_NE(message(small, {"batch_sizes=[1, 100000]"})
                .find("'100000' is above the limit; valid: 1 to 65536"),
            std::string::npos);
  EXPECT_GT(default_memory_limit_mib(), 0);
}

}  // namespace
}  // namespace infbench
