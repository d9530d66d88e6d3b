// Every RunConfig setting can be set from a plan and reaches the sweep worker unchanged; the ids
// of points depend on what defines them. The field list comes from run_config.hpp's visitor, so a
// setting added there is covered here without editing this file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <type_traits>

#include "../../src/sweep/plan.hpp"
#include "../../src/sweep/sweep.hpp"

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

std::filesystem::path write_plan(const std::string& measure) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("infbench-plan-test-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "name: t\nmodels: [fake]\nframeworks:\n  fake: {}\nbatch_sizes: [2]\n"
                      << "measure:\n"
                      << measure;
  return path;
}

TEST(Plan, EveryRunConfigFieldIsSettableAndReachesTheWorker) {
  RunConfig expected;
  std::ostringstream measure;
  measure << std::boolalpha;
  visit_fields(expected, [&](const ConfigField& f, auto& member) {
    member = changed(member);
    measure << "  " << f.name << ": " << member << "\n";
  });
  const auto path = write_plan(measure.str());
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
    EXPECT_EQ(what.find(path.string() + ":8: bad conversion"), 0U) << what;
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

}  // namespace
}  // namespace infbench
