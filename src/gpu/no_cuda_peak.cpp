// Stand-in for builds without the CUDA runtime (INFBENCH_WITH_CUDA=OFF): no GPU roofline probes.
#include "core/roofline.hpp"

namespace infbench {

PeakMeasurement measure_gpu_gemm_tflops(int /*device*/, const std::string& /*precision*/) {
  return {std::nullopt, "not measured: built without CUDA (INFBENCH_WITH_CUDA=OFF)"};
}

PeakMeasurement measure_h2d_bytes_per_s(int /*device*/) {
  return {std::nullopt, "not measured: built without CUDA (INFBENCH_WITH_CUDA=OFF)"};
}

}  // namespace infbench
