#include "infbench/model.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <thread>

#include "pipeline.hpp"
#include "sample_pool.hpp"

namespace infbench {
namespace {

using Clock = std::chrono::steady_clock;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

bool contains(const std::vector<std::string>& items, const std::string& value) {
  return std::find(items.begin(), items.end(), value) != items.end();
}

bool is_count(const std::string& text) {
  return !text.empty() && text.size() < 10 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Turns the adapter's phase marks into durations; the clock lives here, not in adapters.
class PhaseTimer final : public PhaseMarker {
 public:
  PhaseTimer() : last_(Clock::now()) {}
  void mark(std::string_view phase) override {
    close();
    current_ = std::string(phase);
  }
  LoadTiming finish() {
    close();
    timing_.total_s = std::chrono::duration<double>(Clock::now() - start_).count();
    return timing_;
  }

 private:
  void close() {
    const auto now = Clock::now();
    if (!current_.empty()) {
      timing_.phases_s.emplace_back(current_, std::chrono::duration<double>(now - last_).count());
    }
    last_ = now;
  }
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_;
  std::string current_;
  LoadTiming timing_;
};

std::string describe_spec(const TensorSpec& spec) {
  return "'" + spec.name + "' " + std::string(to_string(spec.dtype)) +
         (spec.shape_known ? to_string(spec.shape) : std::string("[shape not recorded]"));
}

void check_against_spec(const TensorView& tensor, const TensorSpec& spec) {
  if (!spec.shape_known) return;  // the format records neither: the framework will check
  if (tensor.dtype != spec.dtype) {
    throw Error(ErrorKind::invalid_argument, "input '" + spec.name + "' is " +
                                                 std::string(to_string(tensor.dtype)) +
                                                 " but the model expects " + describe_spec(spec));
  }
  bool match = tensor.shape.size() == spec.shape.size();
  for (std::size_t d = 1; match && d < spec.shape.size(); ++d) {
    match = spec.shape[d] < 0 || spec.shape[d] == tensor.shape[d];
  }
  if (!match) {
    throw Error(ErrorKind::invalid_argument, "input '" + spec.name + "' has shape " +
                                                 to_string(tensor.shape) +
                                                 " but the model expects " + describe_spec(spec));
  }
}

}  // namespace

std::int64_t Signature::static_batch() const {
  for (const auto& in : inputs) {
    if (in.shape_known && !in.shape.empty() && in.shape[0] > 0) return in.shape[0];
  }
  return 0;
}

std::string_view to_string(CacheStatus status) {
  switch (status) {
    case CacheStatus::miss: return "miss";
    case CacheStatus::hit: return "hit";
    case CacheStatus::not_used: break;
  }
  return "not_used";
}

void validate_params(const Params& params, const BackendInfo& info) {
  const std::string who = "framework '" + info.name + "'";
  if (params.batch_size < 1) {
    throw Error(ErrorKind::invalid_argument,
                "batch_size " + std::to_string(params.batch_size) + " must be >= 1");
  }
  if (params.threads < 0) {
    throw Error(ErrorKind::invalid_argument,
                "threads " + std::to_string(params.threads) + " must be >= 0 (0 = one per CPU)");
  }
  if (params.device < -1) {
    throw Error(ErrorKind::invalid_argument, "device " + std::to_string(params.device) +
                                                 " is invalid: use -1 (CPU) or a GPU index");
  }
  if (params.device >= 0 &&
      std::find(info.gpus.begin(), info.gpus.end(), params.device) == info.gpus.end()) {
    throw Error(ErrorKind::unsupported,
                "device " + std::to_string(params.device) + ": " + who +
                    (info.gpus.empty() ? " has no GPU in this build/machine; use --device -1 (CPU)"
                                       : " sees GPUs " + std::to_string(info.gpus.front()) + ".." +
                                             std::to_string(info.gpus.back())));
  }
  if (!contains(info.precisions, params.precision)) {
    throw Error(ErrorKind::unsupported, "precision '" + params.precision + "' is not offered by " +
                                            who + " here; valid: " + join(info.precisions));
  }
  if (!params.optimization.empty() && !contains(info.optimization_levels, params.optimization)) {
    throw Error(ErrorKind::invalid_argument, "optimization '" + params.optimization +
                                                 "' is not a level of " + who +
                                                 "; valid: " + join(info.optimization_levels));
  }
  if (!params.cache_dir.empty() && !info.cache) {
    throw Error(ErrorKind::unsupported, "cache_dir: " + who + " has no optimised-model cache");
  }
  for (const auto& [key, value] : params.options) {
    const auto spec = std::find_if(info.options.begin(), info.options.end(),
                                   [&](const OptionSpec& o) { return o.name == key; });
    if (spec == info.options.end()) {
      std::vector<std::string> names;
      for (const auto& o : info.options) names.push_back(o.name);
      throw Error(ErrorKind::invalid_argument,
                  "option '" + key + "' is unknown to " + who +
                      "; valid: " + (names.empty() ? std::string("(none)") : join(names)));
    }
    if (!spec->choices.empty() && !contains(spec->choices, value)) {
      throw Error(ErrorKind::invalid_argument,
                  "option " + key + "='" + value + "' is invalid; valid: " + join(spec->choices));
    }
    if (spec->integer && !is_count(value)) {
      throw Error(ErrorKind::invalid_argument,
                  "option " + key + "='" + value + "' must be an integer >= 0");
    }
  }
}

Model Model::load(std::unique_ptr<Backend> backend, const std::filesystem::path& path,
                  const Params& params) {
  if (backend == nullptr) throw Error(ErrorKind::invalid_argument, "Model::load: no backend");
  Model model;
  model.backend_ = std::move(backend);
  model.info_ = model.backend_->info();
  model.requested_ = params;
  validate_params(params, model.info_);
  if (model.info_.needs_model_file) {
    std::error_code ec;
    // A file, or a folder for folder formats (TensorFlow's SavedModel).
    if (!std::filesystem::exists(path, ec)) {
      throw Error(ErrorKind::not_found, path.string() + ": model file not found");
    }
  }
  PhaseTimer timer;
  model.load_result_ = model.backend_->load(path, params, timer);
  model.load_timing_ = timer.finish();

  const auto fixed = model.backend_->signature().static_batch();
  if (fixed > 0 && fixed != params.batch_size) {
    throw Error(ErrorKind::invalid_argument, path.string() + " has a fixed batch of " +
                                                 std::to_string(fixed) + "; use --batch-size " +
                                                 std::to_string(fixed) +
                                                 " or a dynamic-batch export of the model");
  }
  model.batch_size_ = params.batch_size;
  return model;
}

std::size_t Model::batches_in_flight() const {
  const auto* streaming = dynamic_cast<const StreamingBackend*>(backend_.get());
  return streaming != nullptr ? std::max<std::size_t>(1, streaming->max_batches_in_flight()) : 1;
}

void Model::submit_batch(std::span<const TensorView> inputs) {
  auto* streaming = dynamic_cast<StreamingBackend*>(backend_.get());
  if (streaming == nullptr) {
    throw Error(ErrorKind::unsupported, info_.name + " takes one batch at a time (run_batch)");
  }
  streaming->submit_batch(inputs);
}

std::vector<Tensor> Model::collect_batch() {
  auto* streaming = dynamic_cast<StreamingBackend*>(backend_.get());
  if (streaming == nullptr) {
    throw Error(ErrorKind::unsupported, info_.name + " takes one batch at a time (run_batch)");
  }
  return streaming->collect_batch();
}

Settings Model::effective_settings() const {
  Settings settings = backend_->effective_settings();
  for (auto& [key, value] : settings) {
    if (key == "batch_size") value = std::to_string(batch_size_);
  }
  return settings;
}

int Model::device() const {
  for (const auto& [key, value] : backend_->effective_settings()) {
    if (key != "device") continue;
    try {
      std::size_t used = 0;
      const int device = std::stoi(value, &used);
      if (used == value.size()) return device;
    } catch (const std::exception&) {  // e.g. "simulated-gpu0": not a device number
    }
  }
  return requested_.device;
}

void Model::set_batch_size(int batch_size) {
  if (batch_size < 1) {
    throw Error(ErrorKind::invalid_argument,
                "batch_size " + std::to_string(batch_size) + " must be >= 1");
  }
  const auto fixed = signature().static_batch();
  if (fixed > 0 && fixed != batch_size) {
    throw Error(ErrorKind::invalid_argument,
                "the model has a fixed batch of " + std::to_string(fixed) + "; batch_size " +
                    std::to_string(batch_size) + " needs another export");
  }
  batch_size_ = batch_size;
}

std::vector<TensorView> Model::ordered_inputs(const NamedTensors& inputs) const {
  const auto& specs = signature().inputs;
  if (inputs.size() == 1 && inputs.front().name.empty()) {
    if (specs.size() != 1) {
      throw Error(ErrorKind::invalid_argument, "the model has " + std::to_string(specs.size()) +
                                                   " inputs: name each one (name=file.npy)");
    }
    check_against_spec(inputs.front().tensor.view(), specs.front());
    return {inputs.front().tensor.view()};
  }
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  for (const auto& given : inputs) {
    if (!contains(names, given.name)) {
      throw Error(
          ErrorKind::not_found,
          "input '" + given.name + "' is not an input of the model; inputs: " + join(names));
    }
  }
  std::vector<TensorView> ordered;
  for (const auto& spec : specs) {
    const auto it = std::find_if(inputs.begin(), inputs.end(),
                                 [&](const NamedTensor& t) { return t.name == spec.name; });
    if (it == inputs.end()) {
      throw Error(ErrorKind::invalid_argument,
                  "model input " + describe_spec(spec) + " is missing");
    }
    check_against_spec(it->tensor.view(), spec);
    ordered.push_back(it->tensor.view());
  }
  return ordered;
}

NamedTensors Model::predict(const NamedTensors& inputs, const PredictOptions& options) {
  if (inputs.empty())
    throw Error(ErrorKind::invalid_argument, "predict() needs at least one input");
  const auto ordered = ordered_inputs(inputs);
  const std::int64_t samples = ordered.front().batch();
  if (samples == 0) throw Error(ErrorKind::invalid_argument, "predict() got 0 samples");
  std::vector<Tensor> copies;
  for (const auto& t : ordered) {
    if (t.batch() != samples) {
      throw Error(ErrorKind::invalid_argument, "inputs disagree on the number of samples (" +
                                                   std::to_string(samples) + " vs " +
                                                   std::to_string(t.batch()) + ")");
    }
    copies.emplace_back(t.dtype, t.shape, std::span<const std::byte>(t.data, t.byte_size()));
  }
  const SamplePool pool = SamplePool::from_tensors(std::move(copies));

  PipelineConfig config;
  config.batch_size = batch_size_;
  config.overlap = options.overlap;
  config.queue_depth = 2;
  config.max_pending = 4;
  config.pad_to_batch = signature().static_batch() > 0;
  config.prepare = options.prepare;
  std::vector<std::vector<Tensor>> per_output;  // [output][batch index], batches in order
  auto keep_outputs = [&](const std::vector<std::int64_t>& rows, std::vector<Tensor>& outputs) {
    per_output.resize(outputs.size());
    const auto real_rows = static_cast<std::int64_t>(rows.size());
    for (std::size_t o = 0; o < outputs.size(); ++o) {
      // A fixed-batch model's padding rows are dropped.
      per_output[o].push_back(outputs[o].batch() > real_rows ? outputs[o].slice_batch(0, real_rows)
                                                             : std::move(outputs[o]));
    }
  };
  Pipeline pipeline(
      *this, pool, config, [](const QueryCompletion&) {}, keep_outputs);
  {
    // Declared after the pipeline, so it is joined before the pipeline goes; submit() returns
    // false once a framework error cancelled the pipeline.
    std::jthread issuer([&] {
      for (std::int64_t begin = 0, id = 0; begin < samples; begin += batch_size_, ++id) {
        const auto rows = std::min<std::int64_t>(batch_size_, samples - begin);
        Query query{id, std::vector<std::int64_t>(static_cast<std::size_t>(rows)), {}};
        std::iota(query.samples.begin(), query.samples.end(), begin);
        if (!pipeline.submit(std::move(query))) break;
      }
      pipeline.close();
    });
    pipeline.run();  // the framework runs on this thread; rethrows its first error
  }
  NamedTensors result;
  const auto& specs = signature().outputs;
  for (std::size_t o = 0; o < per_output.size(); ++o) {
    std::string name = o < specs.size() ? specs[o].name : "output_" + std::to_string(o);
    result.push_back({std::move(name), per_output[o].size() == 1
                                           ? std::move(per_output[o].front())
                                           : Tensor::concat_batch(per_output[o])});
  }
  return result;
}

}  // namespace infbench
