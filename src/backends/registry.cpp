#include "infbench/registry.hpp"

#include <array>

#include "ensemble.hpp"
#include "fake.hpp"
#ifdef INFBENCH_WITH_ONNXRUNTIME
#include "onnxruntime.hpp"
#endif
#ifdef INFBENCH_WITH_LIBTORCH
#include "libtorch.hpp"
#endif
#ifdef INFBENCH_WITH_AOTINDUCTOR
#include "aotinductor.hpp"
#endif
#ifdef INFBENCH_WITH_OPENCV
#include "opencv.hpp"
#endif

namespace infbench {
namespace {

// The one table of backends. A line exists only when its framework was built in.
constexpr BackendEntry kBackends[] = {
    {"fake", "deterministic test backend with a configurable delay", &make_fake_backend},
    {"ensemble", "several models co-located, outputs combined (.yaml spec)",
     &make_ensemble_backend},
#ifdef INFBENCH_WITH_ONNXRUNTIME
    {"onnxruntime", "ONNX Runtime, CPU execution provider (.onnx)", &make_onnxruntime_backend},
#endif
#ifdef INFBENCH_WITH_LIBTORCH
    {"libtorch", "LibTorch TorchScript (.ts/.pt), CPU and CUDA", &make_libtorch_backend},
#endif
#ifdef INFBENCH_WITH_AOTINDUCTOR
    {"aotinductor", "PyTorch AOTInductor packages (.pt2)", &make_aotinductor_backend},
#endif
#ifdef INFBENCH_WITH_OPENCV
    {"opencv", "OpenCV DNN (.onnx, OpenCV-compatible export)", &make_opencv_backend},
#endif
};

}  // namespace

std::span<const BackendEntry> backend_table() { return kBackends; }

std::string backend_names() {
  std::string names;
  for (const auto& entry : kBackends)
    names += (names.empty() ? "" : ", ") + std::string(entry.name);
  return names;
}

std::unique_ptr<Backend> create_backend(std::string_view name) {
  for (const auto& entry : kBackends) {
    if (entry.name == name) return entry.create();
  }
  throw Error(ErrorKind::not_found,
              "framework '" + std::string(name) +
                  "' is not built into this binary; available: " + backend_names());
}

}  // namespace infbench
