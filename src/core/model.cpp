#include "infbench/model.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <thread>

#include "batch_plan.hpp"
#include "input_file.hpp"
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

// Float data of another float type than the model records (float32 .npy files for an fp16
// AOTInductor package) converted to the recorded type, as a user of that precision converts theirs;
// empty when nothing needs converting (the caller then uses `inputs` as they are).
NamedTensors with_recorded_float_types(const NamedTensors& inputs,
                                       const std::vector<TensorSpec>& specs) {
  const auto spec_of = [&](const NamedTensor& given) -> const TensorSpec* {
    if (given.name.empty() && inputs.size() == 1 && specs.size() == 1) return &specs.front();
    const auto it = std::find_if(specs.begin(), specs.end(),
                                 [&](const TensorSpec& s) { return s.name == given.name; });
    return it == specs.end() ? nullptr : &*it;
  };
  const auto needs = [&](const NamedTensor& given) {
    const TensorSpec* spec = spec_of(given);
    return spec != nullptr && spec->shape_known && spec->dtype != given.tensor.dtype() &&
           is_float(spec->dtype) && is_float(given.tensor.dtype());
  };
  if (std::none_of(inputs.begin(), inputs.end(), needs)) return {};
  NamedTensors converted;
  for (const auto& given : inputs) {
    converted.push_back({given.name, needs(given)
                                         ? converted_float(given.tensor, spec_of(given)->dtype)
                                         : given.tensor});
  }
  return converted;
}

}  // namespace

// An input with a dynamic first dimension makes the batch dynamic: fixed first dimensions beside
// it belong to weights or other unbatched operands.
std::int64_t Signature::static_batch() const {
  std::int64_t fixed = 0;
  for (const auto& in : inputs) {
    if (!in.shape_known || in.shape.empty()) continue;
    if (in.shape[0] < 0) return 0;
    if (fixed == 0) fixed = in.shape[0];
  }
  return fixed;
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
  if (params.batch_size < 0) {
    throw Error(ErrorKind::invalid_argument,
                "batch_size " + std::to_string(params.batch_size) +
                    " must be >= 1 (or 0: the model's fixed batch, else 1)");
  }
  if (params.batch_size > kMaxBatchSize) {
    throw Error(ErrorKind::invalid_argument, "batch_size " + std::to_string(params.batch_size) +
                                                 " is above the limit; valid: 0 to " +
                                                 std::to_string(kMaxBatchSize));
  }
  if (params.threads < 0 || params.threads > max_thread_count()) {
    throw Error(ErrorKind::invalid_argument, "threads " + std::to_string(params.threads) +
                                                 " is out of range; valid: 0 (one per CPU) to " +
                                                 std::to_string(max_thread_count()) +
                                                 " (4 x this machine's logical CPUs, 16..1024)");
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
    // A file, or a folder for folder formats (TensorFlow's SavedModel); never a FIFO (the
    // framework would block reading it), a device or a symbolic link loop.
    check_input_path(path, "model file",
                     model.info_.model_is_directory ? PathKind::directory : PathKind::file);
  }
  PhaseTimer timer;
  Params backend_params = params;
  // "The model's own": adapters that size dynamic dimensions at load (OpenVINO) get 1.
  if (backend_params.batch_size == 0) backend_params.batch_size = 1;
  model.load_result_ = model.backend_->load(path, backend_params, timer);
  model.load_timing_ = timer.finish();

  const auto fixed = model.backend_->signature().static_batch();
  if (params.batch_size == 0) {
    model.batch_size_ = fixed > 0 ? static_cast<int>(fixed) : 1;
    return model;
  }
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

namespace {

// Outputs of every call, in order: batched ones are cut to each call's real rows and joined, the
// others are the first call's (see Model::predict).
NamedTensors assemble_outputs(const std::vector<TensorSpec>& specs,
                              std::vector<std::vector<Tensor>>& per_call,
                              const std::vector<std::pair<std::int64_t, std::int64_t>>& rows) {
  NamedTensors result;
  const std::size_t count = per_call.empty() ? 0 : per_call.front().size();
  for (std::size_t o = 0; o < count; ++o) {
    TensorSpec spec;
    if (o < specs.size()) {
      spec = specs[o];
    } else {
      spec.name = "output_" + std::to_string(o);
      spec.shape_known = false;
    }
    bool batched = true;
    for (std::size_t c = 0; c < per_call.size() && batched; ++c) {
      batched = output_is_batched(spec, per_call[c][o], rows[c].second);
    }
    if (!batched || per_call.size() == 1) {
      Tensor& first = per_call.front()[o];
      const auto real = rows.front().first;
      result.push_back({spec.name, batched && first.batch() > real ? first.slice_batch(0, real)
                                                                   : std::move(first)});
      continue;
    }
    std::vector<Tensor> parts;
    for (std::size_t c = 0; c < per_call.size(); ++c) {
      Tensor& part = per_call[c][o];
      parts.push_back(part.batch() > rows[c].first ? part.slice_batch(0, rows[c].first)
                                                   : std::move(part));
    }
    result.push_back({spec.name, Tensor::concat_batch(parts)});
  }
  return result;
}

}  // namespace

NamedTensors Model::predict(const NamedTensors& inputs, const PredictOptions& options) {
  if (inputs.empty())
    throw Error(ErrorKind::invalid_argument, "predict() needs at least one input");
  const NamedTensors converted = with_recorded_float_types(inputs, signature().inputs);
  const auto ordered = ordered_inputs(converted.empty() ? inputs : converted);
  last_predict_ = {};
  const std::vector<bool> none(ordered.size(), false);
  const BatchPlan plan =
      options.split ? plan_batches(signature().inputs, ordered) : BatchPlan{none, 0, 0};
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    if (!plan.batched[i]) last_predict_.whole_inputs.push_back(signature().inputs[i].name);
  }
  const bool any_batched =
      std::find(plan.batched.begin(), plan.batched.end(), true) != plan.batched.end();
  if (!any_batched) return predict_in_turn(ordered, none, 0, 0, options);
  if (plan.samples == 0) throw Error(ErrorKind::invalid_argument, "predict() got 0 samples");
  if (plan.fixed_batch > 0 && requested_.batch_size > 0 &&
      plan.fixed_batch != requested_.batch_size) {
    throw Error(ErrorKind::invalid_argument,
                "the model fixes a batch of " + std::to_string(plan.fixed_batch) +
                    "; use --batch-size " + std::to_string(plan.fixed_batch) +
                    " (or leave it out) or a dynamic-batch export of the model");
  }
  if (std::all_of(plan.batched.begin(), plan.batched.end(), [](bool b) { return b; })) {
    return predict_pipelined(ordered, plan.samples, plan.fixed_batch, options);
  }
  return predict_in_turn(ordered, plan.batched, plan.samples, plan.fixed_batch, options);
}

// Inputs batched or whole, calls one after the other. Batched inputs are copied per call (the
// last call's padded to fixed_batch rows); whole inputs are passed as given. No batched input
// (samples 0): one call with the tensors as given.
NamedTensors Model::predict_in_turn(std::span<const TensorView> ordered,
                                    const std::vector<bool>& batched, std::int64_t samples,
                                    std::int64_t fixed_batch, const PredictOptions& options) {
  const std::int64_t step = fixed_batch > 0 ? fixed_batch : batch_size_;
  std::vector<std::vector<Tensor>> per_call;
  std::vector<std::pair<std::int64_t, std::int64_t>> rows;  // real, passed
  auto call = [&](std::int64_t begin, std::int64_t count) {
    std::vector<Tensor> owned;
    std::vector<TensorView> views;
    const std::int64_t passed = samples == 0 ? count : std::max(count, fixed_batch);
    for (std::size_t i = 0; i < ordered.size(); ++i) {
      const bool split = samples > 0 && batched[i];
      if (!split && !options.prepare) {
        views.push_back(ordered[i]);
        continue;
      }
      Tensor t = split ? Tensor(ordered[i].slice_batch(begin, count)) : Tensor(ordered[i]);
      if (split && passed > count) t = t.padded_batch(passed);
      owned.push_back(std::move(t));
      views.push_back(owned.back().view());
    }
    if (options.prepare) {
      // `owned` holds every input here: prepare sees the whole batch, as in the pipeline.
      options.prepare(owned, count);
      for (std::size_t i = 0; i < owned.size(); ++i) views[i] = owned[i].view();
    }
    per_call.push_back(backend_->run_batch(views));
    rows.emplace_back(count, passed);
  };
  if (samples == 0) {
    const auto first_rows = ordered.front().shape.empty() ? 1 : ordered.front().shape[0];
    call(0, first_rows);
  } else {
    for (std::int64_t begin = 0; begin < samples; begin += step) {
      if (options.max_batches > 0 && std::ssize(per_call) == options.max_batches) break;
      call(begin, std::min(step, samples - begin));
    }
  }
  last_predict_.calls = std::ssize(per_call);
  last_predict_.samples = samples;
  last_predict_.rows_per_call = samples > 0 ? std::max(step, fixed_batch) : 0;
  return assemble_outputs(signature().outputs, per_call, rows);
}

// Every input batched: the batching pipeline, overlapping batch assembly with compute.
NamedTensors Model::predict_pipelined(std::span<const TensorView> ordered, std::int64_t samples,
                                      std::int64_t fixed_batch, const PredictOptions& options) {
  std::vector<Tensor> copies;
  for (const auto& t : ordered) {
    copies.emplace_back(t.dtype, t.shape, std::span<const std::byte>(t.data, t.byte_size()));
  }
  const SamplePool pool = SamplePool::from_tensors(std::move(copies));
  const std::int64_t step = fixed_batch > 0 ? fixed_batch : batch_size_;

  PipelineConfig config;
  config.batch_size = static_cast<int>(step);
  config.overlap = options.overlap;
  config.queue_depth = 2;
  config.max_pending = 4;
  config.pad_to_batch = fixed_batch > 0;
  config.prepare = options.prepare;
  std::vector<std::vector<Tensor>> per_call;  // batches in order
  std::vector<std::pair<std::int64_t, std::int64_t>> rows;
  auto keep_outputs = [&](const std::vector<std::int64_t>& indices, std::vector<Tensor>& outputs) {
    const auto real = static_cast<std::int64_t>(indices.size());
    rows.emplace_back(real, fixed_batch > 0 ? fixed_batch : real);
    per_call.push_back(std::move(outputs));
  };
  Pipeline pipeline(
      *this, pool, config, [](const QueryCompletion&) {}, keep_outputs);
  {
    // Declared after the pipeline, so it is joined before the pipeline goes; submit() returns
    // false once a framework error cancelled the pipeline.
    std::jthread issuer([&] {
      for (std::int64_t begin = 0, id = 0; begin < samples; begin += step, ++id) {
        if (options.max_batches > 0 && id == options.max_batches) break;
        const auto count = std::min<std::int64_t>(step, samples - begin);
        Query query{id, std::vector<std::int64_t>(static_cast<std::size_t>(count)), {}};
        std::iota(query.samples.begin(), query.samples.end(), begin);
        if (!pipeline.submit(std::move(query))) break;
      }
      pipeline.close();
    });
    pipeline.run();  // the framework runs on this thread; rethrows its first error
  }
  last_predict_.calls = std::ssize(per_call);
  last_predict_.samples = samples;
  last_predict_.rows_per_call = step;
  return assemble_outputs(signature().outputs, per_call, rows);
}

}  // namespace infbench
