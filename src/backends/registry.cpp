#include "infbench/registry.hpp"
#include "infbench/environment.hpp"
#include "infbench/model.hpp"

namespace infbench {

// The one table of backends. A framework is three places: its adapter file (which defines the
// factory declared here), its row below, and its infbench_framework() call in CMakeLists.txt,
// which defines INFBENCH_WITH_<ID> only when the framework was built in.
std::unique_ptr<Backend> make_fake_backend();
std::unique_ptr<Backend> make_ensemble_backend();
#ifdef INFBENCH_WITH_ONNXRUNTIME
std::unique_ptr<Backend> make_onnxruntime_backend();
#endif
#ifdef INFBENCH_WITH_LIBTORCH
std::unique_ptr<Backend> make_libtorch_backend();
#endif
#ifdef INFBENCH_WITH_AOTINDUCTOR
std::unique_ptr<Backend> make_aotinductor_backend();
#endif
#ifdef INFBENCH_WITH_OPENCV
std::unique_ptr<Backend> make_opencv_backend();
#endif
#ifdef INFBENCH_WITH_OPENVINO
std::unique_ptr<Backend> make_openvino_backend();
#endif
#ifdef INFBENCH_WITH_TENSORFLOW
std::unique_ptr<Backend> make_tensorflow_backend();
#endif
#ifdef INFBENCH_WITH_XLA
std::unique_ptr<Backend> make_xla_backend();
#endif
#ifdef INFBENCH_WITH_TVM
std::unique_ptr<Backend> make_tvm_backend();
#endif

namespace {

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
#ifdef INFBENCH_WITH_OPENVINO
    {"openvino", "OpenVINO, CPU device (.onnx, OpenVINO IR .xml)", &make_openvino_backend},
#endif
#ifdef INFBENCH_WITH_TENSORFLOW
    {"tensorflow", "TensorFlow SavedModel through the C API, CPU (.tf folder)",
     &make_tensorflow_backend},
#endif
#ifdef INFBENCH_WITH_XLA
    {"xla", "XLA through the PJRT C API: StableHLO (.mlirbc), CPU and CUDA plugins",
     &make_xla_backend},
#endif
#ifdef INFBENCH_WITH_TVM
    {"tvm", "Apache TVM Relax VM, modules compiled ahead by tools/tvm_zoo.py (.so)",
     &make_tvm_backend},
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

std::vector<std::pair<std::string, std::string>> framework_versions() {
  std::vector<std::pair<std::string, std::string>> versions;
  for (const auto& entry : kBackends)
    versions.emplace_back(entry.name, entry.create()->info().framework_version);
  return versions;
}

std::unique_ptr<Backend> create_backend(std::string_view name) {
  for (const auto& entry : kBackends) {
    if (entry.name == name) return entry.create();
  }
  throw Error(ErrorKind::not_found,
              "framework '" + std::string(name) +
                  "' is not built into this binary; available: " + backend_names());
}

// Load by name: the registry layer's part of the unified API (core's Model::load takes a backend).
Model Model::load(std::string_view framework, const std::filesystem::path& path,
                  const Params& params) {
  return load(create_backend(framework), path, params);
}

std::optional<Model> load_for_benchmark(std::string_view framework,
                                        const std::filesystem::path& model, const Params& params,
                                        const RunConfig& config, RunResult& result) {
  if (result.environment.empty()) result.environment = collect_environment(framework_versions());
  std::unique_ptr<Backend> backend;
  try {
    backend = create_backend(framework);
  } catch (const Error&) {  // the record still says what was asked for
    result.record.model = model.string();
    result.record.framework = std::string(framework);
    throw;
  }
  return load_for_benchmark(std::move(backend), model, params, config, result);
}

RunResult run_benchmark(std::string_view framework, const std::filesystem::path& model,
                        const Params& params, const RunConfig& config) {
  RunResult result;
  if (auto loaded = load_for_benchmark(framework, model, params, config, result)) {
    measure_loaded(*loaded, model, config, result);
  }
  return result;
}

}  // namespace infbench
