// LibTorch adapter for TorchScript modules on the CPU (the GPU issue adds devices). Knobs: threads
// (always set explicitly: LibTorch's default here is 1 thread), inter-op threads, the
// post-training pass (none | freeze | optimize_for_inference), the NNC fuser (off by default: it
// hangs on DenseNet-201 on GPU and costs ResNet-50 nothing), and a cache of the optimised module.
#include "libtorch.hpp"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/script.h>
#include <torch/version.h>

#include <array>

#include "../core/file_key.hpp"
#include "option_values.hpp"

namespace infbench {
namespace {

struct TypeRow {
  c10::ScalarType torch;
  DType dtype;
};
constexpr std::array<TypeRow, 7> kTypes{{
    {c10::ScalarType::Float, DType::float32},
    {c10::ScalarType::Half, DType::float16},
    {c10::ScalarType::BFloat16, DType::bfloat16},
    {c10::ScalarType::Long, DType::int64},
    {c10::ScalarType::Int, DType::int32},
    {c10::ScalarType::Byte, DType::uint8},
    {c10::ScalarType::Bool, DType::boolean},
}};

c10::ScalarType to_torch(DType dtype) {
  for (const auto& row : kTypes) {
    if (row.dtype == dtype) return row.torch;
  }
  throw Error(ErrorKind::unsupported, "dtype not mapped to LibTorch");
}

DType to_dtype(c10::ScalarType type) {
  for (const auto& row : kTypes) {
    if (row.torch == type) return row.dtype;
  }
  throw Error(ErrorKind::unsupported,
              std::string("LibTorch output of type ") + c10::toString(type) + " is not handled");
}

// Debian's LibTorch computes matrix products through the system BLAS. When that is OpenBLAS,
// its own thread pool would multiply with LibTorch's threads; pin it to the requested count.
// Returns the value set, or -1 when no OpenBLAS is loaded.
int set_blas_threads(int threads) {
  using SetFn = void (*)(int);
  auto* fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (fn == nullptr) return -1;
  fn(threads);
  return threads;
}

// Inter-op threads can be set once per process, before any inter-op work.
int set_interop_threads(int wanted) {
  static bool set = false;
  if (!set) {
    set = true;
    try {
      at::set_num_interop_threads(wanted);
    } catch (const c10::Error&) {
      // already started by another model in this process: keep what is in force
    }
  }
  return at::get_num_interop_threads();
}

// TorchScript interpreter errors put the useful line last ("RuntimeError: Given groups=...").
std::string torch_message(const std::string& text) {
  const auto at = text.rfind("Error: ");
  if (at == std::string::npos) return first_line(text);
  const auto start = text.rfind('\n', at);
  return first_line(text.substr(start == std::string::npos ? 0 : start + 1));
}

void flatten_outputs(const c10::IValue& value, std::vector<Tensor>& out) {
  if (value.isTensor()) {
    const auto t = value.toTensor().contiguous().cpu();
    const DType dtype = to_dtype(t.scalar_type());
    out.emplace_back(dtype, Shape(t.sizes().begin(), t.sizes().end()),
                     std::span<const std::byte>(static_cast<const std::byte*>(t.data_ptr()),
                                                t.numel() * dtype_size(dtype)));
  } else if (value.isTuple()) {
    for (const auto& e : value.toTupleRef().elements()) flatten_outputs(e, out);
  } else if (value.isList()) {
    for (const auto& e : value.toListRef()) flatten_outputs(e, out);
  } else {
    throw Error(ErrorKind::unsupported,
                "TorchScript output of type " + value.tagKind() + " is not a tensor or tuple");
  }
}

std::size_t count_outputs(const c10::TypePtr& type) {
  if (const auto tuple = type->cast<c10::TupleType>()) {
    std::size_t n = 0;
    for (const auto& e : tuple->elements()) n += count_outputs(e);
    return n;
  }
  return 1;
}

class LibTorchBackend final : public Backend {
 public:
  BackendInfo info() const override {
    BackendInfo info;
    info.name = "libtorch";
    info.framework_version = TORCH_VERSION;
    info.model_format = ".ts / .pt (TorchScript)";
    info.precisions = {"fp32"};
    info.optimization_levels = {"freeze", "none", "optimize_for_inference"};
    info.cache = true;
    info.options = {
        {"interop_threads", "inter-op pool size (process-wide, settable once)", "1", {}, true},
        {"fuser", "TorchScript NNC tensor-expression fuser", "off", {"off", "on"}, false},
        {"blas_threads", "OpenBLAS threads when OpenBLAS is the BLAS", "1", {}, true},
    };
    info.notes =
        "CPU only in this build. Threads are process-wide in LibTorch. optimize_for_inference "
        "gave wrong outputs for mobilenet_v3_small in 1.13: compare outputs before trusting it.";
    return info;
  }

  LoadResult load(const std::filesystem::path& model, const Params& params,
                  PhaseMarker& phases) override {
    const BackendInfo me = info();
    const int threads = params.threads > 0 ? params.threads : default_thread_count();
    const std::string level = optimization_level(params, me);
    const bool fuser = option_value(params, me, "fuser") == "on";
    LoadResult result;
    try {
      at::set_num_threads(threads);
      const int interop = set_interop_threads(option_int(params, me, "interop_threads"));
      const int blas = set_blas_threads(option_int(params, me, "blas_threads"));
      torch::jit::setTensorExprFuserEnabled(fuser);

      if (!params.cache_dir.empty()) {
        std::filesystem::create_directories(params.cache_dir);
        result.cache_file = params.cache_dir /
                            (model.stem().string() + "." +
                             cache_key(model, {me.framework_version, level}) + "." + level + ".pt");
        result.cache = std::filesystem::is_regular_file(result.cache_file) ? CacheStatus::hit
                                                                           : CacheStatus::miss;
      }
      phases.mark("read");
      if (result.cache == CacheStatus::hit) {
        module_ = torch::jit::load(result.cache_file.string(), torch::kCPU);
      } else {
        module_ = torch::jit::load(model.string(), torch::kCPU);
        module_.eval();
        phases.mark("optimize");
        if (level == "freeze") module_ = torch::jit::freeze(module_);
        if (level == "optimize_for_inference")
          module_ = torch::jit::optimize_for_inference(module_);
        if (result.cache == CacheStatus::miss) {
          phases.mark("cache_write");
          auto tmp = result.cache_file;
          tmp += ".tmp";
          module_.save(tmp.string());
          std::filesystem::rename(tmp, result.cache_file);
        }
      }
      read_signature();
      settings_ = {{"batch_size", std::to_string(params.batch_size)},
                   {"device", "-1"},
                   {"precision", params.precision},
                   {"optimization", level},
                   {"threads", std::to_string(at::get_num_threads())},
                   {"interop_threads", std::to_string(interop)},
                   {"fuser", fuser ? "on" : "off"},
                   {"blas_threads", blas < 0 ? "n/a (no OpenBLAS)" : std::to_string(blas)},
                   {"cache_dir", params.cache_dir.string()},
                   {"cache", std::string(to_string(result.cache))}};
    } catch (const c10::Error& e) {
      throw Error(ErrorKind::framework, model.string() +
                                            ": libtorch cannot load it (is it a "
                                            "TorchScript file?): " +
                                            first_line(e.what_without_backtrace()));
    } catch (const std::filesystem::filesystem_error& e) {
      throw Error(ErrorKind::io, "cache_dir " + params.cache_dir.string() + ": " + e.what());
    }
    return result;
  }

  const Signature& signature() const override { return signature_; }
  Settings effective_settings() const override { return settings_; }

  std::vector<Tensor> run_batch(std::span<const TensorView> inputs) override {
    try {
      c10::InferenceMode no_autograd;
      std::vector<c10::IValue> args;
      args.reserve(inputs.size());
      for (const auto& in : inputs) {
        // from_blob wraps our memory without a copy; the module only reads its inputs.
        args.emplace_back(torch::from_blob(const_cast<std::byte*>(in.data), in.shape,
                                           torch::TensorOptions().dtype(to_torch(in.dtype))));
      }
      std::vector<Tensor> outputs;
      flatten_outputs(module_.forward(args), outputs);
      return outputs;
    } catch (const c10::Error& e) {
      throw Error(ErrorKind::framework,
                  "libtorch run failed: " + torch_message(e.what_without_backtrace()));
    } catch (const std::runtime_error& e) {  // TorchScript interpreter errors
      if (dynamic_cast<const Error*>(&e) != nullptr) throw;
      throw Error(ErrorKind::framework, "libtorch run failed: " + torch_message(e.what()));
    }
  }

 private:
  void read_signature() {
    signature_ = {};
    const auto& schema = module_.get_method("forward").function().getSchema();
    const auto& args = schema.arguments();
    // Argument 0 is `self`. TorchScript records no dtype or shape for tensor arguments.
    for (std::size_t i = 1; i < args.size(); ++i) {
      signature_.inputs.push_back({args[i].name(), DType::float32, {}, false});
    }
    const std::size_t outputs =
        schema.returns().empty() ? 0 : count_outputs(schema.returns()[0].type());
    for (std::size_t i = 0; i < outputs; ++i) {
      signature_.outputs.push_back({"output_" + std::to_string(i), DType::float32, {}, false});
    }
  }

  torch::jit::Module module_;
  Signature signature_;
  Settings settings_;
};

}  // namespace

std::unique_ptr<Backend> make_libtorch_backend() { return std::make_unique<LibTorchBackend>(); }

}  // namespace infbench
