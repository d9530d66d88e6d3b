// OpenVINO adapter (CPU device). Reads the zoo's ONNX or OpenVINO IR (.xml + .bin), gives the
// dynamic batch dimension the requested batch size and compiles that static shape, as
// benchmark_app -b does. Knobs a benchmark_app user expects: performance hint, streams, infer
// requests, CPU pinning; threads and precision come from Params. Under the throughput hints it is a
// StreamingBackend: one batch per infer request in flight (start_async), collected in order.
// Cache: OpenVINO's own model cache (ov::cache_dir). Whether a load imported a blob or compiled is
// known only when compile_model returns (ov::loaded_from_cache), so that phase has one name,
// "compile_or_import_cache", and LoadResult::cache says which it was.
#include <openvino/frontend/manager.hpp>
#include <openvino/openvino.hpp>

#include <algorithm>
#include <array>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "infbench/backend.hpp"
#include "option_values.hpp"

namespace infbench {
namespace {

struct TypeRow {
  ov::element::Type_t ov;
  DType dtype;
};
constexpr std::array<TypeRow, 9> kTypes{{
    {ov::element::Type_t::f32, DType::float32},
    {ov::element::Type_t::f16, DType::float16},
    {ov::element::Type_t::bf16, DType::bfloat16},
    {ov::element::Type_t::i64, DType::int64},
    {ov::element::Type_t::i32, DType::int32},
    {ov::element::Type_t::u8, DType::uint8},
    {ov::element::Type_t::boolean, DType::boolean},
    {ov::element::Type_t::f64, DType::float64},
    {ov::element::Type_t::i8, DType::int8},
}};

DType to_dtype(const ov::element::Type& type, const std::string& tensor_name) {
  for (const auto& row : kTypes) {
    if (row.ov == type) return row.dtype;
  }
  throw Error(ErrorKind::unsupported, "tensor '" + tensor_name + "' has OpenVINO element type " +
                                          type.get_type_name() +
                                          ", which infbench does not handle");
}

ov::element::Type to_ov(DType dtype) {
  for (const auto& row : kTypes) {
    if (row.dtype == dtype) return row.ov;
  }
  return ov::element::dynamic;
}

// infbench precision name -> OpenVINO inference precision and the CPU capability it needs.
struct PrecisionRow {
  std::string_view name;
  ov::element::Type_t type;
  std::string_view capability;
};
constexpr std::array<PrecisionRow, 2> kPrecisions{{
    {"fp32", ov::element::Type_t::f32, "FP32"},
    {"bf16", ov::element::Type_t::bf16, "BF16"},
}};

struct HintRow {
  std::string_view name;
  ov::hint::PerformanceMode mode;
};
constexpr std::array<HintRow, 3> kHints{{
    {"latency", ov::hint::PerformanceMode::LATENCY},
    {"throughput", ov::hint::PerformanceMode::THROUGHPUT},
    {"cumulative_throughput", ov::hint::PerformanceMode::CUMULATIVE_THROUGHPUT},
}};

std::string hint_name(ov::hint::PerformanceMode mode) {
  for (const auto& row : kHints) {
    if (row.mode == mode) return std::string(row.name);
  }
  std::ostringstream out;
  out << mode;
  return out.str();
}

// OpenVINO messages start with lines naming its source files ("Exception from src/...:84:",
// "Check '...' failed at ..."); the first other line says what went wrong.
std::string ov_message(const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.empty() || line.starts_with("Exception from ") || line.starts_with("Check '") ||
        line.starts_with("FrontEnd API failed")) {
      continue;
    }
    return line;
  }
  return first_line(text);
}

ov::Core& core() {
  // One Core per process, as OpenVINO recommends (it owns the loaded plugins).
  static ov::Core instance;
  return instance;
}

struct CpuFacts {
  std::string name;
  std::vector<std::string> capabilities;
  std::string error;  // why the CPU plugin could not be asked, if it could not
};

const CpuFacts& cpu_facts() {
  static const CpuFacts facts = [] {
    CpuFacts f;
    try {
      f.name = core().get_property("CPU", ov::device::full_name);
      f.capabilities = core().get_property("CPU", ov::device::capabilities);
    } catch (const ov::Exception& e) {
      f.error = ov_message(e.what());
    }
    return f;
  }();
  return facts;
}

bool has_capability(std::string_view capability) {
  const auto& caps = cpu_facts().capabilities;
  return std::find(caps.begin(), caps.end(), capability) != caps.end();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string port_name(const ov::Output<const ov::Node>& port) {
  return port.get_names().empty() ? port.get_node()->get_friendly_name() : port.get_any_name();
}

TensorSpec spec_of(const ov::Output<const ov::Node>& port) {
  TensorSpec spec;
  spec.name = port_name(port);
  spec.dtype = to_dtype(port.get_element_type(), spec.name);
  const auto& shape = port.get_partial_shape();
  if (shape.rank().is_dynamic()) {
    spec.shape_known = false;
    return spec;
  }
  for (const auto& dim : shape) spec.shape.push_back(dim.is_static() ? dim.get_length() : -1);
  return spec;
}

// The .blob files in OpenVINO's cache directory (it names them after its model hash).
std::set<std::filesystem::path> blobs_in(const std::filesystem::path& dir) {
  std::set<std::filesystem::path> blobs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".blob") blobs.insert(entry.path());
  }
  return blobs;
}

// Files under `dir` this process has mapped: OpenVINO's CPU plugin mmaps the blob it imports.
std::set<std::filesystem::path> mapped_files_in(const std::filesystem::path& dir) {
  std::set<std::filesystem::path> mapped;
  std::error_code ec;
  const auto prefix = std::filesystem::weakly_canonical(dir, ec).string() + "/";
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    const auto slash = line.find('/');
    if (slash != std::string::npos && line.compare(slash, prefix.size(), prefix) == 0) {
      mapped.insert(line.substr(slash));
    }
  }
  return mapped;
}

std::filesystem::path newest(const std::vector<std::filesystem::path>& files) {
  std::filesystem::path best;
  std::filesystem::file_time_type best_time{};
  for (const auto& file : files) {
    std::error_code ec;
    const auto time = std::filesystem::last_write_time(file, ec);
    if (!ec && (best.empty() || time > best_time)) {
      best = file;
      best_time = time;
    }
  }
  return best;
}

// An .onnx file goes to the ONNX frontend alone: core.read_model() tries every frontend on a file
// it cannot parse, and the TensorFlow one then logs two extra lines to stderr, which would break
// the one-line error. Other files (IR .xml) go through read_model().
std::shared_ptr<ov::Model> read_graph(const std::filesystem::path& model) {
  if (model.extension() != ".onnx") return core().read_model(model.string());
  // Never destroyed: models read through it keep its frontend library in use until exit.
  static auto* manager = new ov::frontend::FrontEndManager();
  const auto onnx = manager->load_by_framework("onnx");
  return onnx->convert(onnx->load(model.string()));
}

class OpenVinoBackend final : public Backend, public StreamingBackend {
 public:
  BackendInfo info() const override {
    BackendInfo info;
    info.name = "openvino";
    info.framework_version = ov::get_openvino_version().buildNumber;
    info.model_format = ".onnx, or OpenVINO IR .xml (with its .bin beside it)";
    info.zoo_files = {"onnx"};
    for (const auto& row : kPrecisions) {
      if (row.name == "fp32" || has_capability(row.capability)) {
        info.precisions.emplace_back(row.name);
      }
    }
    info.optimization_levels = {"default"};
    info.cache = true;
    std::vector<std::string> hints;
    for (const auto& row : kHints) hints.emplace_back(row.name);
    info.options = {
        {"hint", "performance hint (benchmark_app -hint)", "latency", hints, false},
        {"streams", "CPU streams; 0 = the hint decides (benchmark_app -nstreams)", "0", {}, true},
        {"infer_requests",
         "infer requests (batches in flight); 0 = the compiled model's optimal number "
         "(benchmark_app -nireq)",
         "0",
         {},
         true},
        {"pinning",
         "pin inference threads to cores; auto = OpenVINO decides (benchmark_app -pin)",
         "auto",
         {"auto", "on", "off"},
         false},
        {"batch_shape",
         "static: compile the batch size as a static shape (benchmark_app -b); dynamic: keep "
         "the model's dynamic batch, so one load serves every batch size",
         "static",
         {"static", "dynamic"},
         false},
    };
    const auto& cpu = cpu_facts();
    if (!cpu.error.empty()) {
      info.notes = "the OpenVINO CPU plugin cannot be queried: " + cpu.error;
    } else {
      info.notes = "CPU device only (" + cpu.name + "; capabilities " + join(cpu.capabilities) +
                   ")." +
                   (has_capability("BF16") ? "" : " bf16 is not offered: this CPU has no BF16.");
    }
    return info;
  }

  LoadResult load(const std::filesystem::path& model, const Params& params,
                  PhaseMarker& phases) override {
    const BackendInfo me = info();
    if (params.device != -1) {
      throw Error(ErrorKind::unsupported,
                  "openvino: this adapter runs on the CPU only (device -1)");
    }
    const auto precision =
        std::find_if(kPrecisions.begin(), kPrecisions.end(),
                     [&](const auto& row) { return row.name == params.precision; });
    if (precision == kPrecisions.end() || std::find(me.precisions.begin(), me.precisions.end(),
                                                    params.precision) == me.precisions.end()) {
      throw Error(ErrorKind::unsupported,
                  "precision '" + params.precision + "' is not available on this CPU (" +
                      join(cpu_facts().capabilities) + "); available: " + join(me.precisions));
    }
    const int threads = params.threads > 0 ? params.threads : default_thread_count();
    const std::string hint = option_value(params, me, "hint");
    const int streams = option_int(params, me, "streams");
    const int requests_wanted = option_int(params, me, "infer_requests");
    const std::string pinning = option_value(params, me, "pinning");
    const bool static_batch = option_value(params, me, "batch_shape") == "static";

    ov::AnyMap config{ov::inference_num_threads(threads),
                      ov::hint::inference_precision(precision->type)};
    for (const auto& row : kHints) {
      if (row.name == hint) config.emplace(ov::hint::performance_mode(row.mode));
    }
    if (streams > 0) config.emplace(ov::num_streams(ov::streams::Num(streams)));
    if (requests_wanted > 0) {
      config.emplace(ov::hint::num_requests(static_cast<std::uint32_t>(requests_wanted)));
    }
    if (pinning != "auto") config.emplace(ov::hint::enable_cpu_pinning(pinning == "on"));

    LoadResult result;
    std::set<std::filesystem::path> blobs_before, mapped_before;
    if (!params.cache_dir.empty()) {
      try {
        std::filesystem::create_directories(params.cache_dir);
      } catch (const std::filesystem::filesystem_error& e) {
        throw Error(ErrorKind::io, "cache_dir " + params.cache_dir.string() + ": " + e.what());
      }
      config.emplace(ov::cache_dir(params.cache_dir.string()));
      blobs_before = blobs_in(params.cache_dir);
      mapped_before = mapped_files_in(params.cache_dir);
    }

    in_flight_.clear();
    requests_.clear();
    std::shared_ptr<ov::Model> graph;
    phases.mark("read");
    try {
      graph = read_graph(model);
    } catch (const std::exception& e) {  // ov::Exception and the frontends' own
      throw Error(ErrorKind::framework,
                  model.string() + ": openvino cannot read it (" + ov_message(e.what()) + ")");
    }
    try {
      if (static_batch) set_batch(*graph, params.batch_size, phases);
      phases.mark(params.cache_dir.empty() ? "compile" : "compile_or_import_cache");
      compiled_ = core().compile_model(graph, "CPU", config);
      if (compiled_.outputs().empty()) {
        throw Error(ErrorKind::framework,
                    model.string() + ": openvino read it, but it has no outputs");
      }
      phases.mark("create_requests");
      const auto optimal = compiled_.get_property(ov::optimal_number_of_infer_requests);
      const auto count = requests_wanted > 0 ? static_cast<std::uint32_t>(requests_wanted)
                                             : std::max<std::uint32_t>(1, optimal);
      for (std::uint32_t i = 0; i < count; ++i)
        requests_.push_back(compiled_.create_infer_request());
      next_ = 0;
      read_signature();
      if (!params.cache_dir.empty())
        result = cache_result(params.cache_dir, blobs_before, mapped_before);
      settings_ = read_settings(params, me, optimal, result);
    } catch (const ov::Exception& e) {
      throw Error(ErrorKind::framework,
                  model.string() + ": openvino cannot compile it: " + ov_message(e.what()));
    }
    const auto applied = compiled_.get_property(ov::hint::inference_precision);
    if (applied != precision->type) {
      throw Error(ErrorKind::unsupported, "precision '" + params.precision +
                                              "': OpenVINO compiled the model in " +
                                              applied.get_type_name() + " instead");
    }
    return result;
  }

  const Signature& signature() const override { return signature_; }
  Settings effective_settings() const override { return settings_; }

  std::vector<Tensor> run_batch(std::span<const TensorView> inputs) override {
    submit_batch(inputs);
    return collect_batch();
  }

  std::size_t max_batches_in_flight() const override { return requests_.size(); }

  void submit_batch(std::span<const TensorView> inputs) override {
    if (in_flight_.size() >= requests_.size()) {
      throw Error(ErrorKind::invalid_argument,
                  "openvino: " + std::to_string(in_flight_.size()) +
                      " batches already in flight; collect one before submitting another");
    }
    const std::size_t index = next_;
    auto& request = requests_[index];
    try {
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        const auto& in = inputs[i];
        // Wraps the caller's buffer (valid until collect_batch): no copy of the batch.
        request.set_input_tensor(
            i, ov::Tensor(to_ov(in.dtype), ov::Shape(in.shape.begin(), in.shape.end()), in.data));
      }
      request.start_async();
    } catch (const ov::Exception& e) {
      throw Error(ErrorKind::framework, "openvino run failed: " + ov_message(e.what()));
    }
    in_flight_.push_back(index);
    next_ = (next_ + 1) % requests_.size();
  }

  std::vector<Tensor> collect_batch() override {
    if (in_flight_.empty()) {
      throw Error(ErrorKind::invalid_argument, "openvino: collect_batch() with no batch in flight");
    }
    auto& request = requests_[in_flight_.front()];
    in_flight_.pop_front();  // collected even if the request failed
    try {
      request.wait();
      std::vector<Tensor> outputs;
      outputs.reserve(signature_.outputs.size());
      for (std::size_t i = 0; i < signature_.outputs.size(); ++i) {
        const ov::Tensor out = request.get_output_tensor(i);
        const auto& dims = out.get_shape();
        outputs.emplace_back(to_dtype(out.get_element_type(), signature_.outputs[i].name),
                             Shape(dims.begin(), dims.end()),
                             std::span<const std::byte>(static_cast<const std::byte*>(out.data()),
                                                        out.get_byte_size()));
      }
      return outputs;
    } catch (const ov::Exception& e) {
      throw Error(ErrorKind::framework, "openvino run failed: " + ov_message(e.what()));
    }
  }

 private:
  // Gives each input's dynamic leading (sample) dimension the batch size; other dimensions and a
  // batch fixed by the file are kept (the harness refuses a batch size the file contradicts).
  static void set_batch(ov::Model& graph, int batch_size, PhaseMarker& phases) {
    std::map<ov::Output<ov::Node>, ov::PartialShape> shapes;
    for (const auto& input : graph.inputs()) {
      auto shape = input.get_partial_shape();
      if (shape.rank().is_static() && shape.size() > 0 && shape[0].is_dynamic()) {
        shape[0] = batch_size;
        shapes.emplace(input, shape);
      }
    }
    if (shapes.empty()) return;
    phases.mark("reshape");
    try {
      graph.reshape(shapes);
    } catch (const ov::Exception& e) {
      throw Error(ErrorKind::framework,
                  "openvino cannot give the model batch size " + std::to_string(batch_size) + " (" +
                      ov_message(e.what()) + "); try --set batch_shape=dynamic");
    }
  }

  void read_signature() {
    signature_ = {};
    for (const auto& port : compiled_.inputs()) signature_.inputs.push_back(spec_of(port));
    for (const auto& port : compiled_.outputs()) signature_.outputs.push_back(spec_of(port));
  }

  // Hit or miss as the compiled model reports it; the blob is the one compile_model wrote (miss)
  // or the one it mapped to import (hit).
  LoadResult cache_result(const std::filesystem::path& dir,
                          const std::set<std::filesystem::path>& blobs_before,
                          const std::set<std::filesystem::path>& mapped_before) const {
    LoadResult result;
    result.cache =
        compiled_.get_property(ov::loaded_from_cache) ? CacheStatus::hit : CacheStatus::miss;
    std::vector<std::filesystem::path> candidates;
    if (result.cache == CacheStatus::miss) {
      for (const auto& blob : blobs_in(dir)) {
        if (!blobs_before.contains(blob)) candidates.push_back(blob);
      }
    } else {
      for (const auto& file : mapped_files_in(dir)) {
        if (!mapped_before.contains(file) && file.extension() == ".blob")
          candidates.push_back(file);
      }
    }
    result.cache_file = newest(candidates);
    return result;
  }

  Settings read_settings(const Params& params, const BackendInfo& me, std::uint32_t optimal,
                         const LoadResult& cache) const {
    auto on_off = [](bool value) { return std::string(value ? "on" : "off"); };
    Settings settings = {
        {"batch_size", std::to_string(params.batch_size)},
        {"batch_shape", option_value(params, me, "batch_shape")},
        {"device", "-1"},
        {"precision", params.precision},
        {"inference_precision",
         compiled_.get_property(ov::hint::inference_precision).get_type_name()},
        {"optimization", optimization_level(params, me)},
        {"threads", std::to_string(compiled_.get_property(ov::inference_num_threads))},
        {"hint", hint_name(compiled_.get_property(ov::hint::performance_mode))},
        {"streams", std::to_string(compiled_.get_property(ov::num_streams).num)},
        {"infer_requests", std::to_string(requests_.size())},
        {"optimal_infer_requests", std::to_string(optimal)},
        {"pinning", on_off(compiled_.get_property(ov::hint::enable_cpu_pinning))},
        {"hyper_threading", on_off(compiled_.get_property(ov::hint::enable_hyper_threading))},
        {"cache_dir", params.cache_dir.string()},
        {"cache", std::string(to_string(cache.cache))},
        {"cache_file", cache.cache_file.string()},
    };
    return settings;
  }

  ov::CompiledModel compiled_;
  std::vector<ov::InferRequest> requests_;
  std::deque<std::size_t> in_flight_;  // indices into requests_, oldest first
  std::size_t next_ = 0;               // the request the next submit_batch() uses
  Signature signature_;
  Settings settings_;
};

}  // namespace

std::unique_ptr<Backend> make_openvino_backend() { return std::make_unique<OpenVinoBackend>(); }

}  // namespace infbench
