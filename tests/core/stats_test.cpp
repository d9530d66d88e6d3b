#include "core/stats.hpp"

#include "infbench/error.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace infbench {
namespace {

TEST(Stats, PercentileIsTheSortedElementAtFloorNP) {
  std::vector<double> v(100);
  std::iota(v.rbegin(), v.rend(), 1.0);  // 100..1, unsorted on purpose
  EXPECT_EQ(percentile(v, 0.0), 1.0);
  EXPECT_EQ(percentile(v, 0.5), 51.0);  // sorted[50]
  EXPECT_EQ(percentile(v, 0.9), 91.0);
  EXPECT_EQ(percentile(v, 0.99), 100.0);
  EXPECT_EQ(percentile(v, 1.0), 100.0);  // clamped to n - 1
  const std::vector<double> three{3, 1, 2};
  EXPECT_EQ(percentile(three, 0.5), 2.0);
  EXPECT_THROW(percentile(std::vector<double>{}, 0.5), Error);
}

TEST(Stats, MeanAndSampleStddev) {
  const std::vector<double> v{2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(mean(v), 5.0);
  EXPECT_NEAR(stddev(v), 2.138089935, 1e-9);
  EXPECT_EQ(stddev(std::vector<double>{1.0}), 0.0);
}

TEST(Stats, BootstrapIntervalIsSeededAndBracketsTheMean) {
  const std::vector<double> v{10, 11, 9, 10.5, 9.5, 10.2};
  const auto a = bootstrap_mean_ci(v, 7);
  const auto b = bootstrap_mean_ci(v, 7);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->low, b->low);
  EXPECT_EQ(a->high, b->high);
  EXPECT_LT(a->low, mean(v));
  EXPECT_GT(a->high, mean(v));
  EXPECT_GE(a->low, 9.0);
  EXPECT_LE(a->high, 11.0);
  EXPECT_FALSE(bootstrap_mean_ci(std::vector<double>{1.0}, 7).has_value());
}

TEST(Stats, WindowsStableWithinTenPercent) {
  EXPECT_TRUE(windows_stable(std::vector<double>{100, 105, 95}));
  EXPECT_FALSE(windows_stable(std::vector<double>{100, 100, 80}));
}

}  // namespace
}  // namespace infbench

namespace infbench {
namespace {

TEST(Stats, BootstrapRatioIntervalBracketsTheRatioOfMeans) {
  const std::vector<double> base{10, 10.2, 9.8, 10.1}, cand{12, 12.3, 11.8, 12.1};
  const auto ci = bootstrap_ratio_ci(cand, base, 3);
  ASSERT_TRUE(ci.has_value());
  const double ratio = mean(cand) / mean(base);
  EXPECT_LT(ci->low, ratio);
  EXPECT_GT(ci->high, ratio);
  EXPECT_GT(ci->low, 1.0);  // clearly faster: the interval excludes 1
  EXPECT_EQ(bootstrap_ratio_ci(cand, base, 3)->low, ci->low);
  EXPECT_FALSE(bootstrap_ratio_ci(std::vector<double>{1.0}, base, 3).has_value());
}

}  // namespace
}  // namespace infbench
