// LibTorch adapter for TorchScript modules, on the CPU and (where the LibTorch found was built with
// CUDA) on a GPU. CPU knobs: threads (always set explicitly: LibTorch's default here is 1 thread),
// inter-op threads, the post-training pass (none | freeze | optimize_for_inference), the NNC fuser
// (off by default: it hangs on DenseNet-201 on GPU and costs ResNet-50 nothing), and a cache of the
// optimised module. GPU knobs: precision fp32 (TF32 on/off) / fp16 / bf16, channels-last, cuDNN
// benchmark mode, and CUDA graphs (one graph captured per batch row count on first use, then
// replayed: removes the per-kernel launch cost that dominates small batches).

#include "infbench/backend.hpp"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/script.h>
#include <torch/version.h>

#include <array>
#include <memory>

#include "core/atomic_file.hpp"
#include "core/file_key.hpp"
#include "option_values.hpp"
#include "torch_common.hpp"
#include "torch_gpu.hpp"

namespace infbench {
namespace {

using torch_common::to_host;
using torch_common::torch_message;

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

void flatten_outputs(const c10::IValue& value, std::vector<Tensor>& out) {
  if (value.isTensor()) {
    out.push_back(to_host(value.toTensor()));
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
    info.zoo_files = {"torchscript"};
    info.precisions = {"fp32"};
    info.optimization_levels = {"freeze", "none", "optimize_for_inference"};
    info.cache = true;
    info.options = {
        {"interop_threads", "inter-op pool size (process-wide, settable once)", "1", {}, true},
        {"fuser", "TorchScript NNC tensor-expression fuser", "off", {"off", "on"}, false},
        {"blas_threads", "OpenBLAS threads when OpenBLAS is the BLAS", "1", {}, true},
    };
    info.notes =
        "Threads are process-wide in LibTorch. optimize_for_inference gave wrong outputs for "
        "mobilenet_v3_small in 1.13: compare outputs before trusting it. The default level is "
        "freeze on the CPU and optimize_for_inference on a GPU.";
    if (!torch_gpu::built()) {
      info.notes += " CPU only in this build (the LibTorch found has no CUDA).";
      return info;
    }
    info.gpus = torch_gpu::visible_gpus();
    info.precisions = {"fp32", "fp16", "bf16"};
    info.device_inputs = true;
    info.allocator_peaks = torch_gpu::allocator_peaks();
    info.options.insert(info.options.end(),
                        {
                            {"tf32",
                             "GPU fp32: TF32 tensor cores in cuBLAS and cuDNN (process-wide)",
                             "on",
                             {"on", "off"},
                             false},
                            {"channels_last",
                             "GPU: NHWC weights and inputs (tensor-core friendly)",
                             "off",
                             {"off", "on"},
                             false},
                            // Off by default: the zoo's traced files ran with the tracer's
                            // baked benchmark=False until the adapter rewrote it (session
                            // 11), and on the H200 autotuning gained nothing at batch 256
                            // (13.80k on vs 13.86k off, ResNet-50 fp16) while it re-tunes
                            // every new batch row count a server run's batcher forms.
                            {"cudnn_benchmark",
                             "GPU: cuDNN autotunes convolutions per input shape (process-wide)",
                             "off",
                             {"off", "on"},
                             false},
                            {"cuda_graph",
                             "GPU: capture one CUDA graph per batch row count, then replay",
                             "off",
                             {"off", "on"},
                             false},
                        });
    info.notes +=
        " GPU: fp16/bf16 cast the module and its inputs on the GPU; outputs come back as float32. "
        "cuda_graph captures on the first call of each batch size (after 3 warm-up calls): that "
        "first call is slow. fp16/bf16 need --device k.";
    if (info.gpus.empty()) info.notes += " No GPU visible: CPU only here.";
    return info;
  }

  LoadResult load(const std::filesystem::path& model, const Params& params,
                  PhaseMarker& phases) override {
    const BackendInfo me = info();
    const int threads = params.threads > 0 ? params.threads : default_thread_count();
    const std::string level = default_level(params, me);
    const bool fuser = option_value(params, me, "fuser") == "on";
    if (params.device < 0 && params.precision != "fp32") {
      throw Error(ErrorKind::unsupported, "precision " + params.precision +
                                              ": libtorch runs fp16/bf16 on a GPU only here; "
                                              "use --device 0 or --precision fp32");
    }
    device_ = params.device;
    dtype_ = torch_common::precision_type(params.precision);
    LoadResult result;
    try {
      at::set_num_threads(threads);
      const int interop = set_interop_threads(option_int(params, me, "interop_threads"));
      const int blas = set_blas_threads(option_int(params, me, "blas_threads"));
      torch::jit::setTensorExprFuserEnabled(fuser);
      Settings gpu_settings = configure_gpu(params, me);
      stream_ = std::make_unique<torch_gpu::ModelStream>(device_);
      if (device_ >= 0) gpu_settings.emplace_back("cuda_stream", "own");
      const torch::Device where =
          device_ >= 0 ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(device_))
                       : torch::Device(torch::kCPU);

      if (!params.cache_dir.empty()) {
        std::filesystem::create_directories(params.cache_dir);
        // The cached module is specific to everything that changed it before saving.
        const std::string variant =
            device_ < 0 ? level
                        : level + "." + params.precision + (channels_last_ ? ".nhwc" : "") +
                              (cudnn_benchmark_ ? ".bench" : "") + (tf32_ ? ".tf32" : "") + ".cuda";
        result.cache_file = params.cache_dir / (model.stem().string() + "." +
                                                cache_key(model, {me.framework_version, variant}) +
                                                "." + variant + ".pt");
        result.cache = std::filesystem::is_regular_file(result.cache_file) ? CacheStatus::hit
                                                                           : CacheStatus::miss;
      }
      phases.mark("read");
      if (result.cache == CacheStatus::hit) {
        module_ = torch::jit::load(result.cache_file.string(), where);
      } else {
        module_ = torch::jit::load(model.string(), where);
        module_.eval();
        phases.mark("optimize");
        prepare_for_device();
        if (level == "freeze") module_ = torch::jit::freeze(module_);
        if (level == "optimize_for_inference")
          module_ = torch::jit::optimize_for_inference(module_);
        if (result.cache == CacheStatus::miss) {
          phases.mark("cache_write");
          AtomicPath cached(result.cache_file);
          module_.save(cached.tmp().string());
          cached.commit();
        }
      }
      read_signature();
      result.per_shape_setup = graphs_ != nullptr;
      settings_ = {{"batch_size", std::to_string(params.batch_size)},
                   {"device", std::to_string(device_)},
                   {"precision", params.precision},
                   {"optimization", level},
                   {"threads", std::to_string(at::get_num_threads())},
                   {"interop_threads", std::to_string(interop)},
                   {"fuser", fuser ? "on" : "off"},
                   {"blas_threads", blas < 0 ? "n/a (no OpenBLAS)" : std::to_string(blas)},
                   {"cache_dir", params.cache_dir.string()},
                   {"cache", std::string(to_string(result.cache))}};
      settings_.insert(settings_.end(), gpu_settings.begin(), gpu_settings.end());
      if (device_ >= 0) {
        // A module from the cache was rewritten before it was saved.
        settings_.emplace_back("traced_convolutions", result.cache == CacheStatus::hit
                                                          ? "cudnn flags set before caching"
                                                          : std::to_string(traced_convolutions_) +
                                                                " given these cudnn flags");
      }
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
      const auto on_own_stream = stream_->enter();
      std::vector<at::Tensor> args;
      args.reserve(inputs.size());
      for (const auto& in : inputs) args.push_back(to_device(torch_common::wrap(in)));
      std::vector<Tensor> outputs;
      flatten_outputs(forward(args), outputs);
      return outputs;
    } catch (const c10::OutOfMemoryError& e) {
      throw Error(ErrorKind::framework, "libtorch run failed: out of GPU memory: " +
                                            first_line(e.what_without_backtrace()));
    } catch (const c10::Error& e) {
      throw Error(ErrorKind::framework,
                  "libtorch run failed: " + torch_message(e.what_without_backtrace()));
    } catch (const std::runtime_error& e) {  // TorchScript interpreter errors
      if (dynamic_cast<const Error*>(&e) != nullptr) throw;
      throw Error(ErrorKind::framework, "libtorch run failed: " + torch_message(e.what()));
    }
  }

 private:
  // A GPU load defaults to optimize_for_inference: TorchScript's frozen conv-add-relu fusion into
  // cuDNN removes the batch-norm-folded bias add that made frozen graphs slower than eager on the
  // GPU (H200, fp16 channels-last CUDA graphs, batch 256, one call: ResNet-50 23,576 img/s against
  // eager's 16,694, DenseNet-201 6,931 against 6,351; EfficientNet-B0 20,536 against freeze's
  // 20,581 and VGG-19 7,513 against 7,494: results/h200/session13-14/). The CPU keeps freeze
  // (optimize_for_inference broke mobilenet_v3_small in LibTorch 1.13).
  static std::string default_level(const Params& params, const BackendInfo& me) {
    if (params.optimization.empty() && params.device >= 0) return "optimize_for_inference";
    return optimization_level(params, me);
  }

  // Process-wide GPU switches and this module's GPU options; returns their effective values.
  Settings configure_gpu(const Params& params, const BackendInfo& me) {
    if (!torch_gpu::built()) return {};
    if (device_ < 0) {
      return {{"tf32", "n/a"},
              {"channels_last", "n/a"},
              {"cudnn_benchmark", "n/a"},
              {"cuda_graph", "n/a"}};
    }
    const bool tf32 = option_value(params, me, "tf32") == "on";
    const bool benchmark = option_value(params, me, "cudnn_benchmark") == "on";
    tf32_ = tf32;
    cudnn_benchmark_ = benchmark;
    channels_last_ = option_value(params, me, "channels_last") == "on";
    if (option_value(params, me, "cuda_graph") == "on")
      graphs_ = std::make_unique<torch_gpu::GraphCache>(device_);
    torch_gpu::set_process_switches(tf32, benchmark);
    return {{"tf32", dtype_ == c10::ScalarType::Float ? (tf32 ? "on" : "off") : "n/a"},
            {"channels_last", channels_last_ ? "on" : "off"},
            {"cudnn_benchmark", benchmark ? "on" : "off"},
            {"cuda_graph", graphs_ ? "on" : "off"},
            {"gpu_name", torch_gpu::device_name(device_)}};
  }

  // Before freezing: the compute type and memory layout, so that frozen constants have them.
  void prepare_for_device() {
    if (device_ < 0) return;
    traced_convolutions_ = 0;
    for (const auto& method : module_.get_methods()) {
      traced_convolutions_ +=
          torch_common::set_traced_conv_flags(method.graph()->block(), cudnn_benchmark_, tf32_);
    }
    if (dtype_ == c10::ScalarType::Float && !channels_last_) return;
    torch::NoGradGuard no_grad;
    for (auto p : module_.parameters()) p.set_data(converted(p));
    for (auto b : module_.buffers()) b.set_data(converted(b));
    // A frozen module (the zoo's .ts files are frozen) holds its weights as graph constants,
    // which Module::to and parameters() never see: convert those too.
    for (const auto& method : module_.get_methods()) convert_constants(method.graph()->block());
  }

  at::Tensor converted(const at::Tensor& t) const {
    if (!t.is_floating_point()) return t;
    at::Tensor out = t.to(dtype_);
    if (channels_last_ && out.dim() == 4) out = out.contiguous(at::MemoryFormat::ChannelsLast);
    return out;
  }

  void convert_constants(torch::jit::Block* block) const {
    for (auto* node : block->nodes()) {
      for (auto* inner : node->blocks()) convert_constants(inner);
      if (node->kind() != c10::prim::Constant || !node->hasAttribute(c10::attr::value) ||
          node->kindOf(c10::attr::value) != torch::jit::AttributeKind::t) {
        continue;
      }
      const at::Tensor t = converted(node->t(c10::attr::value));
      node->t_(c10::attr::value, t);
      node->output()->inferTypeFrom(t);
    }
  }

  at::Tensor to_device(at::Tensor t) const {
    if (device_ < 0) return t;
    if (!t.is_cuda()) t = t.to(torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(device_)));
    if (t.is_floating_point() && t.scalar_type() != dtype_) t = t.to(dtype_);
    // Float images only: an integer input is the model's raw data, e.g. the zoo's uint8 NHWC
    // pixels, whose permute inside the program already gives a channels-last view; reordering it
    // as if dimension 1 were channels copies it for nothing. (With that copy, resnet50_u8 fp16
    // batch 256 on the H200 ran at 0.956 of the float input, results/h200/session14/; without
    // it, not measured yet.)
    if (channels_last_ && t.dim() == 4 && t.is_floating_point())
      t = t.contiguous(at::MemoryFormat::ChannelsLast);
    return t;
  }

  static std::vector<c10::IValue> ivalues(const std::vector<at::Tensor>& tensors) {
    return {tensors.begin(), tensors.end()};
  }

  c10::IValue forward(const std::vector<at::Tensor>& args) {
    if (graphs_) return graphs_->replay(module_, args);
    return module_.forward(ivalues(args));
  }

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
  int device_ = -1;
  c10::ScalarType dtype_ = c10::ScalarType::Float;
  bool channels_last_ = false;
  bool cudnn_benchmark_ = false;
  bool tf32_ = false;
  int traced_convolutions_ = 0;
  std::unique_ptr<torch_gpu::ModelStream> stream_;  // this model's stream on its GPU
  std::unique_ptr<torch_gpu::GraphCache> graphs_;   // set when cuda_graph=on
};

}  // namespace

std::unique_ptr<Backend> make_libtorch_backend() { return std::make_unique<LibTorchBackend>(); }

}  // namespace infbench
