// MPI scheduling without MPI: the longest-first order and its estimator, and how a node's cores
// are split between its worker ranks.
#include "sweep/schedule.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace infbench {
namespace {

LoadGroup group(const std::string& id, std::vector<int> batches, double min_duration_s) {
  LoadGroup g{id, {}};
  for (const int b : batches) {
    PlanPoint p;
    p.id = id + "-b" + std::to_string(b);
    p.group_id = id;
    p.model_file = "no-such-file";  // size 0: the duration settings decide
    p.params.batch_size = b;
    p.config.min_duration_s = min_duration_s;
    p.config.min_queries = 5;
    p.config.warmup_s = 0.5;
    g.points.push_back(p);
  }
  return g;
}

TEST(Schedule, LongestFirstFromPlanSettings) {
  Plan plan;
  plan.groups = {group("short", {1}, 1), group("long", {1, 8}, 5), group("middle", {1}, 3)};
  const auto order = longest_first(plan, {}, {});
  ASSERT_EQ(order.size(), 3U);
  EXPECT_EQ(order[0].id, "long");
  EXPECT_EQ(order[1].id, "middle");
  EXPECT_EQ(order[2].id, "short");
}

TEST(Schedule, StoredDurationsWinAndDonePointsAreDropped) {
  Plan plan;
  plan.groups = {group("a", {1, 8}, 5), group("b", {1}, 1)};
  // "b" took 100 s when it was last measured: it goes first; "a-b1" is already stored.
  const std::map<std::string, MeasuredCost> measured = {{"b-b1", {100, 20}}};
  const auto order = longest_first(plan, {"a-b1"}, measured);
  ASSERT_EQ(order.size(), 2U);
  EXPECT_EQ(order[0].id, "b");
  EXPECT_EQ(order[1].points.size(), 1U);
  EXPECT_DOUBLE_EQ(estimated_seconds(order[0], measured), 120);
  EXPECT_TRUE(longest_first(plan, {"a-b1", "a-b8", "b-b1"}, {}).empty());
}

TEST(Schedule, CoresSplitDisjointAndEven) {
  const std::vector<int> cores = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  bool shared = true;
  EXPECT_EQ(cores_for_rank(cores, 0, 3, shared), (std::vector<int>{0, 1, 2}));
  EXPECT_FALSE(shared);
  EXPECT_EQ(cores_for_rank(cores, 1, 3, shared), (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(cores_for_rank(cores, 2, 3, shared), (std::vector<int>{6, 7, 8, 9}));
  EXPECT_EQ(cores_for_rank({4, 5}, 2, 3, shared), (std::vector<int>{4}));
  EXPECT_TRUE(shared);  // 3 ranks on 2 cores: the sweep refuses to start
  EXPECT_EQ(core_list_text({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
}

// srun --mpi=none gives each task SLURM_STEP_NUM_TASKS but no launcher variable: refused, so
// that N tasks never run the whole plan into one database. A batch script, a one-task step and
// a step with PMIx are accepted.
TEST(Schedule, SrunWithoutMpiPluginIsRefused) {
  for (const char* name :
       {"SLURM_STEP_NUM_TASKS", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK"}) {
    ::unsetenv(name);
  }
  EXPECT_EQ(srun_without_mpi_problem(), "");
  ::setenv("SLURM_STEP_NUM_TASKS", "1", 1);
  EXPECT_EQ(srun_without_mpi_problem(), "");
  ::setenv("SLURM_STEP_NUM_TASKS", "3", 1);
  EXPECT_NE(srun_without_mpi_problem().find("srun started 3 tasks without an MPI plugin"),
            std::string::npos);
  ::setenv("PMIX_RANK", "0", 1);
  EXPECT_EQ(srun_without_mpi_problem(), "");
  ::unsetenv("PMIX_RANK");
  ::unsetenv("SLURM_STEP_NUM_TASKS");
}

}  // namespace
}  // namespace infbench
