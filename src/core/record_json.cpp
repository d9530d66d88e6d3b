#include <fmt/core.h>

#include <optional>

#include "core/record_json.hpp"
#include "roofline.hpp"

namespace infbench {
namespace {

template <class T>
nlohmann::ordered_json value(const T& v) {
  return nlohmann::ordered_json(v);
}
template <class T>
nlohmann::ordered_json value(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

template <class T>
std::string show(const std::optional<T>& v, const char* format = "{:.3f}") {
  return v ? fmt::format(fmt::runtime(format), *v) : std::string("not measured");
}

}  // namespace

nlohmann::ordered_json record_to_json(const RunRecord& record) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  visit_fields(record, [&](const char* name, const auto& field) { out[name] = value(field); });
  return out;
}

namespace {

template <class T>
void assign(const nlohmann::json& j, T& field) {
  field = j.get<T>();
}
template <class T>
void assign(const nlohmann::json& j, std::optional<T>& field) {
  if (j.is_null()) {
    field.reset();
  } else {
    field = j.get<T>();
  }
}

}  // namespace

RunResult result_from_json(const nlohmann::json& json) {
  RunResult result;
  const auto& record = json.at("record");
  visit_fields(result.record,
               [&](const char* name, auto& field) { assign(record.at(name), field); });
  result.latencies_ms = json.at("latencies_ms").get<std::vector<double>>();
  for (const auto& r : json.at("repeats")) {
    result.repeat_results.push_back(
        {r.at("throughput_samples_per_s"), r.at("latency_p99_ms"), r.at("duration_s")});
  }
  for (const auto& p : json.at("peak_search"))
    result.peak_search.emplace_back(p.at("qps"), p.at("outcome"));
  for (const auto& [k, v] : json.at("environment").items())
    result.environment.emplace_back(k, v.get<std::string>());
  return result;
}

nlohmann::ordered_json to_json(const RunResult& result) {
  nlohmann::ordered_json repeats = nlohmann::ordered_json::array();
  for (const auto& r : result.repeat_results) {
    repeats.push_back({{"throughput_samples_per_s", r.throughput_samples_per_s},
                       {"latency_p99_ms", r.latency_p99_ms},
                       {"duration_s", r.duration_s}});
  }
  nlohmann::ordered_json peak = nlohmann::ordered_json::array();
  for (const auto& [qps, outcome] : result.peak_search)
    peak.push_back({{"qps", qps}, {"outcome", outcome}});
  nlohmann::ordered_json env = nlohmann::ordered_json::object();
  for (const auto& [k, v] : result.environment) env[k] = v;
  return {{"schema_version", kRecordSchemaVersion},
          {"record", record_to_json(result.record)},
          {"latencies_ms", result.latencies_ms},
          {"repeats", repeats},
          {"peak_search", peak},
          {"environment", env}};
}

std::string console_summary(const RunResult& result) {
  const auto& r = result.record;
  std::string out = fmt::format("{} {} | {} | batch {} | threads {} | {}\n", r.framework,
                                r.framework_version, r.scenario, r.batch_size, r.threads, r.model);
  if (r.status != "ok") {
    out += fmt::format("  STATUS {}{}\n", r.status,
                       r.error.empty() ? "" : fmt::format(" in {}: {}", r.error_phase, r.error));
  }
  if (r.load_time_s) {
    out += fmt::format("  load        {:.3f} s (read {:.3f}, parse/optimise {:.3f}; {}) cache {}\n",
                       *r.load_time_s, r.load_read_s.value_or(0), r.load_optimize_s.value_or(0),
                       r.load_phases, r.cache);
  }
  out += fmt::format("  first inference {} s, latency settled after {} s\n",
                     show(r.first_inference_s), show(r.settle_time_s));
  if (r.queries_completed > 0) {
    out += fmt::format(
        "  throughput  {:.2f} samples/s ({} samples, {} queries in {:.2f} s, {} repeat{})\n",
        r.throughput_samples_per_s, r.samples_completed, r.queries_completed, r.duration_s,
        r.repeats, r.repeats == 1 ? "" : "s");
    if (r.throughput_ci95_low) {
      out += fmt::format("              95% CI [{:.2f}, {:.2f}] (bootstrap over repeats)\n",
                         *r.throughput_ci95_low, *r.throughput_ci95_high);
    }
    out += fmt::format(
        "  latency ms  min {} p50 {} p90 {} p95 {} p99 {} p99.9 {} max {} (mean {}, cv {})\n",
        show(r.latency_min_ms), show(r.latency_p50_ms), show(r.latency_p90_ms),
        show(r.latency_p95_ms), show(r.latency_p99_ms), show(r.latency_p999_ms),
        show(r.latency_max_ms), show(r.latency_mean_ms), show(r.latency_cv));
    out += fmt::format("  compute     {} ms per framework call; stable {}\n",
                       show(r.batch_compute_mean_ms),
                       !r.stable   ? "not assessed"
                       : *r.stable ? "yes"
                                   : "NO");
  }
  if (!r.input_spec.empty()) {
    out += fmt::format("  inputs      {} ({} bytes per sample)\n", r.input_spec,
                       r.input_bytes_per_sample.value_or(0));
  }
  if (r.queries_completed > 0) out += "  roofline    " + roofline_line(r) + "\n";
  if (!r.server_verdict.empty()) {
    out += fmt::format(
        "  server      target {} qps, issued {} qps (gap cv {}), bound {} ms: {}\n",
        show(r.target_qps, "{:.1f}"), show(r.issued_qps, "{:.1f}"), show(r.arrival_gap_cv),
        r.latency_bound_ms ? fmt::format("{:.1f}", *r.latency_bound_ms) : std::string("none"),
        r.server_verdict);
  }
  if (r.accuracy_cosine) {
    out += fmt::format(
        "  accuracy    vs fp32 reference: max rel error {}, cosine {}, top-1 agreement {}; gate "
        "{}{}\n",
        show(r.accuracy_max_rel_error, "{:.3g}"), show(r.accuracy_cosine, "{:.6f}"),
        show(r.accuracy_top1_agreement, "{:.3f}"),
        r.accuracy_gate.empty() ? std::string("not checked") : r.accuracy_gate,
        r.accuracy_top1 ? fmt::format("; top-1 on the labelled set {:.4f}", *r.accuracy_top1)
                        : std::string());
  }
  const auto mib = [](const std::optional<std::int64_t>& b) {
    return b ? fmt::format("{:.1f} MiB", static_cast<double>(*b) / (1 << 20))
             : std::string("not measured");
  };
  out += fmt::format("  host memory baseline {}, peak in load {}, peak in inference {}\n",
                     mib(r.host_rss_baseline_bytes), mib(r.host_peak_rss_load_bytes),
                     mib(r.host_peak_rss_inference_bytes));
  if (r.energy_j) {
    out +=
        fmt::format("  energy      {:.3f} J ({} J/sample, mean {} W, idle {} W) [{}]\n",
                    *r.energy_j, show(r.energy_per_sample_j, "{:.4f}"),
                    show(r.power_mean_w, "{:.1f}"), show(r.idle_power_w, "{:.1f}"), r.power_source);
  } else {
    out += "  energy      not measured (no power probe on this machine)\n";
  }
  if (!r.gpu_throttle_summary.empty()) {
    out += fmt::format("  GPU clocks  reasons seen: {}; SW power cap in {} of the samples\n",
                       r.gpu_throttle_summary, show(r.gpu_power_capped_fraction, "{:.2f}"));
  }
  out +=
      fmt::format("  provenance  commit {}, host {}, device {}\n", r.commit, r.host, r.device_name);
  if (!r.warnings.empty()) out += fmt::format("  warnings    {}\n", r.warnings);
  return out;
}

}  // namespace infbench
