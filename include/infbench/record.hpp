#pragma once
// One flat result record per run. Its field list is written once, in visit_fields(), and every
// reporter (console, JSON, later the database and CSV) walks it: no schema is listed twice.
// Units are in the names. std::nullopt means "not measured" (never a fake zero).
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace infbench {

inline constexpr int kRecordSchemaVersion = 3;  // 2: GPU fields; 3: accuracy fields

struct RunRecord {
  // What ran
  std::string model;
  std::string framework;
  std::string framework_version;
  std::string scenario;
  std::int64_t batch_size = 0;
  std::int64_t samples_per_query = 0;
  std::int64_t threads = 0;
  std::int64_t device = -1;
  std::string precision;
  std::string optimization;
  std::string requested_settings;  // key=value;... as asked
  std::string effective_settings;  // key=value;... in force after defaults
  std::int64_t seed = 0;
  bool overlap = true;
  // Outcome
  std::string status = "ok";  // ok | failed | interrupted
  std::string error;
  std::string error_phase;  // load | warmup | measure
  std::string warnings;
  // Accuracy (docs/metrics.md "Accuracy"): the first output's deviation from the fp32 reference on
  // the same inputs, at the point's batch size, and the verdict of the precision's gate: "pass",
  // "fail: <metric> <value> outside <gate>", or "" = not checked (the reason is in warnings).
  std::optional<double> accuracy_max_rel_error;   // max |y - ref| / max |ref|
  std::optional<double> accuracy_cosine;          // min over samples of cosine(y, ref)
  std::optional<double> accuracy_top1_agreement;  // share of samples with the reference's top-1
  std::optional<double> accuracy_top1;  // top-1 on the labelled set (real weights + labels only)
  std::string accuracy_gate;
  // Throughput and latency of the measured phase
  std::int64_t samples_completed = 0;
  std::int64_t queries_completed = 0;
  double duration_s = 0;
  double throughput_samples_per_s = 0;
  double queries_per_s = 0;
  std::optional<double> latency_min_ms, latency_mean_ms, latency_p50_ms, latency_p90_ms,
      latency_p95_ms, latency_p99_ms, latency_p999_ms, latency_max_ms, latency_stddev_ms;
  std::optional<double> latency_cv;
  std::optional<double> batch_compute_mean_ms;  // time inside the framework call per batch
  // GPU input staging (docs/metrics.md): mean host-to-device copy per batch, and the share of
  // copy time that overlapped framework calls. Not measured on the CPU or without staging.
  std::optional<double> h2d_copy_mean_ms, copy_hidden_fraction;
  std::optional<bool> stable;  // nullopt: too few queries to judge (docs/metrics.md)
  // Server scenario
  std::optional<double> target_qps, issued_qps, arrival_gap_cv, latency_bound_ms;
  std::string server_verdict;  // VALID | INVALID (reason) | empty outside the server scenario
  // server --find-peak: every step and back-off, "QPS: outcome" joined by "; " (the database's
  // copy of RunResult::peak_search)
  std::string peak_search;
  // Repeats
  std::int64_t repeats = 1;
  std::optional<double> throughput_cv;  // stddev / mean of the repeats' throughputs (>= 2)
  std::optional<double> throughput_ci95_low, throughput_ci95_high, latency_p99_ci95_low_ms,
      latency_p99_ci95_high_ms;
  // Load (cold start)
  std::optional<double> load_time_s, load_read_s, load_optimize_s;
  std::string load_phases;  // phase=seconds;... as the adapter marked them
  std::string cache;        // not_used | miss | hit
  std::optional<double> first_inference_s, settle_time_s;
  double warmup_s = 0;
  std::int64_t warmup_queries = 0;
  // Host memory
  std::optional<std::int64_t> host_rss_baseline_bytes, host_peak_rss_load_bytes,
      host_peak_rss_inference_bytes;
  // Power and energy of the measured phase
  std::string power_source;  // e.g. "rapl", "nvml", empty = none available
  std::optional<double> idle_power_w, power_mean_w, energy_j, energy_above_idle_j,
      energy_per_sample_j;
  // GPU telemetry of the measured phase (NVML, 100 ms samples) and the framework's allocator
  std::optional<double> power_max_w, gpu_sm_clock_min_mhz, gpu_sm_clock_mean_mhz;
  std::optional<std::int64_t> gpu_throttle_reasons;   // union of NVML reason bits seen
  std::optional<std::int64_t> gpu_memory_idle_bytes;  // device memory in use at the idle baseline
  std::optional<std::int64_t> gpu_memory_used_peak_bytes;      // device-wide, NVML
  std::optional<std::int64_t> gpu_alloc_reserved_peak_bytes;   // framework allocator, held
  std::optional<std::int64_t> gpu_alloc_allocated_peak_bytes;  // framework allocator, in tensors
  // Roofline (docs/metrics.md): the zoo manifest's FLOPs per sample (2 x multiply-accumulates of
  // conv and linear layers), the FLOP rate achieved, the device's peak measured by a GEMM probe at
  // the start of the run, and the host-to-device copy bound (GPU only).
  std::optional<std::int64_t> flops_per_sample;
  std::optional<double> achieved_tflops, peak_tflops, peak_compute_share;
  std::optional<double> copy_bound_samples_per_s, copy_bound_share;
  // What each sample fed the model ("input:uint8[224,224,3]"; inputs joined by ", ") and its bytes,
  // which is what a GPU run copies to the device per sample.
  std::string input_spec;
  std::optional<std::int64_t> input_bytes_per_sample;
  std::string peak_probe;  // how the peak was measured, or why not ("not measured: ...")
  // NVML clock-event reasons of the measured phase: share of samples with the SW power cap bit,
  // and the names of every reason seen ("none" when NVML saw none, empty without NVML).
  std::optional<double> gpu_power_capped_fraction;
  std::string gpu_throttle_summary;
  // Provenance: the commit infbench was built from ("-dirty" with local changes), host, device.
  std::string commit, host, device_name;
};

// Calls v(name, field) for every field, in the documented order.
template <class Record, class Visitor>
requires std::same_as<std::remove_const_t<Record>, RunRecord>
void visit_fields(Record& r, Visitor&& v) {
  v("model", r.model);
  v("framework", r.framework);
  v("framework_version", r.framework_version);
  v("scenario", r.scenario);
  v("batch_size", r.batch_size);
  v("samples_per_query", r.samples_per_query);
  v("threads", r.threads);
  v("device", r.device);
  v("precision", r.precision);
  v("optimization", r.optimization);
  v("requested_settings", r.requested_settings);
  v("effective_settings", r.effective_settings);
  v("seed", r.seed);
  v("overlap", r.overlap);
  v("status", r.status);
  v("error", r.error);
  v("error_phase", r.error_phase);
  v("warnings", r.warnings);
  v("accuracy_max_rel_error", r.accuracy_max_rel_error);
  v("accuracy_cosine", r.accuracy_cosine);
  v("accuracy_top1_agreement", r.accuracy_top1_agreement);
  v("accuracy_top1", r.accuracy_top1);
  v("accuracy_gate", r.accuracy_gate);
  v("samples_completed", r.samples_completed);
  v("queries_completed", r.queries_completed);
  v("duration_s", r.duration_s);
  v("throughput_samples_per_s", r.throughput_samples_per_s);
  v("queries_per_s", r.queries_per_s);
  v("latency_min_ms", r.latency_min_ms);
  v("latency_mean_ms", r.latency_mean_ms);
  v("latency_p50_ms", r.latency_p50_ms);
  v("latency_p90_ms", r.latency_p90_ms);
  v("latency_p95_ms", r.latency_p95_ms);
  v("latency_p99_ms", r.latency_p99_ms);
  v("latency_p999_ms", r.latency_p999_ms);
  v("latency_max_ms", r.latency_max_ms);
  v("latency_stddev_ms", r.latency_stddev_ms);
  v("latency_cv", r.latency_cv);
  v("batch_compute_mean_ms", r.batch_compute_mean_ms);
  v("h2d_copy_mean_ms", r.h2d_copy_mean_ms);
  v("copy_hidden_fraction", r.copy_hidden_fraction);
  v("stable", r.stable);
  v("target_qps", r.target_qps);
  v("issued_qps", r.issued_qps);
  v("arrival_gap_cv", r.arrival_gap_cv);
  v("latency_bound_ms", r.latency_bound_ms);
  v("server_verdict", r.server_verdict);
  v("peak_search", r.peak_search);
  v("repeats", r.repeats);
  v("throughput_cv", r.throughput_cv);
  v("throughput_ci95_low", r.throughput_ci95_low);
  v("throughput_ci95_high", r.throughput_ci95_high);
  v("latency_p99_ci95_low_ms", r.latency_p99_ci95_low_ms);
  v("latency_p99_ci95_high_ms", r.latency_p99_ci95_high_ms);
  v("load_time_s", r.load_time_s);
  v("load_read_s", r.load_read_s);
  v("load_optimize_s", r.load_optimize_s);
  v("load_phases", r.load_phases);
  v("cache", r.cache);
  v("first_inference_s", r.first_inference_s);
  v("settle_time_s", r.settle_time_s);
  v("warmup_s", r.warmup_s);
  v("warmup_queries", r.warmup_queries);
  v("host_rss_baseline_bytes", r.host_rss_baseline_bytes);
  v("host_peak_rss_load_bytes", r.host_peak_rss_load_bytes);
  v("host_peak_rss_inference_bytes", r.host_peak_rss_inference_bytes);
  v("power_source", r.power_source);
  v("idle_power_w", r.idle_power_w);
  v("power_mean_w", r.power_mean_w);
  v("energy_j", r.energy_j);
  v("energy_above_idle_j", r.energy_above_idle_j);
  v("energy_per_sample_j", r.energy_per_sample_j);
  v("power_max_w", r.power_max_w);
  v("gpu_sm_clock_min_mhz", r.gpu_sm_clock_min_mhz);
  v("gpu_sm_clock_mean_mhz", r.gpu_sm_clock_mean_mhz);
  v("gpu_throttle_reasons", r.gpu_throttle_reasons);
  v("gpu_memory_idle_bytes", r.gpu_memory_idle_bytes);
  v("gpu_memory_used_peak_bytes", r.gpu_memory_used_peak_bytes);
  v("gpu_alloc_reserved_peak_bytes", r.gpu_alloc_reserved_peak_bytes);
  v("gpu_alloc_allocated_peak_bytes", r.gpu_alloc_allocated_peak_bytes);
  v("flops_per_sample", r.flops_per_sample);
  v("achieved_tflops", r.achieved_tflops);
  v("peak_tflops", r.peak_tflops);
  v("peak_compute_share", r.peak_compute_share);
  v("copy_bound_samples_per_s", r.copy_bound_samples_per_s);
  v("copy_bound_share", r.copy_bound_share);
  v("input_spec", r.input_spec);
  v("input_bytes_per_sample", r.input_bytes_per_sample);
  v("peak_probe", r.peak_probe);
  v("gpu_power_capped_fraction", r.gpu_power_capped_fraction);
  v("gpu_throttle_summary", r.gpu_throttle_summary);
  v("commit", r.commit);
  v("host", r.host);
  v("device_name", r.device_name);
}

// Per-repeat figures, kept so that statistics can be recomputed.
struct RepeatResult {
  double throughput_samples_per_s = 0;
  double latency_p99_ms = 0;
  double duration_s = 0;
};

// Everything one run produced: the flat record plus raw data.
struct RunResult {
  RunRecord record;
  std::vector<double> latencies_ms;  // every measured query, all repeats, in completion order
  std::vector<RepeatResult> repeat_results;
  std::vector<std::pair<double, std::string>> peak_search;  // server --find-peak: qps, outcome
  std::vector<std::pair<std::string, std::string>> environment;
};

}  // namespace infbench
