// ONNX Runtime adapter (CPU execution provider). Knobs: graph optimisation level, intra-/inter-op
// threads, sequential/parallel execution, spinning, arena, memory pattern; and the optimised-graph
// cache: the first load saves ORT's optimised model into cache_dir, later loads read it back with
// optimisation disabled (as ORT's docs prescribe for offline-optimised models).

#include "infbench/backend.hpp"

#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <array>

#include "core/atomic_file.hpp"
#include "core/file_key.hpp"
#include "option_values.hpp"

namespace infbench {
namespace {

struct TypeRow {
  ONNXTensorElementDataType onnx;
  DType dtype;
};
constexpr std::array<TypeRow, 9> kTypes{{
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, DType::float32},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, DType::float16},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, DType::bfloat16},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, DType::int64},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, DType::int32},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, DType::uint8},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, DType::boolean},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, DType::float64},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, DType::int8},
}};

DType to_dtype(ONNXTensorElementDataType type, const std::string& tensor_name) {
  for (const auto& row : kTypes) {
    if (row.onnx == type) return row.dtype;
  }
  throw Error(ErrorKind::unsupported, "tensor '" + tensor_name + "' has ONNX element type " +
                                          std::to_string(static_cast<int>(type)) +
                                          ", which infbench does not handle");
}

ONNXTensorElementDataType to_onnx(DType dtype) {
  for (const auto& row : kTypes) {
    if (row.dtype == dtype) return row.onnx;
  }
  return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
}

struct LevelRow {
  std::string_view name;
  GraphOptimizationLevel level;
};
constexpr std::array<LevelRow, 4> kLevels{{
    {"all", ORT_ENABLE_ALL},
    {"extended", ORT_ENABLE_EXTENDED},
    {"basic", ORT_ENABLE_BASIC},
    {"disable", ORT_DISABLE_ALL},
}};

Ort::Env& environment() {
  // One environment per process, as ORT requires; created on first use.
  static Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "infbench");
  return env;
}

TensorSpec spec_of(const std::string& name, const Ort::TypeInfo& type) {
  if (type.GetONNXType() != ONNX_TYPE_TENSOR) {
    throw Error(ErrorKind::unsupported,
                "model tensor '" + name + "' is not a tensor (sequence/map)");
  }
  const auto info = type.GetTensorTypeAndShapeInfo();
  return {name, to_dtype(info.GetElementType(), name), info.GetShape()};
}

class OnnxRuntimeBackend final : public Backend {
 public:
  BackendInfo info() const override {
    BackendInfo info;
    info.name = "onnxruntime";
    info.framework_version = Ort::GetVersionString();
    info.model_format = ".onnx";
    info.zoo_files = {"onnx"};
    info.precisions = {"fp32"};
    for (const auto& row : kLevels) info.optimization_levels.emplace_back(row.name);
    info.cache = true;
    info.options = {
        {"inter_op_threads", "threads running independent nodes (parallel mode)", "1", {}, true},
        {"execution_mode",
         "run nodes one at a time or in parallel",
         "sequential",
         {"sequential", "parallel"},
         false},
        {"allow_spinning",
         "intra-op threads spin while waiting (lower latency, more CPU)",
         "on",
         {"on", "off"},
         false},
        {"cpu_arena", "ORT's CPU memory arena", "on", {"on", "off"}, false},
        {"memory_pattern",
         "pre-plan allocations from the first run's pattern",
         "on",
         {"on", "off"},
         false},
    };
    info.notes =
        "CPU execution provider; precision fp32 (an fp16 model is a different .onnx file). ";
    // Asked of the library actually loaded: the GPU machine loads the Python wheel's CPU-only
    // library, and a CUDA-enabled build (~230 MB) is too large to carry there.
    const auto providers = Ort::GetAvailableProviders();
    const bool cuda =
        std::find(providers.begin(), providers.end(), "CUDAExecutionProvider") != providers.end();
    info.notes += cuda ? "The loaded library has the CUDA execution provider; this adapter does "
                         "not use it yet."
                       : "The CUDA execution provider is not in the loaded library: GPU runs "
                         "are not possible with it, ONNX Runtime runs on the CPU.";
    return info;
  }

  LoadResult load(const std::filesystem::path& model, const Params& params,
                  PhaseMarker& phases) override {
    const BackendInfo me = info();
    const int threads = params.threads > 0 ? params.threads : default_thread_count();
    const std::string level = optimization_level(params, me);
    const std::string mode = option_value(params, me, "execution_mode");
    LoadResult result;
    try {
      Ort::SessionOptions options;
      options.SetIntraOpNumThreads(threads);
      options.SetInterOpNumThreads(option_int(params, me, "inter_op_threads"));
      options.SetExecutionMode(mode == "parallel" ? ORT_PARALLEL : ORT_SEQUENTIAL);
      options.AddConfigEntry("session.intra_op.allow_spinning",
                             option_value(params, me, "allow_spinning") == "on" ? "1" : "0");
      if (option_value(params, me, "cpu_arena") == "off") options.DisableCpuMemArena();
      if (option_value(params, me, "memory_pattern") == "off") options.DisableMemPattern();
      GraphOptimizationLevel ort_level = ORT_ENABLE_ALL;
      for (const auto& row : kLevels) {
        if (row.name == level) ort_level = row.level;
      }

      std::filesystem::path source = model;
      std::optional<AtomicPath> cached;  // the optimised model, written on a miss
      if (!params.cache_dir.empty()) {
        std::filesystem::create_directories(params.cache_dir);
        result.cache_file =
            params.cache_dir / (model.stem().string() + "." +
                                cache_key(model, {me.framework_version, level}) + ".ort.onnx");
        if (std::filesystem::is_regular_file(result.cache_file)) {
          result.cache = CacheStatus::hit;
          source = result.cache_file;
          ort_level = ORT_DISABLE_ALL;  // already optimised: do not optimise twice
        } else {
          result.cache = CacheStatus::miss;
          // Written under a temporary name and renamed once complete, so an interrupted load
          // never leaves a truncated model in the cache.
          cached.emplace(result.cache_file);
          options.SetOptimizedModelFilePath(cached->tmp().c_str());
        }
      }
      options.SetGraphOptimizationLevel(ort_level);

      phases.mark("read");
      const auto bytes = read_file_bytes(source);
      phases.mark(result.cache == CacheStatus::hit ? "parse" : "parse_optimize");
      session_ = std::make_unique<Ort::Session>(environment(), bytes.data(), bytes.size(), options);
      if (cached) {
        phases.mark("cache_write");
        cached->commit();
      }
      read_signature();
    } catch (const Ort::Exception& e) {
      throw Error(ErrorKind::framework, model.string() +
                                            ": onnxruntime cannot load it (is it an "
                                            "ONNX model?): " +
                                            first_line(e.what()));
    } catch (const std::filesystem::filesystem_error& e) {
      throw Error(ErrorKind::io, "cache_dir " + params.cache_dir.string() + ": " + e.what());
    }
    settings_ = {{"batch_size", std::to_string(params.batch_size)},
                 {"device", "-1"},
                 {"precision", params.precision},
                 {"optimization", level},
                 {"threads", std::to_string(threads)},
                 {"inter_op_threads", option_value(params, me, "inter_op_threads")},
                 {"execution_mode", mode},
                 {"allow_spinning", option_value(params, me, "allow_spinning")},
                 {"cpu_arena", option_value(params, me, "cpu_arena")},
                 {"memory_pattern", option_value(params, me, "memory_pattern")},
                 {"cache_dir", params.cache_dir.string()},
                 {"cache", std::string(to_string(result.cache))}};
    return result;
  }

  const Signature& signature() const override { return signature_; }
  Settings effective_settings() const override { return settings_; }

  std::vector<Tensor> run_batch(std::span<const TensorView> inputs) override {
    try {
      std::vector<Ort::Value> values;
      values.reserve(inputs.size());
      for (const auto& in : inputs) {
        // ORT reads our buffer in place: no copy of the batch.
        values.push_back(Ort::Value::CreateTensor(memory_, const_cast<std::byte*>(in.data),
                                                  in.byte_size(), in.shape.data(), in.shape.size(),
                                                  to_onnx(in.dtype)));
      }
      auto outputs = session_->Run(run_options_, input_names_.data(), values.data(), values.size(),
                                   output_names_.data(), output_names_.size());
      std::vector<Tensor> result;
      result.reserve(outputs.size());
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        const auto info = outputs[i].GetTensorTypeAndShapeInfo();
        const DType dtype = to_dtype(info.GetElementType(), output_name_storage_[i]);
        const auto bytes = info.GetElementCount() * dtype_size(dtype);
        result.emplace_back(
            dtype, info.GetShape(),
            std::span<const std::byte>(static_cast<const std::byte*>(outputs[i].GetTensorRawData()),
                                       bytes));
      }
      return result;
    } catch (const Ort::Exception& e) {
      throw Error(ErrorKind::framework, "onnxruntime run failed: " + first_line(e.what()));
    }
  }

 private:
  void read_signature() {
    Ort::AllocatorWithDefaultOptions allocator;
    signature_ = {};
    input_name_storage_.clear();
    output_name_storage_.clear();
    for (std::size_t i = 0; i < session_->GetInputCount(); ++i) {
      input_name_storage_.push_back(session_->GetInputNameAllocated(i, allocator).get());
      signature_.inputs.push_back(
          spec_of(input_name_storage_.back(), session_->GetInputTypeInfo(i)));
    }
    for (std::size_t i = 0; i < session_->GetOutputCount(); ++i) {
      output_name_storage_.push_back(session_->GetOutputNameAllocated(i, allocator).get());
      signature_.outputs.push_back(
          spec_of(output_name_storage_.back(), session_->GetOutputTypeInfo(i)));
    }
    input_names_.clear();
    output_names_.clear();
    for (const auto& n : input_name_storage_) input_names_.push_back(n.c_str());
    for (const auto& n : output_name_storage_) output_names_.push_back(n.c_str());
  }

  std::unique_ptr<Ort::Session> session_;
  Ort::MemoryInfo memory_ = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::RunOptions run_options_;
  Signature signature_;
  Settings settings_;
  std::vector<std::string> input_name_storage_, output_name_storage_;
  std::vector<const char*> input_names_, output_names_;
};

}  // namespace

std::unique_ptr<Backend> make_onnxruntime_backend() {
  return std::make_unique<OnnxRuntimeBackend>();
}

}  // namespace infbench
