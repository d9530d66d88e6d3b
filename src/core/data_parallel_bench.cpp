#include "infbench/data_parallel_bench.hpp"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <exception>
#include <thread>

#include "core/phase_summary.hpp"
#include "core/stats.hpp"
#include "infbench/data_parallel.hpp"
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
  require_distinct_devices(devices);
  if (config.scenario != Scenario::offline)
    throw Error(ErrorKind::invalid_argument,
                "--device with several devices measures the offline scenario (aggregate "
                "throughput); run " +
                    std::string(to_string(config.scenario)) + " on one device");
}

// Each device's run on its own thread: loads, waits until every device has loaded, runs its probes
// and warm-up, then waits again until every device is ready to measure, so that the measured
// phases start together (a device still probing or warming up would leave the others measuring
// alone). A thread that stops early drops out of the barriers instead of blocking them; when a
// device fails to load, the others do not measure (the aggregate would be of fewer devices).
// The measuring spans (from the "measure" phase to the end) give the overlap.
std::vector<RunResult> run_together(std::string_view framework, const std::filesystem::path& model,
                                    const Params& params, const std::vector<int>& devices,
                                    const RunConfig& config, double& overlap) {
  const std::size_t n = devices.size();
  std::vector<RunResult> results(n);
  std::vector<Clock::time_point> begin(n), end(n);
  std::vector<std::exception_ptr> usage_errors(n);
  std::atomic<bool> load_failed = false;
  std::barrier loaded(static_cast<std::ptrdiff_t>(n)), measuring(static_cast<std::ptrdiff_t>(n));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      RunRecord& r = results[i].record;
      Params p = params;
      p.device = devices[i];
      std::optional<Model> m;
      try {
        m = load_for_benchmark(framework, model, p, config, results[i]);
      } catch (const Error&) {  // the user's input (a GPU that does not exist): rethrown below
        usage_errors[i] = std::current_exception();
      } catch (const std::exception& e) {
        r.status = "failed";
        r.error = e.what();
        r.error_phase = "load";
      }
      if (!m) load_failed = true;
      loaded.arrive_and_wait();
      begin[i] = end[i] = Clock::now();
      bool arrived = false;
      std::string phase = "warmup";
      if (m && !load_failed) {
        try {
          measure_loaded(*m, model, config, results[i], [&](const std::string& name) {
            phase = name;
            if (name != "measure") return;
            arrived = true;
            measuring.arrive_and_wait();
            begin[i] = Clock::now();
          });
        } catch (const std::exception& e) {
          r.status = "failed";
          r.error = e.what();
          r.error_phase = phase;
        }
      } else if (m) {
        r.status = "failed";
        r.error = "not measured: another device failed to load";
        r.error_phase = "load";
      }
      if (!arrived) measuring.arrive_and_drop();
      end[i] = Clock::now();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : usage_errors) {
    if (e) std::rethrow_exception(e);
  }
  // One process: the host-memory probe's peak is the process's, reset by each device's thread.
  for (auto& r : results) {
    r.record.host_peak_rss_load_bytes.reset();
    r.record.host_peak_rss_inference_bytes.reset();
    if (r.record.status == "ok")
      warn(r.record, "host memory not measured per device (one process for all devices)");
  }
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
