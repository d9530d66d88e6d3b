// XLA adapter: a PJRT C API client (pjrt_client.hpp). It compiles a StableHLO module that
// tools/xla_zoo.py exported (one file per precision and static batch size, with a sidecar .json
// naming the input and output tensors) with the PJRT plugin of the device, and runs it:
//  * device -1: XLA's CPU plugin from PyPI (lammps-jax-pjrt-cpu, the path found at configure
//    time, INFBENCH_XLA_CPU_PLUGIN);
//  * device k >= 0: the CUDA plugin of jax (jax_plugins/xla_cuda13/xla_cuda_plugin.so, searched in
//    the Python site-packages of the machine), or the plugin=<path> option. Written for the GPU
//    machine and not yet run there (the development machine has no GPU):
//    scripts/gpu/run_xla_gpu.sh is its first run.
// Knobs: xla_flags (XLA debug options, per compile), GPU memory preallocation and fraction, the
// allocator, and the compiled-executable cache (PJRT_Executable_Serialize/DeserializeAndLoad) in
// params.cache_dir. StreamingBackend: submit_batch() enqueues the execution and the copies of its
// outputs to host tensors without waiting, collect_batch() awaits the oldest batch, so that the
// device runs batch k+1 while batch k's outputs travel to the host (option in_flight; jax's
// asynchronous dispatch does the same). Load phases: read, create_client, compile or deserialize
// (cache hit), cache_write (miss), first_run. Each Backend has its own client (jax shares one per
// process): with preallocate=on two co-located models each reserve memory_fraction.
#include <algorithm>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/file_key.hpp"
#include "core/json_text.hpp"
#include "infbench/backend.hpp"
#include "option_values.hpp"
#include "pjrt_client.hpp"
#include "xla_plugin.hpp"

#ifndef INFBENCH_XLA_CPU_PLUGIN
#define INFBENCH_XLA_CPU_PLUGIN ""  // none found at configure time: device -1 needs plugin=
#endif
#ifndef INFBENCH_XLA_CPU_PLUGIN_VERSION
#define INFBENCH_XLA_CPU_PLUGIN_VERSION ""
#endif
#ifndef INFBENCH_XLA_CUDA_PLUGIN
#define INFBENCH_XLA_CUDA_PLUGIN ""  // found at run time in the Python site-packages
#endif

namespace infbench {

std::unique_ptr<Backend> make_xla_backend();

namespace {

namespace fs = std::filesystem;
constexpr const char* kExportHint = "export it with tools/xla_zoo.py";
constexpr const char* kCudaPlugin = "jax_plugins/xla_cuda13/xla_cuda_plugin.so";

// The CUDA plugin: the configure-time path, else the first site-packages of a Python 3 under the
// usual prefixes (a virtual environment first) that has it.
fs::path find_cuda_plugin() {
  std::error_code ec;
  if (fs::is_regular_file(INFBENCH_XLA_CUDA_PLUGIN, ec)) return INFBENCH_XLA_CUDA_PLUGIN;
  std::vector<fs::path> prefixes;
  if (const char* venv = std::getenv("VIRTUAL_ENV")) prefixes.emplace_back(venv);
  if (const char* home = std::getenv("HOME")) prefixes.push_back(fs::path(home) / ".local");
  for (const char* p : {"/usr/local", "/usr", "/opt/conda"}) prefixes.emplace_back(p);
  for (const auto& prefix : prefixes) {
    for (const auto& entry : fs::directory_iterator(prefix / "lib", ec)) {
      if (!entry.path().filename().string().starts_with("python3")) continue;
      for (const char* packages : {"site-packages", "dist-packages"}) {
        const auto candidate = entry.path() / packages / kCudaPlugin;
        if (fs::is_regular_file(candidate, ec)) return candidate;
      }
    }
  }
  return {};
}

// NVIDIA GPUs the driver lists (/proc/driver/nvidia/gpus, else the /dev/nvidiaN nodes a container
// is given), as CUDA_VISIBLE_DEVICES narrows them, without loading a CUDA library.
std::vector<int> driver_gpus() {
  std::error_code ec;
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc/driver/nvidia/gpus", ec)) {
    (void)entry;
    ++count;
  }
  if (count == 0) {
    for (const auto& entry : fs::directory_iterator("/dev", ec)) {
      const auto name = entry.path().filename().string();
      if (name.size() > 6 && name.starts_with("nvidia") &&
          name.find_first_not_of("0123456789", 6) == std::string::npos)
        ++count;
    }
  }
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES"); visible != nullptr) {
    const std::string list = visible;
    const int listed =
        list.empty() ? 0 : 1 + static_cast<int>(std::count(list.begin(), list.end(), ','));
    count = std::min(count, listed);
  }
  std::vector<int> gpus;
  for (int i = 0; i < count; ++i) gpus.push_back(i);
  return gpus;
}

// "--xla_a=1 --xla_b=true" -> {{"xla_a","1"},{"xla_b","true"}}; a flag without '=' is "true".
std::vector<std::pair<std::string, std::string>> parse_flags(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> flags;
  std::size_t pos = 0;
  while ((pos = text.find_first_not_of(' ', pos)) != std::string::npos) {
    const auto end = std::min(text.find(' ', pos), text.size());
    std::string flag = text.substr(pos, end - pos);
    pos = end;
    if (!flag.starts_with("--")) {
      throw Error(ErrorKind::invalid_argument,
                  "xla_flags: '" + flag + "' is not of the form --xla_name=value");
    }
    flag.erase(0, 2);
    const auto eq = flag.find('=');
    flags.emplace_back(flag.substr(0, eq), eq == std::string::npos ? "true" : flag.substr(eq + 1));
  }
  return flags;
}

// The zoo's sidecar `<file>.json`: tensor names, shapes and dtypes, precision.
struct Sidecar {
  Signature signature;
  std::string precision;
};

Sidecar read_sidecar(const fs::path& model) {
  auto path = model;
  path += ".json";
  std::ifstream in(path);
  if (!in) {
    throw Error(ErrorKind::not_found, model.string() + ": its sidecar " + path.filename().string() +
                                          " (tensor names, shapes, dtypes) is missing; " +
                                          kExportHint);
  }
  Sidecar s;
  try {
    const auto j = nlohmann::json::parse(in);
    s.precision = j.at("precision").get<std::string>();
    for (const auto& [key, list] :
         {std::pair{"inputs", &s.signature.inputs}, std::pair{"outputs", &s.signature.outputs}}) {
      for (const auto& t : j.at(key)) {
        const auto dtype = parse_dtype(t.at("dtype").get<std::string>());
        if (!dtype) throw Error(ErrorKind::unsupported, "dtype " + json_text(t.at("dtype")));
        list->push_back({t.at("name").get<std::string>(), *dtype, t.at("shape").get<Shape>()});
      }
    }
  } catch (const std::exception& e) {
    throw Error(ErrorKind::invalid_argument, path.string() + ": not a valid sidecar (" +
                                                 first_line(e.what()) + "); " + kExportHint);
  }
  return s;
}

// StableHLO as PJRT's "mlir" format reads it: MLIR bytecode (magic "ML\xEFR") or text.
std::string read_module(const fs::path& model) {
  std::error_code ec;
  if (!fs::is_regular_file(model, ec)) {
    throw Error(ErrorKind::not_found,
                model.string() + ": StableHLO module not found; " + kExportHint);
  }
  const auto bytes = read_file_bytes(model);
  std::string module(bytes.begin(), bytes.end());
  if (!module.starts_with("ML\xEFR") && module.find("func.func") == std::string::npos) {
    throw Error(ErrorKind::invalid_argument,
                model.string() +
                    ": not a StableHLO module (neither MLIR bytecode nor MLIR "
                    "text with a func.func); " +
                    kExportHint);
  }
  return module;
}

bool write_file(const fs::path& path, const std::string& bytes) {
  try {
    write_file_atomically(path, bytes);  // never a truncated executable in the cache
    return true;
  } catch (const Error&) {
    return false;
  }
}

class XlaBackend final : public Backend, public StreamingBackend {
 public:
  BackendInfo info() const override {
    BackendInfo info;
    info.name = "xla";
    info.framework_version = std::string("PJRT C API ") + pjrt::header_api_version();
    if (*INFBENCH_XLA_CPU_PLUGIN_VERSION != '\0')
      info.framework_version += ", CPU plugin " + std::string(INFBENCH_XLA_CPU_PLUGIN_VERSION);
    info.model_format = ".mlirbc (StableHLO, static batch, + sidecar .json; tools/xla_zoo.py)";
    info.zoo_files = {"stablehlo_{precision}_b{batch}"};
    const auto cuda_plugin = find_cuda_plugin();
    if (!cuda_plugin.empty()) info.gpus = driver_gpus();
    // GPU runs take the pipeline's staged device buffers as views (no copy by the adapter).
    info.device_inputs = true;
    info.precisions = {"fp32", "fp16", "bf16"};
    info.optimization_levels = {"xla"};
    info.cache = true;
    info.options = {
        {"plugin",
         "PJRT plugin .so; empty: XLA's CPU plugin for device -1, jax's CUDA plugin "
         "(site-packages/" +
             std::string(kCudaPlugin) + ") for a GPU",
         "",
         {},
         false},
        {"xla_flags",
         "XLA debug options for the compile, as in XLA_FLAGS (--xla_name=value ...), passed as "
         "compile-option overrides; XLA_FLAGS itself is read by the plugin once per process",
         "",
         {},
         false},
        {"preallocate",
         "GPU: reserve memory_fraction of the GPU at client creation",
         "off",
         {"off", "on"},
         false},
        {"memory_fraction",
         "GPU: fraction of GPU memory the allocator may use (0-1]",
         "0.75",
         {},
         false},
        {"allocator",
         "GPU: device memory allocator (jax's XLA_PYTHON_CLIENT_ALLOCATOR)",
         "bfc",
         {"bfc", "platform", "cuda_async"},
         false},
        {"in_flight",
         "batches in flight: executions enqueued before the oldest one's outputs are awaited "
         "(with overlap); 0 = 2 on a GPU, 1 on the CPU",
         "0",
         {},
         true},
    };
    info.notes =
        std::string("StableHLO compiled by a PJRT plugin: XLA's CPU plugin (") +
        (*INFBENCH_XLA_CPU_PLUGIN != '\0' ? INFBENCH_XLA_CPU_PLUGIN : "none found at build") +
        ") for device -1; GPUs through jax's CUDA 13 plugin (" +
        (cuda_plugin.empty() ? std::string("not found on this machine") : cuda_plugin.string()) +
        "), verified on an H200 (results/h200/xla). One file per precision and batch size (XLA "
        "compiles static shapes). The CPU plugin sizes its thread pool itself (one thread per "
        "CPU the process may use): threads is reported, not set. The compiled-executable cache "
        "(cache_dir) is keyed on the file, plugin, device and xla_flags.";
    return info;
  }

  LoadResult load(const fs::path& model, const Params& params, PhaseMarker& phases) override {
    const BackendInfo me = info();
    const std::string flags = option_value(params, me, "xla_flags");
    const auto overrides = parse_flags(flags);
    const bool gpu = params.device >= 0;
    fs::path plugin_path = option_value(params, me, "plugin");
    if (plugin_path.empty()) plugin_path = xla::default_plugin(gpu);
    if (plugin_path.empty()) {
      throw Error(ErrorKind::not_found,
                  gpu ? std::string("xla: no CUDA PJRT plugin found (") + kCudaPlugin +
                            " in a Python site-packages); pass plugin=<path of the .so>"
                      : std::string("xla: this build found no CPU PJRT plugin "
                                    "(lammps-jax-pjrt-cpu, scripts/setup.sh); pass "
                                    "plugin=<path of the .so>"));
    }
    phases.mark("read");
    const std::string module = read_module(model);
    Sidecar sidecar = read_sidecar(model);
    if (sidecar.precision != params.precision) {
      throw Error(ErrorKind::invalid_argument, model.string() + " was exported for precision " +
                                                   sidecar.precision + ", not " + params.precision +
                                                   "; use its file of that precision");
    }
    in_flight_.clear();
    executable_.reset();
    client_.reset();
    phases.mark("create_client");  // and, at the first load, open the plugin
    // XLA logs through TensorFlow's logging: INFO lines ("cpu_device_count set via
    // create_options") on stderr unless this is set, as the TensorFlow adapter does.
    ::setenv("TF_CPP_MIN_LOG_LEVEL", "2", /*overwrite=*/0);
    const auto& plugin = pjrt::open_plugin(plugin_path);
    client_ = std::make_unique<pjrt::Client>(plugin, client_options(params, me, gpu));
    const std::string platform = client_->platform();

    LoadResult result;
    const std::string options = pjrt::compile_options(overrides);
    if (!params.cache_dir.empty()) {
      std::error_code ec;
      fs::create_directories(params.cache_dir, ec);
      if (ec)
        throw Error(ErrorKind::io, "cache_dir " + params.cache_dir.string() + ": " + ec.message());
      result.cache_file =
          params.cache_dir / (model.stem().string() + "." +
                              cache_key(model, {plugin_path.string(), plugin.attributes, platform,
                                                std::to_string(params.device), options}) +
                              ".pjrt");
      result.cache =
          fs::is_regular_file(result.cache_file, ec) ? CacheStatus::hit : CacheStatus::miss;
    }
    if (result.cache == CacheStatus::hit) {
      phases.mark("deserialize");
      const auto bytes = read_file_bytes(result.cache_file);
      try {
        executable_ = std::make_unique<pjrt::Executable>(
            client_->deserialize(std::string(bytes.begin(), bytes.end())));
      } catch (const Error& e) {
        throw Error(ErrorKind::framework, result.cache_file.string() + ": " + e.what() +
                                              "; delete the file to compile again");
      }
    } else {
      phases.mark("compile");
      try {
        executable_ = std::make_unique<pjrt::Executable>(client_->compile(module, options));
      } catch (const Error& e) {
        throw Error(ErrorKind::framework, model.string() + ": " + e.what());
      }
      if (result.cache == CacheStatus::miss) {
        phases.mark("cache_write");
        if (!write_file(result.cache_file, executable_->serialize())) {
          throw Error(ErrorKind::io, result.cache_file.string() + ": cannot write the cache");
        }
      }
    }
    signature_ = std::move(sidecar.signature);
    if (executable_->num_outputs() != signature_.outputs.size()) {
      throw Error(ErrorKind::invalid_argument,
                  model.string() + ": the program has " +
                      std::to_string(executable_->num_outputs()) + " outputs, its sidecar " +
                      std::to_string(signature_.outputs.size()) + "; " + kExportHint);
    }
    zero_copy_ = platform.starts_with("cpu");
    const int in_flight = option_int(params, me, "in_flight");
    max_in_flight_ =
        in_flight > 0 ? static_cast<std::size_t>(in_flight) : xla::default_in_flight(gpu);
    phases.mark("first_run");
    run_zeros();

    settings_ = {{"batch_size", std::to_string(params.batch_size)},
                 {"device", std::to_string(params.device)},
                 {"precision", sidecar.precision},
                 {"optimization", "xla"},
                 {"threads", std::to_string(gpu ? 0 : default_thread_count())},
                 {"plugin", plugin_path.string()},
                 {"plugin_api_version",
                  std::to_string(plugin.api_major) + "." + std::to_string(plugin.api_minor)},
                 {"plugin_attributes", plugin.attributes},
                 {"platform", platform},
                 {"xla_flags", flags},
                 {"preallocate", option_value(params, me, "preallocate")},
                 {"memory_fraction", option_value(params, me, "memory_fraction")},
                 {"allocator", option_value(params, me, "allocator")},
                 {"in_flight", std::to_string(max_in_flight_)},
                 {"cache_dir", params.cache_dir.string()},
                 {"cache", std::string(to_string(result.cache))},
                 {"cache_file", result.cache_file.string()}};
    return result;
  }

  const Signature& signature() const override { return signature_; }
  Settings effective_settings() const override { return settings_; }

  std::vector<Tensor> run_batch(std::span<const TensorView> inputs) override {
    if (!in_flight_.empty()) {
      throw Error(ErrorKind::invalid_argument,
                  "xla: run_batch() with batches in flight; collect_batch() them first");
    }
    submit_batch(inputs);
    return collect_batch();
  }

  std::size_t max_batches_in_flight() const override { return max_in_flight_; }

  void submit_batch(std::span<const TensorView> inputs) override {
    if (inputs.size() != signature_.inputs.size()) {
      throw Error(ErrorKind::invalid_argument,
                  "xla: the program has " + std::to_string(signature_.inputs.size()) +
                      " inputs, submit_batch() got " + std::to_string(inputs.size()));
    }
    if (in_flight_.size() >= max_in_flight_) {
      throw Error(ErrorKind::invalid_argument,
                  "xla: " + std::to_string(in_flight_.size()) +
                      " batches in flight already (in_flight); collect_batch() first");
    }
    Batch batch;
    std::vector<PJRT_Buffer*> handles;
    for (const auto& in : inputs) {
      batch.inputs.push_back(in.device >= 0 ? client_->view_of_device(in)
                                            : client_->from_host(in, zero_copy_));
      handles.push_back(batch.inputs.back().get());
    }
    batch.execution = executable_->start(handles);
    batch.outputs.reserve(batch.execution.outputs.size());  // no reallocation: copies target them
    for (const auto& out : batch.execution.outputs) {
      auto& t = batch.outputs.emplace_back(out.dtype(), out.dimensions());
      batch.copies.push_back(out.start_copy_to_host(t.data(), t.byte_size()));
    }
    in_flight_.push_back(std::move(batch));
  }

  std::vector<Tensor> collect_batch() override {
    if (in_flight_.empty()) {
      throw Error(ErrorKind::invalid_argument, "xla: collect_batch() with no batch in flight");
    }
    Batch batch = std::move(in_flight_.front());
    in_flight_.pop_front();  // collected even if it failed
    batch.execution.done.wait("xla: execution");
    for (auto& copy : batch.copies) copy.wait("xla: device-to-host copy");
    return std::move(batch.outputs);
  }

 private:
  static std::vector<pjrt::NamedValue> client_options(const Params& params, const BackendInfo& me,
                                                      bool gpu) {
    if (!gpu) return xla::client_options(-1, "", 0, false);
    float fraction = 0;
    const std::string text = option_value(params, me, "memory_fraction");
    try {
      fraction = std::stof(text);
    } catch (const std::exception&) {
    }
    if (!(fraction > 0 && fraction <= 1)) {
      throw Error(ErrorKind::invalid_argument,
                  "memory_fraction=" + text + ": give a number in (0, 1], e.g. 0.5");
    }
    return xla::client_options(params.device, option_value(params, me, "allocator"), fraction,
                               option_value(params, me, "preallocate") == "on");
  }

  // One run with zero inputs at the file's static batch: the first execution's set-up.
  void run_zeros() {
    std::vector<Tensor> zeros;
    for (const auto& in : signature_.inputs) zeros.emplace_back(in.dtype, in.shape);
    std::vector<TensorView> views;
    for (const auto& t : zeros) views.push_back(t.view());
    run_batch(views);
  }

  // A submitted batch. Members are destroyed in reverse order, each destructor awaiting its
  // events: the copies before the host tensors they write, the execution before the inputs it
  // reads (views of the pipeline's staged buffers, which it keeps until collect_batch()).
  struct Batch {
    std::vector<pjrt::Buffer> inputs;
    pjrt::Execution execution;
    std::vector<Tensor> outputs;
    std::vector<pjrt::Event> copies;
  };

  // Declared in this order so that batches, then the executable go before their client.
  std::unique_ptr<pjrt::Client> client_;
  std::unique_ptr<pjrt::Executable> executable_;
  std::deque<Batch> in_flight_;  // oldest first
  std::size_t max_in_flight_ = 1;
  bool zero_copy_ = false;
  Signature signature_;
  Settings settings_;
};

}  // namespace

std::unique_ptr<Backend> make_xla_backend() { return std::make_unique<XlaBackend>(); }

namespace xla {

std::filesystem::path default_plugin(bool gpu) {
  return gpu ? find_cuda_plugin() : fs::path(INFBENCH_XLA_CPU_PLUGIN);
}

std::vector<pjrt::NamedValue> client_options(int device, const std::string& allocator,
                                             float memory_fraction, bool preallocate) {
  if (device < 0) return {{"cpu_device_count", std::int64_t{1}}};
  // Only GPU `device` is visible, so the client's device 0 is it.
  return {{"platform_name", std::string("cuda")},
          {"allocator", allocator},
          {"memory_fraction", memory_fraction},
          {"preallocate", preallocate},
          {"visible_devices", std::vector<std::int64_t>{device}}};
}

}  // namespace xla

}  // namespace infbench
