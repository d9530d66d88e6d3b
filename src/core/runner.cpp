// Orchestrates one benchmark run: load (timed and probed), sample pool, first inference,
// warm-up, optional peak search, measured repeats, statistics. docs/metrics.md is the contract.
#include "infbench/runner.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/stats.hpp"
#include "idle_baseline.hpp"
#include "infbench/environment.hpp"
#include "infbench/model.hpp"
#include "infbench/npy.hpp"
#include "infbench/probe.hpp"
#include "phase_summary.hpp"
#include "reference_check.hpp"
#include "roofline.hpp"
#include "scenarios.hpp"
#include "zoo_manifest.hpp"

namespace infbench {
namespace {

std::string join_settings(const Settings& settings) {
  std::string out;
  for (const auto& [k, v] : settings) out += (out.empty() ? "" : ";") + k + "=" + v;
  return out;
}

std::string requested_settings(const Params& p) {
  Settings s;
  visit_fields(p, [&](const char* name, const auto& field) {
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::string>) {
      s.emplace_back(name, field);
    } else if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::filesystem::path>) {
      s.emplace_back(name, field.string());
    } else {
      s.emplace_back(name, std::to_string(field));
    }
  });
  for (const auto& kv : p.options) s.push_back(kv);
  return join_settings(s);
}

// Per-sample input shapes: --input-shape first, then the model's own record, then the model zoo's
// manifest (TorchScript records no shapes).
std::vector<Shape> sample_shapes(const Signature& sig, const RunConfig& config,
                                 const std::filesystem::path& model_path) {
  // ...also where a per-sample dimension is dynamic (the PaddleOCR classifier's height and width).
  const auto unknown_sample_shape = [](const TensorSpec& in) {
    return !in.shape_known || std::any_of(in.shape.begin() + (in.shape.empty() ? 0 : 1),
                                          in.shape.end(), [](auto d) { return d < 0; });
  };
  if (config.sample_shapes.empty() &&
      std::any_of(sig.inputs.begin(), sig.inputs.end(), unknown_sample_shape)) {
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
    return SamplePool::random(fed_inputs(model, path, config),
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

void describe_inputs(RunRecord& r, const std::vector<TensorSpec>& specs, const SamplePool& pool) {
  std::int64_t bytes = 0;
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < pool.tensors().size(); ++i) {
    const auto& t = pool.tensors()[i];
    bytes += static_cast<std::int64_t>(t.sample_bytes());
    const Shape sample(t.shape().begin() + 1, t.shape().end());
    parts.push_back(fmt::format("{}:{}[{}]", i < specs.size() ? specs[i].name : "input",
                                to_string(t.dtype()), fmt::join(sample, ",")));
  }
  r.input_spec = fmt::format("{}", fmt::join(parts, ", "));
  r.input_bytes_per_sample = bytes;
}

PhaseLimits measure_limits(const RunConfig& c) {
  return {c.min_duration_s, c.min_queries, c.max_duration_s};
}

// The highest Poisson rate whose p99 stays under the bound (LoadGen's FindPeakPerformance idea):
// the bracket starts at 1.1 x the warm-up's closed-loop throughput and is doubled while its top
// still meets the bound (the warm-up can understate the steady rate many times over: LibTorch's
// profiling runs, cuDNN autotuning and CUDA-graph capture fall in it), then bisected.
double find_peak_qps(Model& model, const SamplePool& pool, const RunConfig& config,
                     double offline_throughput, SampleSequence& seq, RunResult& result) {
  const PhaseLimits step{config.peak_step_duration_s, config.min_queries,
                         config.peak_step_duration_s * 4};
  int steps = 0;
  const auto meets_bound = [&](double qps) {
    const auto phase = run_phase(model, pool, config, step, qps, seq, config.seed + 100 + steps++);
    const double p99 = phase.latencies_ms.empty() ? INFINITY : percentile(phase.latencies_ms, 0.99);
    const bool ok = !phase.overloaded && p99 <= config.latency_bound_ms;
    result.peak_search.emplace_back(
        qps, ok ? "valid, p99 " + std::to_string(p99) + " ms"
                : (phase.overloaded ? std::string("overloaded")
                                    : "p99 " + std::to_string(p99) + " ms over bound"));
    return ok;
  };
  double low = 0, high = std::max(1.0, offline_throughput * 1.1);
  for (int raise = 0; raise < 6 && !interrupt_flag() && meets_bound(high); ++raise) {
    low = high;
    high *= 2;
  }
  // Nothing met the bound after 8 steps (rates down to ~1/256 of the first): stop, as before.
  while (steps < 12 && (high - low) > 0.02 * high && !(low == 0 && steps >= 8) &&
         !interrupt_flag()) {
    const double qps = (low + high) / 2;
    (meets_bound(qps) ? low : high) = qps;
  }
  return low;
}

// Backing off by 10 % at most this often after the measured repeats miss the bound (27 % in all).
constexpr int kPeakBackOffs = 3;

bool repeats_meet_bound(const MeasuredPhases& m, double bound_ms) {
  std::vector<double> latencies;
  for (const auto& phase : m.phases) {
    if (phase.overloaded) return false;
    latencies.insert(latencies.end(), phase.latencies_ms.begin(), phase.latencies_ms.end());
  }
  return !latencies.empty() && percentile(latencies, 0.99) <= bound_ms;
}

}  // namespace

std::atomic<bool>& interrupt_flag() {
  static std::atomic<bool> flag = false;
  return flag;
}

namespace {

void describe_run(std::string_view framework, const std::filesystem::path& model_path,
                  const Params& params, const RunConfig& config, RunRecord& r) {
  r.model = model_path.string();
  r.framework = std::string(framework);
  r.scenario = std::string(to_string(config.scenario));
  r.batch_size = params.batch_size;
  r.device = params.device;
  r.precision = params.precision;
  r.requested_settings = requested_settings(params);
  r.seed = static_cast<std::int64_t>(config.seed);
  r.overlap = config.overlap;
  r.warmup_s = config.warmup_s;
  r.warmup_queries = config.warmup_queries;
  r.commit = build_commit();
  r.host = this_host();
  r.device_name = device_description(params.device);
}

}  // namespace

std::optional<Model> load_for_benchmark(std::unique_ptr<Backend> backend,
                                        const std::filesystem::path& model_path,
                                        const Params& params, const RunConfig& config,
                                        RunResult& result) {
  check_config(config);
  RunRecord& r = result.record;
  const BackendInfo info = backend->info();
  describe_run(info.name, model_path, params, config, r);
  if (result.environment.empty()) {
    result.environment = collect_environment({{info.name, info.framework_version}});
  }
  if (is_debug_build()) warn(r, "DEBUG BUILD: timings are not representative");
  // The idle baseline, once per device and process, before anything loads (cached afterwards).
  idle_baseline(params.device, config.idle_power_s);

  // Load, with the host memory it takes.
  auto memory = make_host_memory_probe();
  r.host_rss_baseline_bytes = current_rss_bytes();
  memory->start();
  std::optional<Model> model;
  try {
    model.emplace(Model::load(std::move(backend), model_path, params));
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
  r.device = model->device();
  r.device_name = device_description(r.device);
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

namespace {

// The point's configuration as it runs: server batches padded to powers of two where the model
// sets itself up per input shape (LoadResult::per_shape_setup; measured on the H200 for LibTorch
// with CUDA graphs: 3.3x the server peak, results/h200/session12/). The record's effective
// settings name the padding: "on" asked for, "auto" chosen here.
RunConfig effective_config(const Model& model, const RunConfig& requested, RunRecord& r) {
  RunConfig config = requested;
  const bool automatic = config.scenario == Scenario::server &&
                         model.load_result().per_shape_setup && !config.pad_batches_pow2;
  config.pad_batches_pow2 = config.pad_batches_pow2 || automatic;
  if (config.pad_batches_pow2) {
    r.effective_settings += std::string(r.effective_settings.empty() ? "" : ";") +
                            "pad_batches_pow2=" + (automatic ? "auto" : "on");
  }
  return config;
}

}  // namespace

void measure_loaded(Model& model, const std::filesystem::path& model_path,
                    const RunConfig& requested, RunResult& result,
                    const std::function<void(const std::string&)>& on_phase) {
  check_config(requested);
  RunRecord& r = result.record;
  const RunConfig config = effective_config(model, requested, r);
  r.scenario = std::string(to_string(config.scenario));
  r.batch_size = model.batch_size();
  r.samples_per_query = config.scenario == Scenario::multi_stream ? config.samples_per_query
                        : config.scenario == Scenario::offline    ? model.batch_size()
                                                                  : 1;
  r.requested_settings = std::regex_replace(r.requested_settings, std::regex("batch_size=[0-9]+"),
                                            "batch_size=" + std::to_string(model.batch_size()));
  auto memory = make_host_memory_probe();
  const SamplePool pool = make_pool(model, config, model_path);
  // Not timed, before the warm-up and the probes: at the batch size this point measures.
  check_accuracy(model, model_path, config, r);
  SampleSequence seq(pool.size(), config.seed);
  const std::string* phase_name = nullptr;
  static const std::string kWarmup = "warmup", kMeasure = "measure";
  MeasuredPhases measured;
  std::optional<double> idle_w;
  // The device's peaks for the roofline: measured by the first point of a process (cached), before
  // this point's host-memory probe starts; the compute peak only where the model's FLOPs are known.
  const auto flops = manifest_flops_per_sample(model_path);
  const PeakMeasurement compute_peak =
      flops ? device_peak_tflops(model.device(), peak_precision(r.precision, r.effective_settings),
                                 r.threads > 0 ? r.threads : default_thread_count())
            : PeakMeasurement{std::nullopt, "not measured: the model's FLOPs are unknown"};
  const PeakMeasurement h2d = device_h2d_bytes_per_s(model.device());
  try {
    phase_name = &kWarmup;
    if (on_phase) on_phase(kWarmup);
    memory->start();
    // The framework allocator's peaks cover first inference, warm-up and measurement.
    const auto& allocator = model.info().allocator_peaks;
    const int gpu = model.device();
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
    // Padded batch sizes: each smaller power of two once, so that a graph capture or an
    // autotuning pass per shape happens here and not inside the measured latencies.
    if (config.pad_batches_pow2) {
      for (int rows = 1; rows < model.batch_size() && !interrupt_flag(); rows *= 2) {
        first_config.samples_per_query = rows;
        run_phase(model, pool, first_config, {0, 1, 3600}, 0, seq, config.seed);
      }
    }
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

    auto probes = available_power_probes(gpu);
    for (const auto& why : power_probe_absences(gpu)) warn(r, why);
    if (!probes.empty()) {
      r.power_source = probes.front()->name();
      const IdleBaseline idle = idle_baseline(gpu, config.idle_power_s);
      idle_w = idle.watts;
      r.idle_power_w = idle_w;
      if (!idle_w) warn(r, idle.note);
      if (gpu >= 0) {  // device memory in use before measuring: one telemetry sample
        probes.front()->start();
        if (const auto used = value_of(probes.front()->stop(), "gpu_memory_used_bytes")) {
          r.gpu_memory_idle_bytes = static_cast<std::int64_t>(*used);
        }
      }
    }

    double qps = config.target_qps;
    bool peak_found = false;
    if (config.scenario == Scenario::server && config.find_peak) {
      const double offline =
          warm.duration_s() > 0 ? static_cast<double>(warm.samples) / warm.duration_s() : 1;
      qps = find_peak_qps(model, pool, config, offline, seq, result);
      peak_found = qps > 0;
      if (!peak_found) {
        warn(r, "no tried QPS met the latency bound; measured at the lowest tried rate");
        qps = result.peak_search.empty() ? 1 : result.peak_search.back().first;
      }
    }
    phase_name = &kMeasure;
    if (on_phase) on_phase(kMeasure);
    PhaseLimits limits = measure_limits(config);
    if (warm.batches > 0) limits.warm_batch_s = warm.compute_s / static_cast<double>(warm.batches);
    for (int back_off = 0;; ++back_off) {
      for (int k = 0; k < config.repeat && !interrupt_flag(); ++k) {
        if (!probes.empty()) probes.front()->start();
        measured.phases.push_back(run_phase(model, pool, config, limits, qps, seq,
                                            config.seed + 10 + static_cast<std::uint64_t>(k)));
        if (!probes.empty()) measured.add_probe_values(probes.front()->stop());
      }
      // A rate found by short steps can fail when measured longer (near saturation the queue
      // keeps growing: XLA on the H200, 34.6k/s valid in 2 s steps, p99 159 ms over 3 x 3 s).
      // The reported peak must be one whose measured repeats meet the bound: back off.
      if (!peak_found || back_off >= kPeakBackOffs || interrupt_flag() ||
          repeats_meet_bound(measured, config.latency_bound_ms)) {
        break;
      }
      result.peak_search.emplace_back(qps, "measured repeats over the bound: backing off by 10 %");
      qps *= 0.9;
      measured = MeasuredPhases{};
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
    describe_inputs(r, model.signature().inputs, pool);
    fill_roofline(r, flops, static_cast<double>(r.input_bytes_per_sample.value_or(0)), compute_peak,
                  h2d);
    if (!h2d.value && model.device() >= 0) warn(r, "copy bound " + h2d.how);
    if (config.scenario == Scenario::server) fill_server(result, measured, config, qps);
    r.peak_search.clear();
    for (const auto& [step_qps, outcome] : result.peak_search) {
      r.peak_search +=
          fmt::format("{}{:.1f}: {}", r.peak_search.empty() ? "" : "; ", step_qps, outcome);
    }
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

RunResult run_benchmark(std::unique_ptr<Backend> backend, const std::filesystem::path& model_path,
                        const Params& params, const RunConfig& config) {
  RunResult result;
  if (auto model = load_for_benchmark(std::move(backend), model_path, params, config, result)) {
    measure_loaded(*model, model_path, config, result);
  }
  return result;
}

}  // namespace infbench
