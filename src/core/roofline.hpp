#pragma once
// Roofline figures of a run (docs/metrics.md): the FLOP rate a point achieved against the device's
// peak measured by a GEMM probe, and its throughput against the host-to-device copy bound.
// Peaks are measured once per process and device (and precision, and CPU thread count): with
// INFBENCH_PEAK_CACHE=<file> set, once per file, so that a sweep's worker processes share them.
#include <cstdint>
#include <optional>
#include <string>

#include "infbench/record.hpp"

namespace infbench {

// A measured figure with how it was measured, or nullopt with why not ("not measured: ...").
struct PeakMeasurement {
  std::optional<double> value;
  std::string how;
};

// The probes. CPU: OpenBLAS sgemm (probes/cpu_gemm.cpp), TFLOP/s with `threads` threads. GPU
// (gpu/cuda_peak.cpp, CUDA builds only): cuBLAS GEMM in TFLOP/s for fp32 (no TF32), tf32, fp16 or
// bf16; pinned host-to-device copy bandwidth in bytes/s.
PeakMeasurement measure_cpu_sgemm_tflops(int threads);
PeakMeasurement measure_gpu_gemm_tflops(int device, const std::string& precision);
PeakMeasurement measure_h2d_bytes_per_s(int device);

// The probe's precision for a run: "tf32" for fp32 with TF32 on (effective setting tf32=on).
std::string peak_precision(const std::string& precision, const std::string& effective_settings);

// Cached per process (and per INFBENCH_PEAK_CACHE file).
PeakMeasurement device_peak_tflops(int device, const std::string& precision, std::int64_t threads);
PeakMeasurement device_h2d_bytes_per_s(int device);

// Fills achieved_tflops, peak_tflops, peak_compute_share, copy_bound_samples_per_s,
// copy_bound_share and peak_probe from the record's throughput. Pure arithmetic (unit-tested).
void fill_roofline(RunRecord& r, std::optional<std::int64_t> flops_per_sample,
                   double input_bytes_per_sample, const PeakMeasurement& peak,
                   const PeakMeasurement& h2d);

// bench's line: "compute: X TFLOP/s = Y % of peak Z (probe); copy bound: N samples/s (Y %)".
std::string roofline_line(const RunRecord& r);

}  // namespace infbench
