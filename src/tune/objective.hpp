#pragma once
// What `infbench tune` optimises, and how a stored trial is judged against it. A trial is read
// from the database row (ResultStore::point_rows), not from the C++ record, so that fields added
// by other parts of infbench (accuracy_gate, peak_compute_share, achieved_tflops) count as soon
// as the database has them; a missing column means "not checked" / "not measured".
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace infbench::tune {

struct Objective {
  enum class Kind { throughput, latency, memory, energy };
  Kind kind = Kind::throughput;
  double p99_bound_ms = 0;    // Kind::latency: the highest throughput whose p99 stays within
  std::string label() const;  // "throughput", "latency-p99-5ms", "memory", "energy"
};

// "throughput" | "latency:P99_MS" | "memory" | "energy"; anything else is an Error naming the flag.
Objective parse_objective(const std::string& text);

struct Trial {
  std::string point_id, label, status, error, accuracy_gate;
  double throughput = 0;
  std::optional<double> p99_ms, memory_bytes, energy_per_sample_j, load_time_s;
  std::optional<double> peak_compute_share, achieved_tflops;
  std::int64_t repeats = 1;
  bool gate_failed() const { return accuracy_gate.rfind("fail", 0) == 0; }
};

// A database row as a trial. Memory: on a GPU the device memory above its idle baseline (NVML),
// else what the framework's allocator reserved; on the CPU the peak RSS during inference.
Trial trial_from_row(const nlohmann::json& row, int device);

// Why the trial cannot be chosen under `objective` ("" when it can): failed, gate failed, over the
// latency bound, or the objective's metric not measured.
std::string infeasible_reason(const Trial& trial, const Objective& objective);

// True when a is better than b under the objective (both feasible). Ties on the objective's own
// metric (memory, energy) go to the higher throughput.
bool better(const Trial& a, const Trial& b, const Objective& objective);

// The objective's figure of a trial, for printing: "41234 img/s", "812 MiB", "0.41 mJ/sample".
std::string objective_value(const Trial& trial, const Objective& objective);

}  // namespace infbench::tune
