// Apache TVM adapter: runs Relax modules that tools/tvm_zoo.py compiled ahead of time (ONNX ->
// tvm.relax.frontend.onnx -> tvm.compile for an LLVM CPU target -> export_library, a .so). In
// process, through tvm-ffi's C++ API: Module::LoadFromFile dlopens the .so, its
// "vm_load_executable" gives the Relax virtual machine (in libtvm_runtime.so), "vm_initialization"
// binds it to a device and allocator, and "main" runs one batch. The harness owns the clock.
//
// Compilation is not done here: TVM's compiler is Python-driven (libtvm_compiler.so has no C++
// API of its own in the wheel), so its settings (target CPU, opt level, tuning) belong to the zoo
// file, whose sidecar <file>.json records them; they are reported as effective settings and the
// compile time as ahead-of-time optimisation (LoadResult::ahead_of_time_optimize_s).
//
// Threads: TVM's thread pool is one per process (runtime.config_threadpool), so co-located TVM
// models share the thread count of the last load.

#include "infbench/backend.hpp"

#include <dlfcn.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/function.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "option_values.hpp"

namespace infbench {
namespace {

namespace ffi = tvm::ffi;

// The Relax VM's allocator kinds (tvm/runtime/memory/memory_manager.h, AllocatorType).
constexpr int kNaiveAllocator = 1;
constexpr int kPooledAllocator = 2;
// runtime.config_threadpool's affinity mode kBig: on x86 every core (threading_backend.cc).
constexpr int kAffinityAllCores = 1;

struct Sidecar {
  bool found = false;
  std::string target, device = "cpu", tvm_version, tuning;
  int opt_level = -1;
  int tuning_records = 0;  // MetaSchedule records the module's schedules were chosen from
  std::string input_name = "input", output_name = "logits";
  Shape input_shape, output_shape;
  DType input_dtype = DType::float32;  // uint8 for the zoo's pixel-input variants
  std::optional<double> compile_s;
};

Sidecar read_sidecar(const std::filesystem::path& module) {
  Sidecar s;
  auto path = module;
  path += ".json";
  std::ifstream in(path);
  if (!in) return s;
  try {
    const auto j = nlohmann::json::parse(in);
    s.found = true;
    s.target = j.value("target", "");
    s.device = j.value("device", "cpu");
    s.tvm_version = j.value("tvm_version", "");
    s.tuning = j.value("tuning", "");
    s.opt_level = j.value("opt_level", -1);
    s.tuning_records = j.value("tuning_records", 0);
    s.input_name = j.value("input_name", s.input_name);
    s.output_name = j.value("output_name", s.output_name);
    s.input_shape = j.value("input_shape", Shape{});
    s.output_shape = j.value("output_shape", Shape{});
    if (j.contains("compile_s")) s.compile_s = j["compile_s"].get<double>();
    const std::string dtype = j.value("input_dtype", "float32");
    if (const auto known = parse_dtype(dtype)) {
      s.input_dtype = *known;
    } else {
      throw Error(ErrorKind::invalid_argument,
                  path.string() + ": input_dtype '" + dtype +
                      "' is unknown; rebuild it with tools/tvm_zoo.py");
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::invalid_argument,
                path.string() + ": not a valid module sidecar (" + first_line(e.what()) +
                    "); rebuild it with tools/tvm_zoo.py or delete it");
  }
  return s;
}

ffi::Function global(const char* name) {
  auto f = ffi::Function::GetGlobal(name);
  if (!f) {
    throw Error(ErrorKind::framework, std::string("tvm: the runtime has no '") + name +
                                          "' (is libtvm_runtime.so from apache-tvm " +
                                          INFBENCH_TVM_VERSION + " loaded?)");
  }
  return *f;
}

ffi::Function function_of(const ffi::Module& module, const char* name,
                          const std::filesystem::path& file) {
  auto f = module->GetFunction(name, true);
  if (!f) {
    throw Error(ErrorKind::invalid_argument,
                file.string() + ": has no '" + name +
                    "' function: not a Relax VM module (build it with tools/tvm_zoo.py)");
  }
  return *f;
}

// libtvm_runtime.so (the Relax VM, the ".so" module loader, the thread pool) registers itself
// with tvm-ffi when loaded; RTLD_GLOBAL because compiled modules call its TVMBackend* functions.
// Opened on first use, so binaries that never run TVM do not load it.
void load_tvm_runtime() {
  static const std::string why_not = [] {
    if (dlopen(INFBENCH_TVM_RUNTIME_LIBRARY, RTLD_NOW | RTLD_GLOBAL) != nullptr)
      return std::string();
    const char* e = dlerror();
    return std::string(e != nullptr ? e : "dlopen failed");
  }();
  if (!why_not.empty()) {
    throw Error(ErrorKind::framework, std::string("tvm: cannot open ") +
                                          INFBENCH_TVM_RUNTIME_LIBRARY + ": " + why_not +
                                          " (run scripts/setup.sh to install apache-tvm)");
  }
}

// The CUDA device API is a separate library of the wheel (libtvm_runtime_cuda.so, built against
// CUDA 13); loading it registers "device_api.cuda". Empty: loaded, else why not.
std::string load_cuda_runtime() {
#ifdef INFBENCH_TVM_CUDA_LIBRARY
  load_tvm_runtime();
  static const std::string why_not = [] {
    if (dlopen(INFBENCH_TVM_CUDA_LIBRARY, RTLD_NOW | RTLD_GLOBAL) != nullptr) return std::string();
    const char* e = dlerror();
    return std::string(e != nullptr ? e : "dlopen failed");
  }();
  return why_not;
#else
  return "this build found no libtvm_runtime_cuda.so in the apache-tvm wheel";
#endif
}

int visible_gpus() {
  if (!load_cuda_runtime().empty()) return 0;
  try {
    // kDLCUDA device 0, attribute kExist (0): the CUDA driver answers whether a device exists.
    int n = 0;
    while (n < 64 && global("runtime.GetDeviceAttr")(static_cast<int>(kDLCUDA), n, 0).cast<int>())
      ++n;
    return n;
  } catch (const ffi::Error&) {
    return 0;
  }
}

DLDataType dl_type(DType dtype) {
  switch (dtype) {
    case DType::float32: return {kDLFloat, 32, 1};
    case DType::float16: return {kDLFloat, 16, 1};
    case DType::float64: return {kDLFloat, 64, 1};
    case DType::int8: return {kDLInt, 8, 1};
    case DType::bfloat16: return {kDLBfloat, 16, 1};
    case DType::int64: return {kDLInt, 64, 1};
    case DType::int32: return {kDLInt, 32, 1};
    case DType::uint8: return {kDLUInt, 8, 1};
    case DType::boolean: return {kDLBool, 8, 1};
  }
  return {kDLFloat, 32, 1};
}

DType to_dtype(DLDataType t) {
  if (t.code == kDLFloat && t.bits == 32) return DType::float32;
  if (t.code == kDLFloat && t.bits == 16) return DType::float16;
  if (t.code == kDLFloat && t.bits == 64) return DType::float64;
  if (t.code == kDLInt && t.bits == 8) return DType::int8;
  if (t.code == kDLBfloat && t.bits == 16) return DType::bfloat16;
  if (t.code == kDLInt && t.bits == 64) return DType::int64;
  if (t.code == kDLInt && t.bits == 32) return DType::int32;
  if (t.code == kDLUInt && t.bits == 8) return DType::uint8;
  if (t.code == kDLBool) return DType::boolean;
  throw Error(ErrorKind::unsupported, "tvm: output element type code " + std::to_string(t.code) +
                                          " bits " + std::to_string(t.bits) +
                                          " is not handled by infbench");
}

class TvmBackend final : public Backend {
 public:
  BackendInfo info() const override {
    BackendInfo info;
    info.name = "tvm";
    info.framework_version = INFBENCH_TVM_VERSION;
    info.model_format = ".so (Relax VM module compiled by tools/tvm_zoo.py)";
    // Tuned modules are compiled for one batch size; the untuned one takes any batch.
    info.zoo_files = {"tvm_llvm_tuned_b{batch}", "tvm_llvm"};
    info.precisions = {"fp32"};
    info.optimization_levels = {"ahead_of_time"};
    info.cache = false;  // the compiled module is the cache: nothing is compiled at load
    info.options = {
        {"allocator",
         "the Relax VM's memory allocator: pooled reuses buffers across calls, naive allocates "
         "each time",
         "pooled",
         {"pooled", "naive"},
         false},
    };
    info.notes =
        "Compiled ahead of time by tools/tvm_zoo.py (target CPU, opt level and tuning are the "
        "module's, recorded in its sidecar .json and reported as settings; the compile time is "
        "load_optimize_s). One thread pool per process: co-located TVM models share the thread "
        "count of the last load. ";
    const std::string cuda = load_cuda_runtime();
    const int gpus = cuda.empty() ? visible_gpus() : 0;
    for (int k = 0; k < gpus; ++k) info.gpus.push_back(k);
    info.notes +=
        cuda.empty()
            ? "The CUDA runtime of the wheel loads; GPU k needs a module compiled for CUDA "
              "(not verified on this machine)."
            : "GPU: the wheel's CUDA runtime does not load here (" + first_line(cuda) + ").";
    return info;
  }

  LoadResult load(const std::filesystem::path& model, const Params& params,
                  PhaseMarker& phases) override {
    const BackendInfo me = info();
    if (!std::filesystem::is_regular_file(model)) {
      throw Error(ErrorKind::not_found, model.string() + ": no such file");
    }
    const Sidecar sidecar = read_sidecar(model);
    if (sidecar.found && sidecar.device == "cuda" && params.device < 0) {
      throw Error(ErrorKind::unsupported,
                  model.filename().string() + " was compiled for CUDA: pass --device 0");
    }
    if (sidecar.found && sidecar.device == "cpu" && params.device >= 0) {
      throw Error(ErrorKind::unsupported, model.filename().string() +
                                              " was compiled for the CPU: use --device -1 or "
                                              "a module compiled for CUDA");
    }
    if (params.device >= 0) {
      if (const auto why = load_cuda_runtime(); !why.empty()) {
        throw Error(ErrorKind::unsupported,
                    "tvm: GPU " + std::to_string(params.device) +
                        ": the CUDA runtime does not load: " + first_line(why));
      }
    }
    device_ = params.device >= 0 ? DLDevice{kDLCUDA, params.device} : DLDevice{kDLCPU, 0};
    const int threads = params.threads > 0 ? params.threads : default_thread_count();
    const std::string allocator = option_value(params, me, "allocator");
    LoadResult result;
    result.cache_file = model;
    result.ahead_of_time_optimize_s = sidecar.compile_s;
    load_tvm_runtime();
    try {
      global("runtime.config_threadpool")(kAffinityAllCores, threads);
      phases.mark("read");  // dlopen of the compiled module
      library_ = ffi::Module::LoadFromFile(model.string());
      phases.mark("init");  // the VM: executable, device, allocator
      const auto load_executable = function_of(*library_, "vm_load_executable", model);
      vm_ = load_executable().cast<ffi::Module>();
      const int alloc = allocator == "naive" ? kNaiveAllocator : kPooledAllocator;
      const auto init = function_of(*vm_, "vm_initialization", model);
      // The VM runs shape functions on the host: a GPU VM is given the CPU as a second device.
      if (device_.device_type == kDLCPU) {
        init(static_cast<int>(kDLCPU), 0, alloc);
      } else {
        init(static_cast<int>(device_.device_type), device_.device_id, alloc,
             static_cast<int>(kDLCPU), 0, alloc);
      }
      main_ = function_of(*vm_, "main", model);
      alloc_ = global("runtime.TVMTensorAllocWithScope");
      copy_from_bytes_ = global("runtime.TVMTensorCopyFromBytes");
      copy_to_bytes_ = global("runtime.TVMTensorCopyToBytes");
    } catch (const ffi::Error& e) {
      throw Error(ErrorKind::framework, model.string() + ": tvm cannot load it (is it a module " +
                                            "from tools/tvm_zoo.py?): " + first_line(e.message()));
    }
    signature_ = {};
    signature_.inputs.push_back({sidecar.input_name, sidecar.input_dtype, sidecar.input_shape,
                                 !sidecar.input_shape.empty()});
    signature_.outputs.push_back(
        {sidecar.output_name, DType::float32, sidecar.output_shape, !sidecar.output_shape.empty()});
    inputs_.clear();
    settings_ = {
        {"batch_size", std::to_string(params.batch_size)},
        {"device", std::to_string(params.device)},
        {"precision", params.precision},
        {"optimization", "ahead_of_time"},
        {"threads", std::to_string(threads)},
        {"allocator", allocator},
        {"module_target", sidecar.found ? sidecar.target : "unknown (no sidecar)"},
        {"module_opt_level", std::to_string(sidecar.opt_level)},
        {"module_tuning", sidecar.tuning},
        {"module_tuning_records", std::to_string(sidecar.tuning_records)},
        {"module_compile_s", sidecar.compile_s ? std::to_string(*sidecar.compile_s) : "unknown"},
        {"module_tvm_version", sidecar.tvm_version}};
    return result;
  }

  const Signature& signature() const override { return signature_; }
  Settings effective_settings() const override { return settings_; }

  std::vector<Tensor> run_batch(std::span<const TensorView> inputs) override {
    try {
      std::vector<ffi::Any> args;
      args.reserve(inputs.size());
      if (inputs_.size() != inputs.size()) inputs_.assign(inputs.size(), std::nullopt);
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        args.emplace_back(to_device(i, inputs[i]));
      }
      std::vector<ffi::AnyView> views(args.begin(), args.end());
      ffi::Any out;
      main_->CallPacked(views.data(), static_cast<int>(views.size()), &out);
      std::vector<Tensor> outputs;
      if (auto tensor = out.try_cast<ffi::Tensor>()) {
        outputs.push_back(to_host(*tensor));
      } else if (auto array = out.try_cast<ffi::Array<ffi::Tensor>>()) {
        for (const auto& t : *array) outputs.push_back(to_host(t));
      } else {
        throw Error(ErrorKind::unsupported,
                    "tvm: main returned a " + out.GetTypeKey() + ", not tensors");
      }
      return outputs;
    } catch (const ffi::Error& e) {
      throw Error(ErrorKind::framework, "tvm run failed: " + first_line(e.message()));
    }
  }

 private:
  // The input in a tensor the VM owns on its device (64-byte aligned, as TVM's kernels assume),
  // kept across calls of one shape: one copy of the batch per call, as the Python runtime's
  // tvm.runtime.tensor(numpy) does.
  ffi::Tensor to_device(std::size_t i, const TensorView& in) {
    auto& slot = inputs_[i];
    const auto shape = slot ? slot->shape() : ffi::ShapeView();
    const bool same = slot && slot->dtype() == dl_type(in.dtype) &&
                      std::equal(shape.begin(), shape.end(), in.shape.begin(), in.shape.end());
    if (!same) {
      slot =
          (*alloc_)(ffi::Shape(in.shape), dl_type(in.dtype), device_, ffi::Optional<ffi::String>())
              .cast<ffi::Tensor>();
    }
    (*copy_from_bytes_)(*slot, static_cast<void*>(const_cast<std::byte*>(in.data)), in.byte_size());
    return *slot;
  }

  Tensor to_host(const ffi::Tensor& t) const {
    const DType dtype = to_dtype(t.dtype());
    const Shape shape(t.shape().begin(), t.shape().end());
    if (t.device().device_type == kDLCPU && t.IsContiguous()) {
      const auto* data = static_cast<const std::byte*>(t.data_ptr()) + t.byte_offset();
      return Tensor(dtype, shape, {data, ffi::GetDataSize(*t.GetDLTensorPtr())});
    }
    Tensor host(dtype, shape);
    (*copy_to_bytes_)(t, static_cast<void*>(host.data()), host.byte_size());
    return host;
  }

  std::optional<ffi::Module> library_, vm_;
  std::optional<ffi::Function> main_, alloc_, copy_from_bytes_, copy_to_bytes_;
  std::vector<std::optional<ffi::Tensor>> inputs_;
  DLDevice device_{kDLCPU, 0};
  Signature signature_;
  Settings settings_;
};

}  // namespace

std::unique_ptr<Backend> make_tvm_backend() { return std::make_unique<TvmBackend>(); }

}  // namespace infbench
