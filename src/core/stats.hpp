#pragma once
// The statistics every reporter uses, with one stated estimator (docs/metrics.md).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace infbench {

// Percentile p in [0, 1] of unsorted values: the element at index floor(n * p) of the sorted
// values, clamped to n - 1 (the estimator of MLPerf LoadGen and onnxruntime_perf_test).
double percentile(std::span<const double> values, double p);
// Same on values already sorted ascending.
double percentile_sorted(std::span<const double> sorted, double p);

double mean(std::span<const double> values);
// Sample standard deviation (n - 1); 0 for fewer than 2 values.
double stddev(std::span<const double> values);

struct Interval {
  double low = 0;
  double high = 0;
};
// Percentile bootstrap of the mean: `resamples` resamples with a fixed seed, 95 % by default.
// Needs at least 2 values.
std::optional<Interval> bootstrap_mean_ci(std::span<const double> values, std::uint64_t seed,
                                          int resamples = 2000, double confidence = 0.95);

// Percentile bootstrap of mean(numerator) / mean(denominator), each side resampled independently
// (A-vs-B comparisons). Needs at least 2 values per side.
std::optional<Interval> bootstrap_ratio_ci(std::span<const double> numerator,
                                           std::span<const double> denominator, std::uint64_t seed,
                                           int resamples = 2000, double confidence = 0.95);

// Triton perf_analyzer's stability rule: every window's value within +-tolerance of their mean.
bool windows_stable(std::span<const double> window_values, double tolerance = 0.10);

}  // namespace infbench
