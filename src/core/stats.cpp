#include "core/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "infbench/error.hpp"

namespace infbench {

double percentile_sorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) throw Error(ErrorKind::invalid_argument, "percentile of no values");
  const auto n = sorted.size();
  const auto index =
      std::min(n - 1, static_cast<std::size_t>(std::floor(static_cast<double>(n) * p)));
  return sorted[index];
}

double percentile(std::span<const double> values, double p) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  return percentile_sorted(sorted, p);
}

double mean(std::span<const double> values) {
  if (values.empty()) return 0;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double stddev(std::span<const double> values) {
  if (values.size() < 2) return 0;
  const double m = mean(values);
  double sum = 0;
  for (double v : values) sum += (v - m) * (v - m);
  return std::sqrt(sum / static_cast<double>(values.size() - 1));
}

namespace {

double resampled_mean(std::span<const double> values, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::size_t> pick(0, values.size() - 1);
  double sum = 0;
  for (std::size_t i = 0; i < values.size(); ++i) sum += values[pick(rng)];
  return sum / static_cast<double>(values.size());
}

Interval percentile_interval(std::vector<double>& estimates, double confidence) {
  std::sort(estimates.begin(), estimates.end());
  const double tail = (1.0 - confidence) / 2.0;
  return Interval{percentile_sorted(estimates, tail), percentile_sorted(estimates, 1.0 - tail)};
}

}  // namespace

std::optional<Interval> bootstrap_mean_ci(std::span<const double> values, std::uint64_t seed,
                                          int resamples, double confidence) {
  if (values.size() < 2 || resamples < 10) return std::nullopt;
  std::mt19937_64 rng(seed);
  std::vector<double> means(static_cast<std::size_t>(resamples));
  for (auto& m : means) m = resampled_mean(values, rng);
  return percentile_interval(means, confidence);
}

std::optional<Interval> bootstrap_ratio_ci(std::span<const double> numerator,
                                           std::span<const double> denominator, std::uint64_t seed,
                                           int resamples, double confidence) {
  if (numerator.size() < 2 || denominator.size() < 2 || resamples < 10) return std::nullopt;
  std::mt19937_64 rng(seed);
  std::vector<double> ratios(static_cast<std::size_t>(resamples));
  for (auto& r : ratios) {
    const double top = resampled_mean(numerator, rng);
    r = top / resampled_mean(denominator, rng);
  }
  return percentile_interval(ratios, confidence);
}

bool windows_stable(std::span<const double> window_values, double tolerance) {
  if (window_values.size() < 2) return true;
  const double m = mean(window_values);
  return std::all_of(window_values.begin(), window_values.end(),
                     [&](double v) { return std::abs(v - m) <= tolerance * m; });
}

}  // namespace infbench
