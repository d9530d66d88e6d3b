#include "phase_summary.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/stats.hpp"

namespace infbench {
namespace {

// Throughput in three equal windows of the phase, for perf_analyzer's stability rule.
std::vector<double> window_throughputs(const PhaseResult& phase) {
  const double total = phase.duration_s();
  if (total <= 0) return {};
  std::vector<double> samples(3, 0.0);
  for (std::size_t i = 0; i < phase.completions.size(); ++i) {
    const double t = std::chrono::duration<double>(phase.completions[i] - phase.start).count();
    samples[std::min<std::size_t>(2, static_cast<std::size_t>(3 * t / total))] +=
        static_cast<double>(phase.completion_samples[i]);
  }
  for (auto& s : samples) s /= total / 3;
  return samples;
}

void fill_latency_stats(RunResult& result) {
  auto& r = result.record;
  auto& lat = result.latencies_ms;
  if (lat.empty()) return;
  std::vector<double> sorted = lat;
  std::sort(sorted.begin(), sorted.end());
  r.latency_min_ms = sorted.front();
  r.latency_max_ms = sorted.back();
  r.latency_mean_ms = mean(sorted);
  r.latency_p50_ms = percentile_sorted(sorted, 0.50);
  r.latency_p90_ms = percentile_sorted(sorted, 0.90);
  r.latency_p95_ms = percentile_sorted(sorted, 0.95);
  r.latency_p99_ms = percentile_sorted(sorted, 0.99);
  r.latency_p999_ms = percentile_sorted(sorted, 0.999);
  r.latency_stddev_ms = stddev(sorted);
  r.latency_cv = *r.latency_stddev_ms / *r.latency_mean_ms;
}

}  // namespace

std::optional<double> value_of(const ProbeValues& values, const std::string& key) {
  for (const auto& [k, v] : values) {
    if (k == key) return v;
  }
  return std::nullopt;
}

void warn(RunRecord& r, const std::string& message) {
  r.warnings += (r.warnings.empty() ? "" : "; ") + message;
}

// Time from the first inference's start until the first query after which three consecutive
// latencies lie within +-10 % of the measured median. nullopt if that never happens.
std::optional<double> settle_time_s(Clock::time_point first_start,
                                    const std::vector<const PhaseResult*>& phases,
                                    double median_ms) {
  int in_band = 0;
  for (const auto* phase : phases) {
    for (std::size_t i = 0; i < phase->latencies_ms.size(); ++i) {
      in_band = std::abs(phase->latencies_ms[i] - median_ms) <= 0.1 * median_ms ? in_band + 1 : 0;
      if (in_band == 3) {
        return std::chrono::duration<double>(phase->completions[i] - first_start).count();
      }
    }
  }
  return std::nullopt;
}

std::string throttle_reason_names(unsigned long long mask) {
  // nvmlClocksEventReason* bits (nvml.h, stable since NVML 4).
  static constexpr std::pair<unsigned long long, const char*> kNames[] = {
      {0x1, "gpu_idle"},
      {0x2, "applications_clocks_setting"},
      {0x4, "sw_power_cap"},
      {0x8, "hw_slowdown"},
      {0x10, "sync_boost"},
      {0x20, "sw_thermal_slowdown"},
      {0x40, "hw_thermal_slowdown"},
      {0x80, "hw_power_brake_slowdown"},
      {0x100, "display_clock_setting"}};
  if (mask == 0) return "none";
  std::string out;
  for (int bit = 0; bit < 64; ++bit) {
    const unsigned long long b = 1ULL << bit;
    if ((mask & b) == 0) continue;
    std::string name = "bit" + std::to_string(bit);
    for (const auto& [value, text] : kNames) {
      if (value == b) name = text;
    }
    out += (out.empty() ? "" : ",") + name;
  }
  return out;
}

void MeasuredPhases::add_probe_values(const ProbeValues& values) {
  if (const auto e = value_of(values, "energy_j")) energy_j = energy_j.value_or(0) + *e;
  auto keep_max = [&](std::optional<double>& into, const char* key) {
    if (const auto v = value_of(values, key)) into = std::max(into.value_or(*v), *v);
  };
  keep_max(power_max_w, "power_max_w");
  keep_max(memory_peak_bytes, "gpu_memory_used_bytes");
  if (const auto v = value_of(values, "gpu_sm_clock_mhz")) {
    clock_min_mhz = std::min(clock_min_mhz.value_or(*v), *v);
  }
  if (const auto v = value_of(values, "gpu_sm_clock_mean_mhz")) {  // mean of repeat means
    clock_mean_mhz = (clock_mean_mhz.value_or(0) * clock_means + *v) / (clock_means + 1);
    ++clock_means;
  }
  if (const auto t = value_of(values, "gpu_throttle_reasons")) {
    throttle_mask = throttle_mask.value_or(0) | static_cast<unsigned long long>(*t);
  }
  throttle_samples += value_of(values, "gpu_throttle_samples").value_or(0);
  power_capped_samples += value_of(values, "gpu_power_capped_samples").value_or(0);
  probe_s += value_of(values, "duration_s").value_or(0);
}

void fill_measurement(RunResult& result, const MeasuredPhases& m, const RunConfig& config,
                      std::optional<double> idle_w) {
  auto& r = result.record;
  double duration = 0, compute = 0, batches = 0, copy = 0, copy_hidden = 0;
  bool staged = !m.phases.empty();
  std::vector<double> throughputs, p99s;
  bool windows_ok = true, few_queries = false;
  for (const auto& phase : m.phases) {
    result.latencies_ms.insert(result.latencies_ms.end(), phase.latencies_ms.begin(),
                               phase.latencies_ms.end());
    r.samples_completed += phase.samples;
    r.queries_completed += phase.queries;
    duration += phase.duration_s();
    compute += phase.compute_s;
    batches += static_cast<double>(phase.batches);
    staged = staged && phase.staged;
    copy += phase.copy_s;
    copy_hidden += phase.copy_hidden_s;
    if (phase.duration_s() <= 0) continue;
    const double throughput = static_cast<double>(phase.samples) / phase.duration_s();
    const double p99 = percentile(phase.latencies_ms, 0.99);
    result.repeat_results.push_back({throughput, p99, phase.duration_s()});
    throughputs.push_back(throughput);
    p99s.push_back(p99);
    // Thirds of a run with few completions differ by quantisation alone: judge only >= 30 queries.
    if (phase.queries >= 30) {
      windows_ok = windows_ok && windows_stable(window_throughputs(phase));
    } else {
      few_queries = true;
    }
  }
  r.duration_s = duration;
  r.repeats = static_cast<std::int64_t>(m.phases.size());
  r.throughput_samples_per_s = throughputs.empty() ? 0 : mean(throughputs);
  r.queries_per_s = duration > 0 ? static_cast<double>(r.queries_completed) / duration : 0;
  if (batches > 0) r.batch_compute_mean_ms = 1000 * compute / batches;
  if (staged && batches > 0 && copy > 0) {
    r.h2d_copy_mean_ms = 1000 * copy / batches;
    r.copy_hidden_fraction = copy_hidden / copy;
  }
  if (!m.phases.empty() && !m.phases.front().staging_note.empty()) {
    warn(r, m.phases.front().staging_note);
  }
  fill_latency_stats(result);
  if (const auto ci = bootstrap_mean_ci(throughputs, config.seed)) {
    r.throughput_ci95_low = ci->low;
    r.throughput_ci95_high = ci->high;
  }
  if (const auto ci = bootstrap_mean_ci(p99s, config.seed + 1)) {
    r.latency_p99_ci95_low_ms = ci->low;
    r.latency_p99_ci95_high_ms = ci->high;
  }
  // Stability (docs/metrics.md): repeats whose throughput CV exceeds the bound are unstable
  // whatever their length; otherwise a judgement needs >= 30 queries in every measured phase.
  std::optional<double> repeat_cv;
  if (throughputs.size() > 1) repeat_cv = stddev(throughputs) / mean(throughputs);
  r.throughput_cv = repeat_cv;
  const bool cv_over = repeat_cv && *repeat_cv > config.max_repeat_cv;
  if (cv_over) {
    r.stable = false;
  } else if (!few_queries) {
    r.stable = windows_ok;
  }
  if (!windows_ok) warn(r, "unstable: throughput of a third of the run differs >10% from the mean");
  if (few_queries) warn(r, "stability not assessed: fewer than 30 queries in a measured phase");
  if (cv_over) {
    warn(r, "unstable: repeats' throughput CV " + std::to_string(*repeat_cv) + " > " +
                std::to_string(config.max_repeat_cv));
  }

  if (const auto energy = m.energy_j; energy && m.probe_s > 0) {
    r.energy_j = energy;
    r.power_mean_w = *energy / m.probe_s;
    if (idle_w) r.energy_above_idle_j = *energy - *idle_w * m.probe_s;
    if (r.samples_completed > 0)
      r.energy_per_sample_j = *energy / static_cast<double>(r.samples_completed);
  }
  if (m.power_max_w && r.power_source == "nvml") r.power_max_w = m.power_max_w;
  r.gpu_sm_clock_min_mhz = m.clock_min_mhz;
  r.gpu_sm_clock_mean_mhz = m.clock_mean_mhz;
  if (m.memory_peak_bytes) {
    r.gpu_memory_used_peak_bytes = static_cast<std::int64_t>(*m.memory_peak_bytes);
  }
  if (m.throttle_mask) {
    r.gpu_throttle_reasons = static_cast<std::int64_t>(*m.throttle_mask);
    r.gpu_throttle_summary = throttle_reason_names(*m.throttle_mask);
  }
  if (m.throttle_samples > 0)
    r.gpu_power_capped_fraction = m.power_capped_samples / m.throttle_samples;
  // Bits 0x1 (GPU idle) and 0x2 (application clocks setting) are not slowdowns.
  if (m.throttle_mask && (*m.throttle_mask & ~0x3ULL) != 0) {
    warn(r, "GPU clocks were throttled during the run (NVML reasons mask " +
                std::to_string(*m.throttle_mask) + ")");
  }
}

void fill_server(RunResult& result, const MeasuredPhases& m, const RunConfig& config, double qps) {
  auto& r = result.record;
  r.target_qps = qps;
  if (config.latency_bound_ms > 0) r.latency_bound_ms = config.latency_bound_ms;
  std::vector<double> issued, cvs;
  bool overloaded = false;
  for (const auto& phase : m.phases) {
    overloaded = overloaded || phase.overloaded;
    if (phase.issued_qps > 0) {
      issued.push_back(phase.issued_qps);
      cvs.push_back(phase.gap_cv);
    }
  }
  if (!issued.empty()) {
    r.issued_qps = mean(issued);
    r.arrival_gap_cv = mean(cvs);
  }
  if (overloaded) {
    r.server_verdict = "INVALID (target QPS not reached: backlog exceeded one second of arrivals)";
    warn(r, "target QPS " + std::to_string(qps) + " cannot be served by this configuration");
  } else if (config.latency_bound_ms > 0 && r.latency_p99_ms &&
             *r.latency_p99_ms > config.latency_bound_ms) {
    r.server_verdict = "INVALID (p99 over the latency bound)";
  } else {
    r.server_verdict = "VALID";
  }
}

}  // namespace infbench
