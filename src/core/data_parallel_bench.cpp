#include "infbench/data_parallel_bench.hpp"

#include <algorithm>
#include <barrier>
#include <chrono>
#include <set>
#include <thread>

#include "core/stats.hpp"
#include "infbench/error.hpp"
#include "infbench/registry.hpp"
#include "infbench/runner.hpp"

namespace infbench {
namespace {

using Clock = std::chrono::steady_clock;

void check_request(const std::vector<int>& devices, const RunConfig& config) {
  if (devices.size() < 2)
    throw Error(ErrorKind::invalid_argument,
                "data-parallel bench: give at least two devices (e.g. --device 0,1)");
  if (std::set<int>(devices.begin(), devices.end()).size() != devices.size())
    throw Error(ErrorKind::invalid_argument,
                "--device: a device is listed twice; data-parallel bench needs distinct devices");
  if (config.scenario != Scenario::offline)
    throw Error(ErrorKind::invalid_argument,
                "--device with several devices measures the offline scenario (aggregate "
                "throughput); run " +
                    std::string(to_string(config.scenario)) + " on one device");
}

// Each device's run on its own thread: loads, waits until every device has loaded, measures.
// The measuring spans (from the "measure" phase to the end) give the overlap.
std::vector<RunResult> run_together(std::string_view framework, const std::filesystem::path& model,
                                    const Params& params, const std::vector<int>& devices,
                                    const RunConfig& config, double& overlap) {
  const std::size_t n = devices.size();
  std::vector<RunResult> results(n);
  std::vector<Clock::time_point> begin(n), end(n);
  std::barrier loaded(static_cast<std::ptrdiff_t>(n));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      Params p = params;
      p.device = devices[i];
      std::optional<Model> m;
      try {
        m = load_for_benchmark(framework, model, p, config, results[i]);
      } catch (const std::exception& e) {  // the user's input: the same for every device
        results[i].record.status = "failed";
        results[i].record.error = e.what();
        results[i].record.error_phase = "load";
      }
      loaded.arrive_and_wait();
      begin[i] = end[i] = Clock::now();
      if (!m) return;
      try {
        measure_loaded(*m, model, config, results[i], [&](const std::string& phase) {
          if (phase == "measure") begin[i] = Clock::now();
        });
      } catch (const std::exception& e) {
        results[i].record.status = "failed";
        results[i].record.error = e.what();
        results[i].record.error_phase = "warmup";
      }
      end[i] = Clock::now();
    });
  }
  for (auto& t : threads) t.join();
  const auto all_begin = *std::max_element(begin.begin(), begin.end());
  const auto all_end = *std::min_element(end.begin(), end.end());
  const auto span =
      *std::max_element(end.begin(), end.end()) - *std::min_element(begin.begin(), begin.end());
  overlap = span.count() > 0 && all_end > all_begin
                ? std::chrono::duration<double>(all_end - all_begin).count() /
                      std::chrono::duration<double>(span).count()
                : 0.0;
  return results;
}

std::vector<double> repeat_throughputs(const RunResult& r) {
  std::vector<double> out;
  for (const auto& rep : r.repeat_results) out.push_back(rep.throughput_samples_per_s);
  return out;
}

}  // namespace

bool DataParallelBench::ok() const {
  return alone.record.status == "ok" &&
         std::all_of(together.begin(), together.end(),
                     [](const RunResult& r) { return r.record.status == "ok"; });
}

DataParallelBench bench_data_parallel(std::string_view framework,
                                      const std::filesystem::path& model, const Params& params,
                                      const std::vector<int>& devices, const RunConfig& config) {
  check_request(devices, config);
  DataParallelBench b;
  b.devices = devices;
  Params first = params;
  first.device = devices.front();
  b.alone = run_benchmark(framework, model, first, config);
  if (b.alone.record.status != "ok") return b;
  b.together = run_together(framework, model, params, devices, config, b.overlap);
  if (!b.ok()) return b;
  // Repeat k of every device: the same measurement window, give or take the warm-ups' lengths.
  std::size_t repeats = b.together.front().repeat_results.size();
  for (const auto& r : b.together) repeats = std::min(repeats, r.repeat_results.size());
  for (std::size_t k = 0; k < repeats; ++k) {
    double sum = 0;
    for (const auto& r : b.together) sum += r.repeat_results[k].throughput_samples_per_s;
    b.aggregate_per_repeat.push_back(sum);
  }
  b.aggregate = mean(b.aggregate_per_repeat);
  if (const auto ci = bootstrap_mean_ci(b.aggregate_per_repeat, config.seed)) {
    b.aggregate_low = ci->low;
    b.aggregate_high = ci->high;
  }
  const auto alone = repeat_throughputs(b.alone);
  const double n = static_cast<double>(devices.size());
  if (!alone.empty() && mean(alone) > 0) b.efficiency = b.aggregate / (n * mean(alone));
  if (const auto ci = bootstrap_ratio_ci(b.aggregate_per_repeat, alone, config.seed)) {
    b.efficiency_low = ci->low / n;
    b.efficiency_high = ci->high / n;
  }
  return b;
}

}  // namespace infbench
