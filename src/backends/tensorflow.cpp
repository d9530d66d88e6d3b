// TensorFlow adapter (CPU), through TensorFlow's C API only: no protobuf or C++ classes cross the
// boundary, so the wheel's libtensorflow_cc.so.2 can be used whatever its compiler and ABI.
// Model: a TF2 SavedModel directory (tools/tf_zoo.py); the signature is read from the serialized
// MetaGraphDef with a small protobuf wire-format reader, the session is configured with a
// ConfigProto built the same way. Knobs: intra-/inter-op threads, XLA auto-clustering, oneDNN.
//
// The library is opened at the first load with dlopen(RTLD_LOCAL | RTLD_DEEPBIND), not linked:
//  * TensorFlow's own protobuf is exported from libtensorflow_framework.so.2 under the same names
//    as Debian's libprotobuf.so.32, which LibTorch and OpenCV bring into infbench's global scope;
//    linked, or opened without RTLD_DEEPBIND, TensorFlow's static initialisers call into
//    protobuf 3.21 and crash (SIGSEGV in RepeatedPtrFieldBase::InternalExtend, before main()
//    when linked). RTLD_DEEPBIND binds TensorFlow to its own copies (protobuf, BoringSSL, zlib,
//    LLVM, ...); RTLD_LOCAL keeps them from the libraries loaded after it.
//  * Linked, its static initialisers would also run in every infbench process (~290 MB RSS and
//    ~0.3 s before any model is touched, counted in other frameworks' memory peaks) and read
//    TF_ENABLE_ONEDNN_OPTS and TF_CPP_MIN_LOG_LEVEL before main(), out of the adapter's reach.
// Build definitions: INFBENCH_TENSORFLOW_LIBRARY (full path of libtensorflow_cc.so.2) and
// INFBENCH_TENSORFLOW_VERSION (the wheel's version, checked against the library's TF_Version()).
//
// Process-wide state TensorFlow keeps, and what this adapter does about it:
//  * TF_ENABLE_ONEDNN_OPTS and TF_CPP_MIN_LOG_LEVEL are read by the library's static
//    initialisers, TF_XLA_FLAGS and TF_OVERRIDE_GLOBAL_THREADPOOL on first use: all are set
//    before dlopen(). oneDNN thus cannot change within a process: a second load with the other
//    value is refused.
//  * The intra-op pool is shared by all sessions of a process and sized by the first one, unless
//    TF_OVERRIDE_GLOBAL_THREADPOOL is set (per-session pool); the inter-op pool likewise, unless
//    use_per_session_threads. Both are set, so that `threads` holds for every load.
#include <dlfcn.h>
#include <tensorflow/c/c_api.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "infbench/backend.hpp"
#include "option_values.hpp"

#ifndef INFBENCH_TENSORFLOW_LIBRARY
#error "define INFBENCH_TENSORFLOW_LIBRARY as the full path of libtensorflow_cc.so.2"
#endif
#ifndef INFBENCH_TENSORFLOW_VERSION
#error "define INFBENCH_TENSORFLOW_VERSION as the version of the TensorFlow wheel"
#endif

namespace infbench {

std::unique_ptr<Backend> make_tensorflow_backend();

namespace {

constexpr const char* kTag = "serve";
constexpr const char* kExportHint = "export it with tools/tf_zoo.py";

// --- protobuf wire format --------------------------------------------------------------------

class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One field of a serialized message: its number and either a varint or a byte range.
struct WireField {
  std::uint32_t number = 0;
  std::uint32_t type = 0;  // 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32
  std::uint64_t varint = 0;
  std::string_view bytes;
};

class WireReader {
 public:
  explicit WireReader(std::string_view message) : rest_(message) {}

  bool next(WireField& field) {
    if (rest_.empty()) return false;
    const std::uint64_t key = varint();
    field.number = static_cast<std::uint32_t>(key >> 3);
    field.type = static_cast<std::uint32_t>(key & 7);
    switch (field.type) {
      case 0: field.varint = varint(); break;
      case 1: field.bytes = take(8); break;
      case 2: field.bytes = take(varint()); break;
      case 5: field.bytes = take(4); break;
      default: throw WireError("unsupported wire type " + std::to_string(field.type));
    }
    return true;
  }

 private:
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (rest_.empty()) throw WireError("truncated varint");
      const auto byte = static_cast<std::uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    throw WireError("varint longer than 10 bytes");
  }
  std::string_view take(std::uint64_t size) {
    if (size > rest_.size()) throw WireError("field runs past the end of its message");
    const auto part = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return part;
  }

  std::string_view rest_;
};

// A map<string, Message> entry (key = 1, value = 2).
std::pair<std::string, std::string_view> map_entry(std::string_view entry) {
  std::pair<std::string, std::string_view> result;
  WireReader reader(entry);
  WireField field;
  while (reader.next(field)) {
    if (field.number == 1 && field.type == 2) result.first = std::string(field.bytes);
    if (field.number == 2 && field.type == 2) result.second = field.bytes;
  }
  return result;
}

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}
// int32 and enum fields: negative values are sign-extended to 64 bits, as protobuf does.
void put_int(std::string& out, std::uint32_t number, std::int64_t value) {
  put_varint(out, std::uint64_t{number} << 3);
  put_varint(out, static_cast<std::uint64_t>(value));
}
void put_message(std::string& out, std::uint32_t number, const std::string& message) {
  put_varint(out, (std::uint64_t{number} << 3) | 2);
  put_varint(out, message.size());
  out += message;
}

// --- dtypes -----------------------------------------------------------------------------------

struct TypeRow {
  TF_DataType tf;
  DType dtype;
};
constexpr std::array<TypeRow, 9> kTypes{{
    {TF_FLOAT, DType::float32},
    {TF_HALF, DType::float16},
    {TF_BFLOAT16, DType::bfloat16},
    {TF_INT64, DType::int64},
    {TF_INT32, DType::int32},
    {TF_UINT8, DType::uint8},
    {TF_BOOL, DType::boolean},
    {TF_DOUBLE, DType::float64},
    {TF_INT8, DType::int8},
}};

DType to_dtype(std::uint64_t type, const std::string& tensor_name) {
  for (const auto& row : kTypes) {
    if (static_cast<std::uint64_t>(row.tf) == type) return row.dtype;
  }
  throw Error(ErrorKind::unsupported, "tensor '" + tensor_name + "' has TensorFlow DataType " +
                                          std::to_string(type) +
                                          ", which infbench does not handle");
}

TF_DataType to_tf(DType dtype) {
  for (const auto& row : kTypes) {
    if (row.dtype == dtype) return row.tf;
  }
  return TF_FLOAT;  // unreachable: every DType has a row
}

// --- signature --------------------------------------------------------------------------------

// A signature tensor: infbench's description plus the graph endpoint ("op:index") behind it.
struct SignatureTensor {
  TensorSpec spec;
  std::string endpoint;
};

struct SignatureTensors {
  std::vector<SignatureTensor> inputs;
  std::vector<SignatureTensor> outputs;
};

Shape read_shape(std::string_view proto, bool& known) {
  Shape shape;
  known = true;
  WireReader reader(proto);
  WireField field;
  while (reader.next(field)) {
    if (field.number == 3 && field.type == 0 && field.varint != 0) known = false;  // unknown_rank
    if (field.number != 2 || field.type != 2) continue;                            // dim
    std::int64_t size = -1;
    WireReader dim(field.bytes);
    WireField f;
    while (dim.next(f)) {
      if (f.number == 1 && f.type == 0) size = static_cast<std::int64_t>(f.varint);
    }
    shape.push_back(size < 0 ? -1 : size);
  }
  return shape;
}

SignatureTensor read_tensor_info(const std::string& key, std::string_view proto) {
  SignatureTensor tensor;
  tensor.spec.name = key;
  std::uint64_t dtype = 0;
  WireReader reader(proto);
  WireField field;
  while (reader.next(field)) {
    if (field.number == 1 && field.type == 2) tensor.endpoint = std::string(field.bytes);
    if (field.number == 2 && field.type == 0) dtype = field.varint;
    if (field.number == 3 && field.type == 2) {
      tensor.spec.shape = read_shape(field.bytes, tensor.spec.shape_known);
    }
    if (field.number == 4 || field.number == 5) {
      throw Error(ErrorKind::unsupported, "signature tensor '" + key +
                                              "' is sparse or composite; infbench handles "
                                              "dense tensors only");
    }
  }
  tensor.spec.dtype = to_dtype(dtype, key);
  return tensor;
}

// Inputs and outputs of SignatureDef `key` in the MetaGraphDef, each sorted by name: the order
// in which TensorFlow flattens a signature's dictionaries (tf.nest sorts dict keys).
SignatureTensors read_signature_def(std::string_view meta_graph, const std::string& key,
                                    const std::filesystem::path& model) {
  std::map<std::string, std::string_view> signatures;
  WireReader reader(meta_graph);
  WireField field;
  while (reader.next(field)) {
    if (field.number == 5 && field.type == 2) signatures.insert(map_entry(field.bytes));
  }
  const auto it = signatures.find(key);
  if (it == signatures.end()) {
    std::string present;
    for (const auto& [name, def] : signatures) {
      if (name.starts_with("__")) continue;  // __saved_model_init_op and the like
      present += (present.empty() ? "" : ", ") + name;
    }
    throw Error(ErrorKind::not_found,
                model.string() + ": the SavedModel has no signature '" + key +
                    "'; signatures: " + (present.empty() ? std::string("(none)") : present));
  }
  std::map<std::string, SignatureTensor> inputs, outputs;
  WireReader def(it->second);
  while (def.next(field)) {
    if ((field.number != 1 && field.number != 2) || field.type != 2) continue;
    auto [name, info] = map_entry(field.bytes);
    auto tensor = read_tensor_info(name, info);
    (field.number == 1 ? inputs : outputs).emplace(std::move(name), std::move(tensor));
  }
  SignatureTensors result;
  for (auto& [name, tensor] : inputs) result.inputs.push_back(std::move(tensor));
  for (auto& [name, tensor] : outputs) result.outputs.push_back(std::move(tensor));
  return result;
}

// --- the library, opened at first use ---------------------------------------------------------

// The C API functions the adapter calls: listed once, declared and looked up from this list.
// clang-format off
#define INFBENCH_TF_FUNCTIONS(X)  \
  X(TF_Version)                   \
  X(TF_NewStatus)                 \
  X(TF_DeleteStatus)              \
  X(TF_GetCode)                   \
  X(TF_Message)                   \
  X(TF_NewGraph)                  \
  X(TF_DeleteGraph)               \
  X(TF_GraphOperationByName)      \
  X(TF_NewSessionOptions)         \
  X(TF_DeleteSessionOptions)      \
  X(TF_SetConfig)                 \
  X(TF_NewBuffer)                 \
  X(TF_DeleteBuffer)              \
  X(TF_LoadSessionFromSavedModel) \
  X(TF_SessionRun)                \
  X(TF_CloseSession)              \
  X(TF_DeleteSession)             \
  X(TF_NewTensor)                 \
  X(TF_DeleteTensor)              \
  X(TF_TensorType)                \
  X(TF_NumDims)                   \
  X(TF_Dim)                       \
  X(TF_TensorData)                \
  X(TF_TensorByteSize)
// clang-format on

struct Api {
#define INFBENCH_TF_MEMBER(function) decltype(&::function) function = nullptr;
  INFBENCH_TF_FUNCTIONS(INFBENCH_TF_MEMBER)
#undef INFBENCH_TF_MEMBER
};

// Set once, under the loader's mutex, when the library is open; never closed (TensorFlow
// cannot be unloaded safely).
std::atomic<const Api*> loaded_api{nullptr};

const Api& tf() { return *loaded_api.load(std::memory_order_acquire); }

void set_default_env(const char* name, const char* value) {
  if (std::getenv(name) == nullptr) ::setenv(name, value, 1);
}

// Sets the variables TensorFlow reads once per process (see the top of the file).
void set_process_environment(const std::string& onednn) {
  set_default_env("TF_CPP_MIN_LOG_LEVEL", "2");
  // CPU auto-clustering is a process flag; each session's global_jit_level (ON_1 or OFF)
  // decides whether XLA is used, so the flag is set whatever the first load asks for.
  const char* user_flags = std::getenv("TF_XLA_FLAGS");
  std::string xla_flags = user_flags != nullptr ? user_flags : "";
  if (xla_flags.find("--tf_xla_cpu_global_jit") == std::string::npos) {
    xla_flags += (xla_flags.empty() ? "" : " ") + std::string("--tf_xla_cpu_global_jit");
    ::setenv("TF_XLA_FLAGS", xla_flags.c_str(), 1);
  }
  // auto: TensorFlow's own choice from the CPU's features (off on AVX2-only CPUs), or the user's
  // TF_ENABLE_ONEDNN_OPTS.
  if (onednn != "auto") ::setenv("TF_ENABLE_ONEDNN_OPTS", onednn == "on" ? "1" : "0", 1);
  set_default_env("TF_OVERRIDE_GLOBAL_THREADPOOL", "1");
}

// Opens the library at the first call, with `onednn` fixed for the process; later calls must
// ask for the same oneDNN setting.
const Api& open_library(const std::string& onednn) {
  static std::mutex mutex;
  static std::string process_onednn;
  static Api api;
  const std::lock_guard lock(mutex);
  if (loaded_api.load() != nullptr) {
    if (onednn != process_onednn) {
      throw Error(ErrorKind::unsupported,
                  "onednn=" + onednn + ": TensorFlow reads TF_ENABLE_ONEDNN_OPTS once per " +
                      "process, and this process loaded TensorFlow with onednn=" + process_onednn +
                      "; run onednn=" + onednn + " in another process");
    }
    return api;
  }
  set_process_environment(onednn);
  void* library = ::dlopen(INFBENCH_TENSORFLOW_LIBRARY, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (library == nullptr) {
    throw Error(ErrorKind::not_found, std::string("tensorflow: cannot open ") +
                                          INFBENCH_TENSORFLOW_LIBRARY + " (" + ::dlerror() +
                                          "); run scripts/setup.sh");
  }
  Api found;
  std::string missing;
#define INFBENCH_TF_LOOKUP(function)                                                     \
  found.function = reinterpret_cast<decltype(&::function)>(::dlsym(library, #function)); \
  if (found.function == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(#function);
  INFBENCH_TF_FUNCTIONS(INFBENCH_TF_LOOKUP)
#undef INFBENCH_TF_LOOKUP
  if (!missing.empty()) {
    throw Error(ErrorKind::unsupported,
                std::string(INFBENCH_TENSORFLOW_LIBRARY) + " lacks C API functions: " + missing);
  }
  if (std::string_view(found.TF_Version()) != INFBENCH_TENSORFLOW_VERSION) {
    throw Error(ErrorKind::unsupported, std::string(INFBENCH_TENSORFLOW_LIBRARY) + " is " +
                                            "TensorFlow " + found.TF_Version() +
                                            " but infbench was built for " +
                                            INFBENCH_TENSORFLOW_VERSION + "; rebuild infbench");
  }
  api = found;
  process_onednn = onednn;
  loaded_api.store(&api, std::memory_order_release);
  return api;
}

// --- C API handles ----------------------------------------------------------------------------

struct StatusDeleter {
  void operator()(TF_Status* s) const { tf().TF_DeleteStatus(s); }
};
struct GraphDeleter {
  void operator()(TF_Graph* g) const { tf().TF_DeleteGraph(g); }
};
struct OptionsDeleter {
  void operator()(TF_SessionOptions* o) const { tf().TF_DeleteSessionOptions(o); }
};
struct BufferDeleter {
  void operator()(TF_Buffer* b) const { tf().TF_DeleteBuffer(b); }
};
struct TensorDeleter {
  void operator()(TF_Tensor* t) const { tf().TF_DeleteTensor(t); }
};
struct SessionDeleter {
  void operator()(TF_Session* s) const {
    const std::unique_ptr<TF_Status, StatusDeleter> status(tf().TF_NewStatus());
    tf().TF_CloseSession(s, status.get());
    tf().TF_DeleteSession(s, status.get());
  }
};
using StatusPtr = std::unique_ptr<TF_Status, StatusDeleter>;
using TensorPtr = std::unique_ptr<TF_Tensor, TensorDeleter>;

std::string message_of(const TF_Status* status) { return first_line(tf().TF_Message(status)); }

// The caller keeps batch memory alive until run_batch() returns, and TensorFlow does not keep
// input tensors beyond TF_SessionRun: nothing to free.
void keep_caller_memory(void* /*data*/, std::size_t /*len*/, void* /*arg*/) {}

// Serialized ConfigProto (tensorflow/core/protobuf/config.proto field numbers).
std::string config_proto(int threads, int inter_op_threads, bool xla, bool grappler) {
  std::string optimizer;                     // OptimizerOptions
  if (!grappler) put_int(optimizer, 3, -1);  // opt_level = L0
  put_int(optimizer, 5, xla ? 1 : -1);       // global_jit_level = ON_1 | OFF
  std::string graph;                         // GraphOptions
  put_message(graph, 3, optimizer);          // optimizer_options
  std::string rewriter;                      // RewriterConfig
  if (!grappler) put_int(rewriter, 19, 1);   // disable_meta_optimizer
  // With XLA, Grappler's remapper must not fuse Conv+BiasAdd+Relu into _FusedConv2D first: XLA
  // cannot compile that op, and ResNet-18 then had 7 ops in 2 clusters with every convolution
  // left to TensorFlow. With remapping off the whole network is one cluster (tools/tf_zoo.py
  // --bench measured both).
  if (xla && grappler) put_int(rewriter, 14, 2);            // remapping = OFF
  if (!rewriter.empty()) put_message(graph, 10, rewriter);  // rewrite_options
  std::string config;
  put_int(config, 2, threads);           // intra_op_parallelism_threads
  put_int(config, 5, inter_op_threads);  // inter_op_parallelism_threads
  put_int(config, 9, 1);                 // use_per_session_threads
  put_message(config, 10, graph);        // graph_options
  return config;
}

// --- the backend ------------------------------------------------------------------------------

class TensorFlowBackend final : public Backend {
 public:
  BackendInfo info() const override {
    BackendInfo info;
    info.name = "tensorflow";
    // The version of the library that is (or, before the first load, will be) loaded.
    const Api* api = loaded_api.load();
    info.framework_version = api != nullptr ? api->TF_Version() : INFBENCH_TENSORFLOW_VERSION;
    info.model_format = ".tf (SavedModel directory)";
    info.model_is_directory = true;
    info.zoo_files = {"tf_savedmodel"};
    info.precisions = {"fp32"};
    info.optimization_levels = {"grappler", "none"};
    info.options = {
        {"inter_op_threads",
         "threads running independent graph nodes; 0 = TensorFlow's choice (one per core). 1: "
         "the zoo's CNNs are chains of nodes, more threads only compete with the intra-op pool",
         "1",
         {},
         true},
        {"xla",
         "XLA auto-clustering (global_jit_level ON_1); compiles in load's first_run, and again "
         "for each batch size not seen before",
         "off",
         {"off", "on"},
         false},
        {"onednn",
         "oneDNN kernels (TF_ENABLE_ONEDNN_OPTS). TensorFlow reads it once per process: all loads "
         "of one process must use the same value. auto = TensorFlow's own default, which depends "
         "on the CPU's features (off on AVX2-only CPUs, on with AVX-512). Off by default: with it "
         "on, TensorFlow 2.21's graph optimiser (its remapper's oneDNN fusions) aborts the "
         "process on mobilenet_v3_small (tensor_format.h check failure; AVX2-only EPYC, and "
         "under auto an AVX-512 EPYC)",
         "off",
         {"off", "on", "auto"},
         false},
        {"signature", "SignatureDef of the SavedModel to run", "serving_default", {}, false},
    };
    info.notes =
        "CPU only, precision fp32 (TensorFlow's C API from the tensorflow-cpu wheel, opened at "
        "the first load). oneDNN is a per-process setting: a load with another onednn value than "
        "the process's first is refused. With onednn=on TensorFlow prints one 'oneDNN custom "
        "operations are on' line when it starts, whatever TF_CPP_MIN_LOG_LEVEL says. xla=on "
        "compiles in load's first_run and again for each new batch size (predict()'s last, "
        "partial batch included).";
    return info;
  }

  LoadResult load(const std::filesystem::path& model, const Params& params,
                  PhaseMarker& phases) override {
    const BackendInfo me = info();
    const int threads = params.threads > 0 ? params.threads : default_thread_count();
    const int inter_op_threads = option_int(params, me, "inter_op_threads");
    const std::string level = optimization_level(params, me);
    const std::string xla = option_value(params, me, "xla");
    const std::string onednn = option_value(params, me, "onednn");
    const std::string signature_key = option_value(params, me, "signature");
    std::error_code ec;
    if (!std::filesystem::is_directory(model, ec)) {
      if (std::filesystem::exists(model, ec)) {
        throw Error(ErrorKind::invalid_argument,
                    model.string() + ": is a file; tensorflow reads a SavedModel directory (.tf)");
      }
      throw Error(ErrorKind::not_found, model.string() + ": SavedModel directory not found");
    }
    if (loaded_api.load() == nullptr) phases.mark("open_library");  // the first load only
    open_library(onednn);
    session_.reset();
    graph_.reset();

    const StatusPtr status(tf().TF_NewStatus());
    const std::unique_ptr<TF_SessionOptions, OptionsDeleter> options(tf().TF_NewSessionOptions());
    const std::string config =
        config_proto(threads, inter_op_threads, xla == "on", level == "grappler");
    tf().TF_SetConfig(options.get(), config.data(), config.size(), status.get());
    if (tf().TF_GetCode(status.get()) != TF_OK) {
      throw Error(ErrorKind::framework,
                  "tensorflow refused the session configuration: " + message_of(status.get()));
    }
    phases.mark("read");
    graph_.reset(tf().TF_NewGraph());
    const std::unique_ptr<TF_Buffer, BufferDeleter> meta_graph(tf().TF_NewBuffer());
    const char* tags[] = {kTag};
    TF_Session* session =
        tf().TF_LoadSessionFromSavedModel(options.get(), nullptr, model.c_str(), tags, 1,
                                          graph_.get(), meta_graph.get(), status.get());
    if (tf().TF_GetCode(status.get()) != TF_OK || session == nullptr) {
      throw Error(ErrorKind::framework, model.string() +
                                            ": tensorflow cannot load the SavedModel (" +
                                            message_of(status.get()) + "); " + kExportHint);
    }
    session_.reset(session);
    SignatureTensors tensors;
    try {
      tensors = read_signature_def({static_cast<const char*>(meta_graph->data), meta_graph->length},
                                   signature_key, model);
    } catch (const WireError& e) {
      throw Error(ErrorKind::framework, model.string() + ": the SavedModel's MetaGraphDef is " +
                                            "malformed (" + e.what() + "); " + kExportHint);
    }
    bind_endpoints(tensors, model);

    phases.mark("first_run");
    run_zeros(params.batch_size);

    settings_ = {{"batch_size", std::to_string(params.batch_size)},
                 {"device", "-1"},
                 {"precision", "fp32"},
                 {"optimization", level},
                 {"threads", std::to_string(threads)},
                 {"inter_op_threads", std::to_string(inter_op_threads)},
                 {"xla", xla},
                 {"onednn", onednn},
                 {"signature", signature_key}};
    return {};  // LoadResult::cache = not_used
  }

  const Signature& signature() const override { return signature_; }
  Settings effective_settings() const override { return settings_; }

  std::vector<Tensor> run_batch(std::span<const TensorView> inputs) override {
    if (inputs.size() != input_ops_.size()) {
      throw Error(ErrorKind::invalid_argument,
                  "tensorflow: the signature has " + std::to_string(input_ops_.size()) +
                      " inputs, run_batch() got " + std::to_string(inputs.size()));
    }
    std::vector<TensorPtr> owned;
    std::vector<TF_Tensor*> values;
    owned.reserve(inputs.size());
    for (const auto& in : inputs) {
      // TensorFlow reads the caller's buffer in place (it copies only a buffer that is not
      // TF_TensorDefaultAlignment()-aligned, inside TF_NewTensor).
      owned.emplace_back(tf().TF_NewTensor(
          to_tf(in.dtype), in.shape.data(), static_cast<int>(in.shape.size()),
          const_cast<std::byte*>(in.data), in.byte_size(), &keep_caller_memory, nullptr));
      if (owned.back() == nullptr) {
        throw Error(ErrorKind::invalid_argument,
                    "tensorflow: an input of shape " + to_string(in.shape) + " and " +
                        std::to_string(in.byte_size()) + " bytes is not a valid tensor");
      }
      values.push_back(owned.back().get());
    }
    std::vector<TF_Tensor*> outputs(output_ops_.size(), nullptr);
    const StatusPtr status(tf().TF_NewStatus());
    tf().TF_SessionRun(session_.get(), nullptr, input_ops_.data(), values.data(),
                       static_cast<int>(values.size()), output_ops_.data(), outputs.data(),
                       static_cast<int>(outputs.size()), nullptr, 0, nullptr, status.get());
    std::vector<TensorPtr> results;
    for (auto* out : outputs) results.emplace_back(out);
    if (tf().TF_GetCode(status.get()) != TF_OK) {
      throw Error(ErrorKind::framework, "tensorflow run failed: " + message_of(status.get()));
    }
    std::vector<Tensor> result;
    result.reserve(results.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      TF_Tensor* out = results[i].get();
      const DType dtype =
          to_dtype(static_cast<std::uint64_t>(tf().TF_TensorType(out)), signature_.outputs[i].name);
      Shape shape(static_cast<std::size_t>(tf().TF_NumDims(out)));
      for (std::size_t d = 0; d < shape.size(); ++d)
        shape[d] = tf().TF_Dim(out, static_cast<int>(d));
      result.emplace_back(
          dtype, std::move(shape),
          std::span<const std::byte>(static_cast<const std::byte*>(tf().TF_TensorData(out)),
                                     tf().TF_TensorByteSize(out)));
    }
    return result;
  }

 private:
  // Finds the graph operation behind each signature tensor ("serving_default_input:0").
  void bind_endpoints(const SignatureTensors& tensors, const std::filesystem::path& model) {
    signature_ = {};
    input_ops_.clear();
    output_ops_.clear();
    const auto bind = [&](const SignatureTensor& tensor, std::vector<TF_Output>& ops) {
      const auto colon = tensor.endpoint.rfind(':');
      const std::string op_name = tensor.endpoint.substr(0, colon);
      int index = 0;
      if (colon != std::string::npos) {
        const char* end = tensor.endpoint.data() + tensor.endpoint.size();
        std::from_chars(tensor.endpoint.data() + colon + 1, end, index);
      }
      TF_Operation* op = tf().TF_GraphOperationByName(graph_.get(), op_name.c_str());
      if (op == nullptr) {
        throw Error(ErrorKind::framework, model.string() + ": signature tensor '" +
                                              tensor.spec.name + "' names graph node '" +
                                              tensor.endpoint + "', which the graph lacks");
      }
      ops.push_back({op, index});
    };
    for (const auto& t : tensors.inputs) {
      bind(t, input_ops_);
      signature_.inputs.push_back(t.spec);
    }
    for (const auto& t : tensors.outputs) {
      bind(t, output_ops_);
      signature_.outputs.push_back(t.spec);
    }
  }

  // One run at the batch size with zero inputs: where TensorFlow finishes its graph setup and
  // XLA compiles. Skipped when an input has a dynamic dimension other than the batch.
  void run_zeros(int batch_size) {
    std::vector<Tensor> zeros;
    for (const auto& in : signature_.inputs) {
      Shape shape = in.shape;
      if (!in.shape_known || shape.empty()) return;
      shape[0] = batch_size;
      if (std::any_of(shape.begin(), shape.end(), [](std::int64_t d) { return d < 0; })) return;
      zeros.emplace_back(in.dtype, std::move(shape));
    }
    std::vector<TensorView> views;
    for (const auto& t : zeros) views.push_back(t.view());
    run_batch(views);
  }

  // Declared in this order so that the session closes before its graph is deleted.
  std::unique_ptr<TF_Graph, GraphDeleter> graph_;
  std::unique_ptr<TF_Session, SessionDeleter> session_;
  std::vector<TF_Output> input_ops_, output_ops_;
  Signature signature_;
  Settings settings_;
};

}  // namespace

std::unique_ptr<Backend> make_tensorflow_backend() { return std::make_unique<TensorFlowBackend>(); }

}  // namespace infbench
