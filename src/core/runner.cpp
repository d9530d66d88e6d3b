// Orchestrates one benchmark run: load (timed and probed), sample pool, first inference,
// warm-up, optional peak search, measured repeats, statistics. docs/metrics.md is the contract.
#include "infbench/runner.hpp"
#include "infbench/registry.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <regex>

#include "infbench/environment.hpp"
#include "infbench/model.hpp"
#include "infbench/npy.hpp"
#include "infbench/probe.hpp"
#include "infbench/stats.hpp"
#include "scenarios.hpp"
#include "zoo_manifest.hpp"

namespace infbench {
namespace {

struct ScenarioRow {
  Scenario scenario;
  std::string_view name;
};
constexpr std::array<ScenarioRow, 4> kScenarios{{{Scenario::offline, "offline"},
                                                 {Scenario::single_stream, "single-stream"},
                                                 {Scenario::multi_stream, "multi-stream"},
                                                 {Scenario::server, "server"}}};

void check_config(const RunConfig& c) {
  auto bad = [](const std::string& what) { throw Error(ErrorKind::invalid_argument, what); };
  if (c.min_duration_s < 0 || c.max_duration_s <= 0 || c.warmup_s < 0) {
    bad("durations must be >= 0 (--min-duration-s, --warmup-s) and --max-duration-s > 0");
  }
  if (c.min_queries < 1) bad("--min-queries must be >= 1");
  if (c.repeat < 1) bad("--repeat must be >= 1");
  if (c.pool_samples < 1) bad("--pool-samples must be >= 1");
  if (c.samples_per_query < 1) bad("--samples-per-query must be >= 1");
  if (c.scenario == Scenario::server) {
    if (c.find_peak && c.latency_bound_ms <= 0) bad("--find-peak needs --latency-bound-ms > 0");
    if (!c.find_peak && c.target_qps <= 0)
      bad("the server scenario needs --target-qps > 0 (or --find-peak)");
  } else if (c.find_peak || c.target_qps > 0) {
    bad("--target-qps and --find-peak apply to --scenario server only");
  }
}

std::string join_settings(const Settings& settings) {
  std::string out;
  for (const auto& [k, v] : settings) out += (out.empty() ? "" : ";") + k + "=" + v;
  return out;
}

std::string requested_settings(const Params& p) {
  Settings s{{"batch_size", std::to_string(p.batch_size)},
             {"device", std::to_string(p.device)},
             {"threads", std::to_string(p.threads)},
             {"precision", p.precision},
             {"optimization", p.optimization},
             {"cache_dir", p.cache_dir.string()}};
  for (const auto& kv : p.options) s.push_back(kv);
  return join_settings(s);
}

std::optional<double> value_of(const ProbeValues& values, const std::string& key) {
  for (const auto& [k, v] : values) {
    if (k == key) return v;
  }
  return std::nullopt;
}

void warn(RunRecord& r, const std::string& message) {
  r.warnings += (r.warnings.empty() ? "" : "; ") + message;
}

// Per-sample input shapes: --input-shape first, then the model's own record, then the model zoo's
// manifest (TorchScript records no shapes).
std::vector<Shape> sample_shapes(const Signature& sig, const RunConfig& config,
                                 const std::filesystem::path& model_path) {
  if (config.sample_shapes.empty() && std::any_of(sig.inputs.begin(), sig.inputs.end(),
                                                  [](const auto& in) { return !in.shape_known; })) {
    if (auto from_manifest = manifest_sample_shapes(model_path);
        from_manifest && from_manifest->size() == sig.inputs.size()) {
      return *from_manifest;
    }
  }
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < sig.inputs.size(); ++i) {
    const auto& in = sig.inputs[i];
    if (i < config.sample_shapes.size() && !config.sample_shapes[i].empty()) {
      shapes.push_back(config.sample_shapes[i]);
      continue;
    }
    Shape s(in.shape.begin() + (in.shape.empty() ? 0 : 1), in.shape.end());
    const bool unknown =
        !in.shape_known || std::any_of(s.begin(), s.end(), [](auto d) { return d < 0; });
    if (unknown) {
      throw Error(
          ErrorKind::invalid_argument,
          "model input '" + in.name + "' has no fixed per-sample shape " +
              (in.shape_known ? to_string(in.shape) : std::string("(format records none)")) +
              ": pass --input-shape (e.g. 3x224x224) or --input file.npy");
    }
    shapes.push_back(std::move(s));
  }
  return shapes;
}

SamplePool make_pool(const Model& model, const RunConfig& config,
                     const std::filesystem::path& path) {
  if (config.input_files.empty()) {
    return SamplePool::random(model.signature().inputs,
                              sample_shapes(model.signature(), config, path), config.pool_samples,
                              config.seed);
  }
  if (config.input_files.size() != model.signature().inputs.size()) {
    throw Error(ErrorKind::invalid_argument,
                "--input: the model has " + std::to_string(model.signature().inputs.size()) +
                    " inputs; give one .npy per input, in the model's order");
  }
  std::vector<Tensor> tensors;
  for (const auto& f : config.input_files) tensors.push_back(read_npy(f));
  return SamplePool::from_tensors(std::move(tensors));
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

struct MeasuredPhases {
  std::vector<PhaseResult> phases;
  std::optional<double> energy_j;                   // summed over repeats
  std::optional<unsigned long long> throttle_mask;  // union over repeats
  double probe_s = 0;

  std::optional<double> power_max_w, clock_min_mhz, clock_mean_mhz, memory_peak_bytes;
  int clock_means = 0;

  void add_probe_values(const ProbeValues& values) {
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
    probe_s += value_of(values, "duration_s").value_or(0);
  }
};

PhaseLimits measure_limits(const RunConfig& c) {
  return {c.min_duration_s, c.min_queries, c.max_duration_s};
}

// Binary search of the highest Poisson rate whose p99 stays under the bound (LoadGen's
// FindPeakPerformance idea), between 0 and a little above the offline throughput.
double find_peak_qps(Model& model, const SamplePool& pool, const RunConfig& config,
                     double offline_throughput, SampleSequence& seq, RunResult& result) {
  double low = 0, high = std::max(1.0, offline_throughput * 1.1);
  const PhaseLimits step{config.peak_step_duration_s, config.min_queries,
                         config.peak_step_duration_s * 4};
  for (int i = 0; i < 8 && (high - low) > 0.02 * high && !interrupt_flag(); ++i) {
    const double qps = (low + high) / 2;
    const auto phase = run_phase(model, pool, config, step, qps, seq, config.seed + 100 + i);
    const double p99 = phase.latencies_ms.empty() ? INFINITY : percentile(phase.latencies_ms, 0.99);
    const bool ok = !phase.overloaded && p99 <= config.latency_bound_ms;
    result.peak_search.emplace_back(
        qps, ok ? "valid, p99 " + std::to_string(p99) + " ms"
                : (phase.overloaded ? std::string("overloaded")
                                    : "p99 " + std::to_string(p99) + " ms over bound"));
    (ok ? low : high) = qps;
  }
  return low;
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
  const double repeat_cv = throughputs.size() > 1 ? stddev(throughputs) / mean(throughputs) : 0;
  const bool judged = !few_queries || throughputs.size() > 1;
  if (judged) r.stable = windows_ok && repeat_cv <= 0.05;
  if (!windows_ok) warn(r, "unstable: throughput of a third of the run differs >10% from the mean");
  if (few_queries) warn(r, "stability not assessed: fewer than 30 queries in a measured phase");
  if (repeat_cv > 0.05)
    warn(r, "unstable: repeats' throughput CV " + std::to_string(repeat_cv) + " > 0.05");

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
  if (m.throttle_mask) r.gpu_throttle_reasons = static_cast<std::int64_t>(*m.throttle_mask);
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

}  // namespace

std::string_view to_string(Scenario scenario) {
  for (const auto& row : kScenarios) {
    if (row.scenario == scenario) return row.name;
  }
  return "?";
}

Scenario parse_scenario(const std::string& name) {
  for (const auto& row : kScenarios) {
    if (row.name == name) return row.scenario;
  }
  throw Error(ErrorKind::invalid_argument, "scenario '" + name +
                                               "' is unknown; valid: offline, single-stream, "
                                               "multi-stream, server");
}

std::atomic<bool>& interrupt_flag() {
  static std::atomic<bool> flag = false;
  return flag;
}

namespace {

void describe_run(const std::string& framework, const std::filesystem::path& model_path,
                  const Params& params, const RunConfig& config, RunRecord& r) {
  r.model = model_path.string();
  r.framework = framework;
  r.scenario = std::string(to_string(config.scenario));
  r.batch_size = params.batch_size;
  r.device = params.device;
  r.precision = params.precision;
  r.requested_settings = requested_settings(params);
  r.seed = static_cast<std::int64_t>(config.seed);
  r.overlap = config.overlap;
  r.warmup_s = config.warmup_s;
  r.warmup_queries = config.warmup_queries;
}

}  // namespace

std::optional<Model> load_for_benchmark(const std::string& framework,
                                        const std::filesystem::path& model_path,
                                        const Params& params, const RunConfig& config,
                                        RunResult& result) {
  check_config(config);
  RunRecord& r = result.record;
  describe_run(framework, model_path, params, config, r);
  if (result.environment.empty()) result.environment = collect_environment(framework_versions());
  if (is_debug_build()) warn(r, "DEBUG BUILD: timings are not representative");

  // Load, with the host memory it takes.
  auto memory = make_host_memory_probe();
  r.host_rss_baseline_bytes = current_rss_bytes();
  memory->start();
  std::optional<Model> model;
  try {
    model.emplace(Model::load(framework, model_path, params));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::framework) throw;  // the user's input: reported as an error
    r.status = "failed";
    r.error = e.what();
    r.error_phase = "load";
    return std::nullopt;
  }
  if (const auto peak = value_of(memory->stop(), "peak_rss_bytes")) {
    r.host_peak_rss_load_bytes = static_cast<std::int64_t>(*peak);
  }
  r.framework_version = model->info().framework_version;
  r.effective_settings = join_settings(model->effective_settings());
  for (const auto& [k, v] : model->effective_settings()) {
    if (k == "threads") r.threads = std::stoll(v);
    if (k == "optimization") r.optimization = v;
  }
  const auto& timing = model->load_timing();
  r.load_time_s = timing.total_s;
  double read_s = 0, rest_s = 0;
  for (const auto& [phase, s] : timing.phases_s) {
    (phase == "read" ? read_s : rest_s) += s;
    r.load_phases += (r.load_phases.empty() ? "" : ";") + phase + "=" + std::to_string(s);
  }
  if (const auto aot = model->load_result().ahead_of_time_optimize_s) {
    rest_s += *aot;
    r.load_phases += (r.load_phases.empty() ? "" : ";") + std::string("optimize_ahead_of_time=") +
                     std::to_string(*aot);
  }
  r.load_read_s = read_s;
  r.load_optimize_s = rest_s;
  r.cache = std::string(to_string(model->load_result().cache));
  return model;
}

void measure_loaded(Model& model, const std::filesystem::path& model_path, const RunConfig& config,
                    RunResult& result, const std::function<void(const std::string&)>& on_phase) {
  check_config(config);
  RunRecord& r = result.record;
  r.scenario = std::string(to_string(config.scenario));
  r.batch_size = model.batch_size();
  r.samples_per_query = config.scenario == Scenario::multi_stream ? config.samples_per_query
                        : config.scenario == Scenario::offline    ? model.batch_size()
                                                                  : 1;
  r.requested_settings = std::regex_replace(r.requested_settings, std::regex("batch_size=[0-9]+"),
                                            "batch_size=" + std::to_string(model.batch_size()));
  auto memory = make_host_memory_probe();
  const SamplePool pool = make_pool(model, config, model_path);
  SampleSequence seq(pool.size(), config.seed);
  const std::string* phase_name = nullptr;
  static const std::string kWarmup = "warmup", kMeasure = "measure";
  MeasuredPhases measured;
  std::optional<double> idle_w;
  try {
    phase_name = &kWarmup;
    if (on_phase) on_phase(kWarmup);
    memory->start();
    // The framework allocator's peaks cover first inference, warm-up and measurement.
    const auto& allocator = model.info().allocator_peaks;
    const int gpu = static_cast<int>(r.device);
    if (allocator && gpu >= 0) allocator(gpu, true);
    // First inference alone: one batch, timed from issue to completion.
    RunConfig first_config = config;
    first_config.scenario = Scenario::multi_stream;
    first_config.samples_per_query = model.batch_size();
    const auto first = run_phase(model, pool, first_config, {0, 1, 3600}, 0, seq, config.seed);
    if (first.latencies_ms.empty())
      throw Error(ErrorKind::framework, interrupt_flag() ? "interrupted during first inference"
                                                         : "first inference did not complete");
    r.first_inference_s = first.latencies_ms.front() / 1000;
    // Warm-up: single- and multi-stream warm up as they run; offline and server with one batch at
    // a time (closed loop), so that warm-up stops when its limits are met instead of draining a
    // pipeline issued ahead (which costs minutes per point for large models).
    RunConfig warm_config = config;
    if (config.scenario == Scenario::offline || config.scenario == Scenario::server) {
      warm_config.scenario = Scenario::multi_stream;
      warm_config.samples_per_query = model.batch_size();
    }
    const auto warm = run_phase(model, pool, warm_config,
                                {config.warmup_s, config.warmup_queries, config.warmup_s * 4 + 60},
                                0, seq, config.seed + 1);

    auto probes = available_power_probes(static_cast<int>(r.device));
    for (const auto& why : power_probe_absences(static_cast<int>(r.device))) warn(r, why);
    if (!probes.empty()) {
      r.power_source = probes.front()->name();
      probes.front()->start();
      std::this_thread::sleep_for(std::chrono::duration<double>(config.idle_power_s));
      const auto idle = probes.front()->stop();
      if (const auto e = value_of(idle, "energy_j")) idle_w = *e / *value_of(idle, "duration_s");
      r.idle_power_w = idle_w;
      if (const auto used = value_of(idle, "gpu_memory_used_bytes")) {
        r.gpu_memory_idle_bytes = static_cast<std::int64_t>(*used);
      }
    }

    double qps = config.target_qps;
    if (config.scenario == Scenario::server && config.find_peak) {
      const double offline =
          warm.duration_s() > 0 ? static_cast<double>(warm.samples) / warm.duration_s() : 1;
      qps = find_peak_qps(model, pool, config, offline, seq, result);
      if (qps <= 0) {
        warn(r, "no tried QPS met the latency bound; measured at the lowest tried rate");
        qps = result.peak_search.empty() ? 1 : result.peak_search.back().first;
      }
    }
    phase_name = &kMeasure;
    if (on_phase) on_phase(kMeasure);
    for (int k = 0; k < config.repeat && !interrupt_flag(); ++k) {
      if (!probes.empty()) probes.front()->start();
      measured.phases.push_back(run_phase(model, pool, config, measure_limits(config), qps, seq,
                                          config.seed + 10 + static_cast<std::uint64_t>(k)));
      if (!probes.empty()) measured.add_probe_values(probes.front()->stop());
    }
    if (const auto peak = value_of(memory->stop(), "peak_rss_bytes")) {
      r.host_peak_rss_inference_bytes = static_cast<std::int64_t>(*peak);
    }
    if (allocator && gpu >= 0) {
      const auto peaks = allocator(gpu, false);
      r.gpu_alloc_reserved_peak_bytes = static_cast<std::int64_t>(peaks.reserved_bytes);
      r.gpu_alloc_allocated_peak_bytes = static_cast<std::int64_t>(peaks.allocated_bytes);
    }
    fill_measurement(result, measured, config, idle_w);
    if (config.scenario == Scenario::server) fill_server(result, measured, config, qps);
    std::vector<const PhaseResult*> sequence{&first, &warm};
    for (const auto& p : measured.phases) sequence.push_back(&p);
    if (r.latency_p50_ms) {
      r.settle_time_s = settle_time_s(first.start, sequence, *r.latency_p50_ms);
      if (!r.settle_time_s) warn(r, "latency never settled within +-10% of the median");
    }
    const bool interrupted =
        interrupt_flag() || std::any_of(measured.phases.begin(), measured.phases.end(),
                                        [](const auto& p) { return p.interrupted; });
    if (interrupted) r.status = "interrupted";
  } catch (const Error& e) {
    // Ctrl-C during first inference or warm-up ends a phase early: that is an interruption, not
    // a framework failure, and reports and resumed sweeps must be able to tell them apart.
    r.status = interrupt_flag() ? "interrupted" : "failed";
    r.error = e.what();
    r.error_phase = *phase_name;
    if (!measured.phases.empty()) fill_measurement(result, measured, config, idle_w);
  }
}

RunResult run_benchmark(const std::string& framework, const std::filesystem::path& model_path,
                        const Params& params, const RunConfig& config) {
  RunResult result;
  if (auto model = load_for_benchmark(framework, model_path, params, config, result)) {
    measure_loaded(*model, model_path, config, result);
  }
  return result;
}

}  // namespace infbench
