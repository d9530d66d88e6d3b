// AOTInductor adapter: runs `.pt2` packages that torch._inductor.aoti_compile_and_package made
// ahead of time (tools/aoti_zoo.py: one package per model, precision and batch size, or one per
// model and precision whose batch dimension is symbolic, 1..MAX: --dynamic-batch). Inductor
// fuses and autotunes the whole graph into generated kernels plus a shared library, so loading is
// quick and the optimisation cost was paid once, at compile time. That compile time is recorded
// by the zoo in a sidecar `<package>.json` and reported as this framework's ahead-of-time
// optimisation (LoadResult::ahead_of_time_optimize_s); the package itself is the cache.

#include "infbench/backend.hpp"

#include <torch/csrc/inductor/aoti_package/model_package_loader.h>
#include <torch/version.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "option_values.hpp"
#include "torch_common.hpp"
#include "torch_gpu.hpp"

namespace infbench {
namespace {

// The zoo's sidecar: what the package was compiled for. Absent: shapes come from the harness
// (--input-shape / the zoo manifest) and the compile time is unknown.
struct Sidecar {
  bool found = false;
  std::string precision;
  std::string device;  // "cuda" | "cpu"
  Shape input_shape, output_shape;
  // The dtype the package was exported with ("torch.float16", "torch.uint8" for the zoo's
  // pixel-input variants): the harness then makes and copies data of that type, as a deployment
  // would, rather than float32 cast on the GPU.
  DType input_dtype = DType::float32;
  std::optional<double> compile_s;
  std::string torch_version;
  // A dynamic-batch package: the batch sizes it was exported for. Its generated code does not
  // check them unless AOTI_RUNTIME_CHECK_INPUTS is set, so the adapter must.
  std::optional<std::pair<long long, long long>> batch_range;
};

Sidecar read_sidecar(const std::filesystem::path& package) {
  Sidecar s;
  auto path = package;
  path += ".json";
  std::ifstream in(path);
  if (!in) return s;
  try {
    const auto j = nlohmann::json::parse(in);
    s.found = true;
    s.precision = j.value("precision", "");
    s.device = j.value("device", "cuda");
    s.input_shape = j.value("input_shape", Shape{});
    s.output_shape = j.value("output_shape", Shape{});
    if (j.contains("input_dtype")) {
      std::string name = j.at("input_dtype").get<std::string>();
      if (name.starts_with("torch.")) name.erase(0, 6);
      const auto dtype = parse_dtype(name);
      if (!dtype) {
        throw Error(ErrorKind::invalid_argument,
                    path.string() + ": input_dtype '" + name +
                        "' is not a dtype infbench knows; rebuild it with tools/aoti_zoo.py");
      }
      s.input_dtype = *dtype;
    }
    if (j.contains("compile_s")) s.compile_s = j["compile_s"].get<double>();
    s.torch_version = j.value("torch_version", "");
    if (j.contains("batch_range")) {
      const auto range = j.at("batch_range").get<std::vector<long long>>();
      if (range.size() != 2) {
        throw Error(ErrorKind::invalid_argument,
                    path.string() +
                        ": batch_range must be [min, max]; rebuild it with "
                        "tools/aoti_zoo.py or delete it");
      }
      s.batch_range = std::pair{range[0], range[1]};
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::invalid_argument,
                path.string() + ": not a valid package sidecar (" + first_line(e.what()) +
                    "); rebuild it with tools/aoti_zoo.py or delete it");
  }
  return s;
}

class AotInductorBackend final : public Backend {
 public:
  BackendInfo info() const override {
    BackendInfo info;
    info.name = "aotinductor";
    info.framework_version = TORCH_VERSION;
    info.model_format = ".pt2 (AOTInductor package; tools/aoti_zoo.py)";
    // A package of the point's batch size first; else one with a symbolic batch dimension
    // (tools/aoti_zoo.py --dynamic-batch), compiled once for every batch size.
    info.zoo_files = {"aotinductor_{precision}_b{batch}", "aotinductor_{precision}_dyn"};
    info.precisions = {"fp32", "fp16", "bf16"};
    info.optimization_levels = {"ahead_of_time"};
    info.cache = false;  // the package is the cache: nothing is written at load
    info.notes =
        "A package is compiled for one precision and one batch size, or for every batch size "
        "1..MAX (tools/aoti_zoo.py --dynamic-batch); its sidecar .json says which, and "
        "--precision must match. Its compile time is reported as load_optimize_s.";
    if (torch_gpu::built()) {
      info.gpus = torch_gpu::visible_gpus();
      info.device_inputs = true;
      info.allocator_peaks = torch_gpu::allocator_peaks();
    } else {
      info.notes += " CPU packages only in this build (the LibTorch found has no CUDA).";
    }
    return info;
  }

  LoadResult load(const std::filesystem::path& model, const Params& params,
                  PhaseMarker& phases) override {
    if (model.extension() != ".pt2") {
      throw Error(ErrorKind::invalid_argument,
                  model.string() + ": aotinductor loads .pt2 packages (tools/aoti_zoo.py)");
    }
    if (!std::filesystem::is_regular_file(model)) {
      throw Error(ErrorKind::not_found, model.string() + ": no such package");
    }
    const Sidecar sidecar = read_sidecar(model);
    if (sidecar.found && !sidecar.precision.empty() && sidecar.precision != params.precision) {
      throw Error(ErrorKind::invalid_argument,
                  "precision " + params.precision + ": " + model.filename().string() +
                      " was compiled for " + sidecar.precision + "; pass --precision " +
                      sidecar.precision + " or use that precision's package");
    }
    if (sidecar.device == "cuda" && params.device < 0) {
      throw Error(ErrorKind::unsupported,
                  model.filename().string() + " was compiled for CUDA: pass --device 0");
    }
    if (sidecar.batch_range && params.batch_size > 0 &&
        (params.batch_size < sidecar.batch_range->first ||
         params.batch_size > sidecar.batch_range->second)) {
      throw Error(ErrorKind::invalid_argument,
                  "batch_size " + std::to_string(params.batch_size) + ": " +
                      model.filename().string() + " was exported for batch sizes " +
                      std::to_string(sidecar.batch_range->first) + ".." +
                      std::to_string(sidecar.batch_range->second) +
                      "; rebuild it with tools/aoti_zoo.py packages --dynamic-batch " +
                      std::to_string(params.batch_size) + " or use a static package");
    }
    device_ = params.device;
    input_type_ = torch_common::precision_type(params.precision);
    LoadResult result;
    result.cache_file = model;
    result.ahead_of_time_optimize_s = sidecar.compile_s;
    try {
      phases.mark("read");
      // A stream of its own, used by run_batch: co-located models (ensemble members on their own
      // threads) overlap on the GPU instead of serialising on the default stream.
      stream_ = std::make_unique<torch_gpu::ModelStream>(device_);
      const auto on_device = stream_->enter();
      loader_ = std::make_unique<torch::inductor::AOTIModelPackageLoader>(model.string());
    } catch (const c10::Error& e) {
      throw Error(ErrorKind::framework, model.string() + ": AOTInductor cannot load it: " +
                                            first_line(e.what_without_backtrace()));
    } catch (const std::runtime_error& e) {
      throw Error(ErrorKind::framework,
                  model.string() + ": AOTInductor cannot load it: " + first_line(e.what()));
    }
    signature_ = {};
    signature_.inputs.push_back(
        {"input", sidecar.input_dtype, sidecar.input_shape, !sidecar.input_shape.empty()});
    signature_.outputs.push_back(
        {"output", DType::float32, sidecar.output_shape, !sidecar.output_shape.empty()});
    settings_ = {{"batch_size", std::to_string(params.batch_size)},
                 {"device", std::to_string(device_)},
                 {"precision", params.precision},
                 {"optimization", "ahead_of_time"},
                 {"threads", std::to_string(params.threads)},
                 {"package_compile_s",
                  sidecar.compile_s ? std::to_string(*sidecar.compile_s) : "unknown (no sidecar)"},
                 {"package_torch_version", sidecar.torch_version}};
    return result;
  }

  const Signature& signature() const override { return signature_; }
  Settings effective_settings() const override { return settings_; }

  std::vector<Tensor> run_batch(std::span<const TensorView> inputs) override {
    try {
      c10::InferenceMode no_autograd;
      const auto on_own_stream = stream_->enter();  // device and stream current (load made them)
      std::vector<at::Tensor> args;
      for (const auto& in : inputs) {
        at::Tensor t = torch_common::wrap(in);
        if (device_ >= 0 && !t.is_cuda()) {
          t = t.to(torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(device_)));
        }
        // Packages take the compute type as input (the zoo traces them so).
        if (t.is_floating_point() && t.scalar_type() != input_type_) t = t.to(input_type_);
        args.push_back(t.contiguous());
      }
      std::vector<Tensor> outputs;
      for (const auto& out : loader_->run(args)) outputs.push_back(torch_common::to_host(out));
      return outputs;
    } catch (const c10::OutOfMemoryError& e) {
      throw Error(ErrorKind::framework, "aotinductor run failed: out of GPU memory: " +
                                            first_line(e.what_without_backtrace()));
    } catch (const c10::Error& e) {
      throw Error(ErrorKind::framework,
                  "aotinductor run failed: " + first_line(e.what_without_backtrace()));
    }
  }

 private:
  std::unique_ptr<torch::inductor::AOTIModelPackageLoader> loader_;
  Signature signature_;
  Settings settings_;
  int device_ = -1;
  c10::ScalarType input_type_ = c10::ScalarType::Float;
  std::unique_ptr<torch_gpu::ModelStream> stream_;
};

}  // namespace

std::unique_ptr<Backend> make_aotinductor_backend() {
  return std::make_unique<AotInductorBackend>();
}

}  // namespace infbench
