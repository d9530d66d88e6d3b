#include "roofline.hpp"

#include <fmt/core.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/json_text.hpp"
#include "infbench/error.hpp"

namespace infbench {
namespace {

// The cache file is read before and written after each measurement; concurrent workers may
// measure the same key twice, which costs time but never mixes figures (whole-file rename).
PeakMeasurement cached(const std::string& key, const auto& measure) {
  static std::mutex mutex;
  static std::map<std::string, PeakMeasurement> memory;
  std::lock_guard lock(mutex);
  if (const auto it = memory.find(key); it != memory.end()) return it->second;
  const char* file = std::getenv("INFBENCH_PEAK_CACHE");
  nlohmann::json stored = nlohmann::json::object();
  if (file != nullptr && *file != '\0') {
    try {
      if (std::ifstream in(file); in) stored = nlohmann::json::parse(in);
      if (!stored.is_object()) stored = nlohmann::json::object();
      if (stored.contains(key)) {
        const auto& e = stored[key];
        PeakMeasurement m{e.at("value").is_null()
                              ? std::nullopt
                              : std::optional<double>(e.at("value").get<double>()),
                          e.at("how").get<std::string>() + " (cached)"};
        return memory[key] = m;
      }
    } catch (const nlohmann::json::exception&) {
      stored = nlohmann::json::object();  // a torn or foreign file: measure again
    }
  }
  PeakMeasurement m = measure();
  memory[key] = m;
  if (file != nullptr && *file != '\0') {
    stored[key] = {{"value", m.value ? nlohmann::json(*m.value) : nlohmann::json()},
                   {"how", m.how}};
    try {
      write_file_atomically(file, json_text(stored, 1));
    } catch (const Error&) {
      // The cache only saves time: a run whose cache cannot be written measures its peak anyway.
    }
  }
  return m;
}

}  // namespace

std::string peak_precision(const std::string& precision, const std::string& effective_settings) {
  if (precision == "fp32" &&
      (";" + effective_settings + ";").find(";tf32=on;") != std::string::npos)
    return "tf32";
  return precision;
}

PeakMeasurement device_peak_tflops(int device, const std::string& precision, std::int64_t threads) {
  if (device < 0) {
    if (precision != "fp32") {
      return {std::nullopt, "not measured: the CPU probe is an fp32 sgemm; no " + precision +
                                " GEMM probe on the CPU"};
    }
    const int t = static_cast<int>(threads > 0 ? threads : 1);
    return cached("cpu:threads=" + std::to_string(t) + ":fp32",
                  [&] { return measure_cpu_sgemm_tflops(t); });
  }
  return cached("gpu" + std::to_string(device) + ":" + precision,
                [&] { return measure_gpu_gemm_tflops(device, precision); });
}

PeakMeasurement device_h2d_bytes_per_s(int device) {
  if (device < 0) return {std::nullopt, "not measured: no host-to-device copy on the CPU"};
  return cached("gpu" + std::to_string(device) + ":h2d",
                [&] { return measure_h2d_bytes_per_s(device); });
}

void fill_roofline(RunRecord& r, std::optional<std::int64_t> flops_per_sample,
                   double input_bytes_per_sample, const PeakMeasurement& peak,
                   const PeakMeasurement& h2d) {
  r.flops_per_sample = flops_per_sample;
  r.peak_probe = peak.how;
  const double throughput = r.throughput_samples_per_s;
  if (flops_per_sample && *flops_per_sample > 0 && throughput > 0) {
    r.achieved_tflops = throughput * static_cast<double>(*flops_per_sample) * 1e-12;
  }
  if (peak.value && *peak.value > 0) {
    r.peak_tflops = peak.value;
    if (r.achieved_tflops) r.peak_compute_share = *r.achieved_tflops / *peak.value;
  }
  if (h2d.value && *h2d.value > 0 && input_bytes_per_sample > 0) {
    r.copy_bound_samples_per_s = *h2d.value / input_bytes_per_sample;
    if (throughput > 0) r.copy_bound_share = throughput / *r.copy_bound_samples_per_s;
  }
}

std::string roofline_line(const RunRecord& r) {
  std::string compute;
  if (!r.flops_per_sample) {
    compute = "compute: not measured (no flops_per_sample for this model in a zoo manifest)";
  } else if (!r.achieved_tflops) {
    compute = "compute: not measured (no throughput)";
  } else if (!r.peak_tflops) {
    compute = fmt::format("compute: {:.3g} TFLOP/s; peak {}", *r.achieved_tflops, r.peak_probe);
  } else {
    compute =
        fmt::format("compute: {:.3g} TFLOP/s = {:.1f} % of peak {:.3g} ({})", *r.achieved_tflops,
                    100 * r.peak_compute_share.value_or(0), *r.peak_tflops, r.peak_probe);
  }
  std::string copy =
      r.copy_bound_samples_per_s
          ? fmt::format("copy bound: {:.0f} samples/s ({:.1f} %)", *r.copy_bound_samples_per_s,
                        100 * r.copy_bound_share.value_or(0))
          : std::string(r.device < 0 ? "copy bound: not measured (CPU run)"
                                     : "copy bound: not measured");
  return compute + "; " + copy;
}

}  // namespace infbench
