#include "objective.hpp"

#include <fmt/core.h>

#include "infbench/error.hpp"

namespace infbench::tune {
namespace {

std::optional<double> number_of(const nlohmann::json& row, const char* key) {
  const auto it = row.find(key);
  if (it == row.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string text_of(const nlohmann::json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string Objective::label() const {
  switch (kind) {
    case Kind::throughput: return "throughput";
    case Kind::latency: return fmt::format("latency-p99-{:g}ms", p99_bound_ms);
    case Kind::memory: return "memory";
    case Kind::energy: return "energy";
  }
  return "?";
}

Objective parse_objective(const std::string& text) {
  Objective o;
  if (text == "throughput") return o;
  if (text == "memory" || text == "energy") {
    o.kind = text == "memory" ? Objective::Kind::memory : Objective::Kind::energy;
    return o;
  }
  if (text.rfind("latency:", 0) == 0) {
    try {
      std::size_t used = 0;
      const std::string bound = text.substr(8);
      o.p99_bound_ms = std::stod(bound, &used);
      if (used == bound.size() && o.p99_bound_ms > 0) {
        o.kind = Objective::Kind::latency;
        return o;
      }
    } catch (const std::exception&) {
    }
  }
  throw Error(ErrorKind::invalid_argument,
              "--objective '" + text +
                  "': expected throughput, latency:P99_MS (e.g. latency:5), memory or energy");
}

Trial trial_from_row(const nlohmann::json& row, int device) {
  Trial t;
  t.point_id = text_of(row, "point_id");
  t.label = text_of(row, "label");
  t.status = text_of(row, "status");
  t.error = text_of(row, "error");
  t.accuracy_gate = text_of(row, "accuracy_gate");
  t.throughput = number_of(row, "throughput_samples_per_s").value_or(0);
  t.p99_ms = number_of(row, "latency_p99_ms");
  t.energy_per_sample_j = number_of(row, "energy_per_sample_j");
  t.load_time_s = number_of(row, "load_time_s");
  t.peak_compute_share = number_of(row, "peak_compute_share");
  t.achieved_tflops = number_of(row, "achieved_tflops");
  t.repeats = static_cast<std::int64_t>(number_of(row, "repeats").value_or(1));
  if (device >= 0) {
    const auto used = number_of(row, "gpu_memory_used_peak_bytes");
    const auto idle = number_of(row, "gpu_memory_idle_bytes");
    if (used) t.memory_bytes = *used - idle.value_or(0);
    if (!t.memory_bytes) t.memory_bytes = number_of(row, "gpu_alloc_reserved_peak_bytes");
  } else {
    t.memory_bytes = number_of(row, "host_peak_rss_inference_bytes");
  }
  return t;
}

std::string infeasible_reason(const Trial& t, const Objective& o) {
  if (t.status != "ok") return "failed: " + t.error;
  if (t.gate_failed()) return "accuracy gate " + t.accuracy_gate;
  switch (o.kind) {
    case Objective::Kind::throughput: return "";
    case Objective::Kind::latency:
      if (!t.p99_ms) return "p99 latency not measured";
      return *t.p99_ms <= o.p99_bound_ms
                 ? ""
                 : fmt::format("p99 {:.3g} ms over the {:g} ms bound", *t.p99_ms, o.p99_bound_ms);
    case Objective::Kind::memory: return t.memory_bytes ? "" : "memory not measured";
    case Objective::Kind::energy:
      return t.energy_per_sample_j ? "" : "energy not measured (no power probe: RAPL or NVML)";
  }
  return "";
}

bool better(const Trial& a, const Trial& b, const Objective& o) {
  const auto lower_first = [&](double x, double y) {
    return x != y ? x < y : a.throughput > b.throughput;
  };
  switch (o.kind) {
    case Objective::Kind::memory: return lower_first(*a.memory_bytes, *b.memory_bytes);
    case Objective::Kind::energy:
      return lower_first(*a.energy_per_sample_j, *b.energy_per_sample_j);
    default: return a.throughput > b.throughput;
  }
}

std::string objective_value(const Trial& t, const Objective& o) {
  switch (o.kind) {
    case Objective::Kind::memory:
      return t.memory_bytes ? fmt::format("{:.0f} MiB", *t.memory_bytes / (1 << 20)) : "-";
    case Objective::Kind::energy:
      return t.energy_per_sample_j ? fmt::format("{:.3g} mJ/sample", *t.energy_per_sample_j * 1e3)
                                   : "-";
    default: return fmt::format("{:.1f} samples/s", t.throughput);
  }
}

}  // namespace infbench::tune
