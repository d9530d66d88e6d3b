// `infbench predict`: load a model with one framework, run .npy inputs through predict(), write
// .npy outputs. Prints load phases and predict time: a first look, not a benchmark (see `bench`).
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <system_error>

#include <fstream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core/json_text.hpp"
#include "infbench/data_parallel.hpp"
#include "infbench/model.hpp"
#include "infbench/npy.hpp"
#include "model_options.hpp"

namespace infbench::cli {
namespace {

struct PredictOptions {
  ModelOptions m;
  bool batch_size_given = false;  // --batch-size on the command line
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  int warmup_batches = 0;
  std::string report;
};

// "name=path" or "path" (name empty).
std::pair<std::string, std::string> split_named(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos) return {"", text};
  return {text.substr(0, eq), text.substr(eq + 1)};
}

infbench::PredictOptions first_call_only() {
  infbench::PredictOptions first;
  first.max_batches = 1;
  return first;
}

// Refuse an unwritable output before any work, so a failure leaves no partial result.
void check_writable(const std::filesystem::path& path) {
  const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::error_code unusable;  // a name the OS refuses (too long) is refused here, in one line
  if (!std::filesystem::is_directory(dir, unusable) || ::access(dir.c_str(), W_OK) != 0) {
    throw Error(ErrorKind::io, "--output " + path.string() + ": directory '" + dir.string() +
                                   "' does not exist or is not writable");
  }
}

// Maps every model output to a file: named ones as given, a single plain path to the only output,
// or (several outputs) to <stem>.<output name>.npy beside it.
std::vector<std::pair<std::string, std::filesystem::path>> output_files(
    const std::vector<std::string>& specs, const Signature& signature) {
  std::vector<std::pair<std::string, std::filesystem::path>> files;
  for (const auto& spec : specs) {
    const auto [name, path] = split_named(spec);
    if (!name.empty()) {
      files.emplace_back(name, path);
      continue;
    }
    if (signature.outputs.size() == 1) {
      files.emplace_back(signature.outputs.front().name, path);
      continue;
    }
    const std::filesystem::path base(path);
    for (const auto& out : signature.outputs) {
      files.emplace_back(out.name, base.parent_path() / (base.stem().string() + "." + out.name +
                                                         base.extension().string()));
    }
  }
  for (const auto& [name, path] : files) {
    const bool known = std::any_of(signature.outputs.begin(), signature.outputs.end(),
                                   [&](const TensorSpec& s) { return s.name == name; });
    if (!known) {
      std::string names;
      for (const auto& s : signature.outputs) names += (names.empty() ? "" : ", ") + s.name;
      throw Error(ErrorKind::not_found, "--output " + name + "=...: the model has no output '" +
                                            name + "'; outputs: " + names);
    }
    check_writable(path);
  }
  return files;
}

void print_top1(const Tensor& logits) {
  const bool floating = logits.dtype() == DType::float32 || logits.dtype() == DType::float16 ||
                        logits.dtype() == DType::bfloat16;
  if (!floating || logits.shape().size() != 2 || logits.shape()[1] < 2) return;
  const auto values = logits.to_float();
  const auto classes = static_cast<std::size_t>(logits.shape()[1]);
  const auto rows = std::min<std::int64_t>(logits.shape()[0], 8);
  std::string line;
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto begin = values.begin() + static_cast<std::ptrdiff_t>(r * classes);
    line += fmt::format(
        " {}", std::max_element(begin, begin + static_cast<std::ptrdiff_t>(classes)) - begin);
  }
  fmt::print("  top-1 (first {} samples):{}\n", rows, line);
}

// A JSON record of this run, for scripts (bench/first_look.sh). The measurement engine's
// `infbench bench` supersedes it for real benchmarks.
void write_report(const PredictOptions& o, const Model& model, double first_inference_s,
                  double predict_s, std::int64_t samples) {
  const auto& ran = model.last_predict();
  nlohmann::ordered_json phases = nlohmann::ordered_json::object();
  for (const auto& [phase, s] : model.load_timing().phases_s) phases[phase] = s;
  nlohmann::ordered_json effective = nlohmann::ordered_json::object();
  for (const auto& [k, v] : model.effective_settings()) effective[k] = v;
  const nlohmann::ordered_json record = {
      {"model", o.m.model},
      {"framework", model.info().name},
      {"framework_version", model.info().framework_version},
      {"batch_size", model.batch_size()},
      {"effective", effective},
      {"load_time_s", model.load_timing().total_s},
      {"load_phases_s", phases},
      {"cache", std::string(to_string(model.load_result().cache))},
      {"warmup_batches", o.warmup_batches},
      {"first_inference_s",
       first_inference_s < 0 ? nlohmann::json(nullptr) : nlohmann::json(first_inference_s)},
      {"samples", samples},
      {"calls", ran.calls},
      {"rows_per_call", ran.rows_per_call},
      {"whole_inputs", ran.whole_inputs},
      {"predict_s", predict_s},
      {"throughput_samples_per_s", static_cast<double>(samples) / predict_s}};
  std::ofstream out(o.report);
  out << json_text(record, 2) << "\n";
  if (!out) throw Error(ErrorKind::io, "--report " + o.report + ": cannot write");
}

void write_outputs(const std::vector<std::pair<std::string, std::filesystem::path>>& files,
                   const NamedTensors& outputs) {
  for (const auto& [name, path] : files) {
    const auto it = std::find_if(outputs.begin(), outputs.end(),
                                 [&](const NamedTensor& t) { return t.name == name; });
    write_npy(path, it->tensor);
    fmt::print("  wrote {} {} {} -> {}\n", name, to_string(it->tensor.dtype()),
               to_string(it->tensor.shape()), path.string());
  }
}

// --device 0,1,...: one model per device, the samples split across them, then the same samples
// on the first device alone, for the scaling figure. One pass each: a first look, not a benchmark.
void run_data_parallel(PredictOptions& o, const NamedTensors& inputs) {
  using Clock = std::chrono::steady_clock;
  auto models = load_on_devices(o.m.framework, o.m.model, o.m.to_params(), o.m.devices);
  const auto files = output_files(o.outputs, models.front().signature());
  const auto& info = models.front().info();
  fmt::print("{} {} | data parallel over {} devices\n", info.name, info.framework_version,
             models.size());
  if (info.notes.find("SIMULATED") != std::string::npos) {
    fmt::print(
        "  note: simulated devices (fake backend): these timings measure this CPU, not GPUs\n");
  }
  for (auto& model : models) {
    fmt::print("  device {}: load {:.3f}s\n", model.requested().device,
               model.load_timing().total_s);
    for (int i = 0; i < o.warmup_batches; ++i) model.predict(inputs, first_call_only());
  }
  const auto parallel = predict_data_parallel(models, inputs);
  const auto samples = inputs.front().tensor.batch();
  nlohmann::ordered_json shares = nlohmann::ordered_json::array();
  for (const auto& share : parallel.shares) {
    fmt::print("  device {}: samples {}..{} in {:.3f}s\n", share.device, share.first_sample,
               share.first_sample + share.samples, share.seconds);
    shares.push_back({{"device", share.device},
                      {"first_sample", share.first_sample},
                      {"samples", share.samples},
                      {"seconds", share.seconds}});
  }
  const auto start = Clock::now();
  models.front().predict(inputs);
  const double single_s = std::chrono::duration<double>(Clock::now() - start).count();
  const double scaling = single_s / parallel.seconds;
  fmt::print(
      "  predict {} samples, batch {}: {:.3f}s on {} devices ({:.2f} samples/s); {:.3f}s on "
      "device {} alone: scaling x{:.2f} ({:.0f}% of x{})\n",
      samples, models.front().batch_size(), parallel.seconds, models.size(),
      static_cast<double>(samples) / parallel.seconds, single_s, models.front().requested().device,
      scaling, 100 * scaling / static_cast<double>(models.size()), models.size());
  write_outputs(files, parallel.outputs);
  print_top1(parallel.outputs.front().tensor);
  if (!o.report.empty()) {
    const nlohmann::ordered_json record = {
        {"model", o.m.model},
        {"framework", info.name},
        {"framework_version", info.framework_version},
        {"batch_size", models.front().batch_size()},
        {"devices", o.m.devices},
        {"samples", samples},
        {"shares", shares},
        {"predict_s", parallel.seconds},
        {"throughput_samples_per_s", static_cast<double>(samples) / parallel.seconds},
        {"single_device_predict_s", single_s},
        {"scaling_vs_one_device", scaling},
        {"simulated_devices", info.notes.find("SIMULATED") != std::string::npos}};
    std::ofstream out(o.report);
    out << json_text(record, 2) << "\n";
    if (!out) throw Error(ErrorKind::io, "--report " + o.report + ": cannot write");
  }
}

void run(PredictOptions o) {
  using Clock = std::chrono::steady_clock;
  // No --batch-size: the model's own (a fixed batch, else 1). --batch-size 0: the model's own
  // too, and one call with the tensors as given.
  if (!o.batch_size_given) o.m.params.batch_size = 0;
  const Params params = o.m.to_params();
  if (o.batch_size_given && params.batch_size == 0 && o.m.devices.size() > 1) {
    throw Error(ErrorKind::invalid_argument,
                "--batch-size 0 runs one call with the tensors as given: it cannot be split "
                "across several --device; give one device or a batch size");
  }

  // Refuse unwritable destinations before any work.
  for (const auto& spec : o.outputs) check_writable(split_named(spec).second);
  if (!o.report.empty()) check_writable(o.report);
  NamedTensors inputs;
  for (const auto& spec : o.inputs) {
    const auto [name, path] = split_named(spec);
    inputs.push_back({name, read_npy(path)});
  }
  if (o.m.devices.size() > 1) {
    run_data_parallel(o, inputs);
    return;
  }

  auto model = Model::load(o.m.framework, o.m.model, params);
  const auto files = output_files(o.outputs, model.signature());

  const auto& timing = model.load_timing();
  std::string phases;
  for (const auto& [phase, seconds] : timing.phases_s)
    phases += fmt::format(" {}={:.3f}s", phase, seconds);
  fmt::print("{} {} | load {:.3f}s ({} ) cache={}\n", model.info().name,
             model.info().framework_version, timing.total_s, phases,
             to_string(model.load_result().cache));
  std::string settings;
  for (const auto& [k, v] : model.effective_settings()) settings += fmt::format(" {}={}", k, v);
  fmt::print("  effective:{}\n", settings);

  infbench::PredictOptions how;
  how.split = o.m.params.batch_size != 0 || !o.batch_size_given;
  double first_inference_s = -1;
  if (o.warmup_batches > 0) {
    auto first = first_call_only();
    first.split = how.split;
    for (int i = 0; i < o.warmup_batches; ++i) {
      const auto start = Clock::now();
      model.predict(inputs, first);
      if (i == 0) {
        first_inference_s = std::chrono::duration<double>(Clock::now() - start).count();
        fmt::print("  first inference {:.3f}s\n", first_inference_s);
      }
    }
  }
  const auto start = Clock::now();
  const auto outputs = model.predict(inputs, how);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto& ran = model.last_predict();
  // Samples: the batched inputs' rows; for one call with the tensors as given, the first input's
  // rows (1 for a scalar), as a model that was not split sees them.
  const auto& first = inputs.front().tensor;
  const auto samples = ran.samples > 0         ? ran.samples
                       : first.shape().empty() ? std::int64_t{1}
                                               : std::max<std::int64_t>(1, first.batch());
  std::string whole;
  for (const auto& name : ran.whole_inputs) whole += (whole.empty() ? "" : ", ") + name;
  const std::string how_run =
      ran.samples == 0
          ? fmt::format("1 call with the tensors as given ({} rows of the first input)",
                        first.shape().empty() ? 0 : first.batch())
          : fmt::format("{} samples in {} call(s) of {}{}", ran.samples, ran.calls,
                        ran.rows_per_call, whole.empty() ? "" : "; whole to every call: " + whole);
  fmt::print("  predict {}: {:.3f}s ({:.2f} samples/s, one pass{})\n", how_run, seconds,
             static_cast<double>(samples) / seconds,
             o.warmup_batches > 0 ? fmt::format(" after {} warm-up batches", o.warmup_batches)
                                  : ", no warm-up");
  write_outputs(files, outputs);
  print_top1(outputs.front().tensor);
  if (!o.report.empty()) {
    write_report(o, model, first_inference_s, seconds, samples);
  }
}

// The rule of Model::predict (src/core/batch_plan.hpp), for --help.
constexpr const char* kBatchingHelp = R"(Batching:
  An input is split into batches when the model declares its first dimension dynamic, or fixed
  at F while the tensor has another number of rows (then every call gets F rows: the last one is
  padded with zero rows and their outputs dropped). A scalar, or an input given exactly with its
  declared shape (weights, broadcast operands, one fixed batch), goes whole to every call. With no
  --batch-size a fixed batch is taken from the model; --batch-size 0 runs one call with every
  tensor as given. Outputs whose first dimension is the call's rows are joined over the calls;
  others are the first call's. Ambiguous inputs (split inputs with different row counts) are
  refused naming the input and the fix.
  OpenVINO's default batch_shape=static gives dynamic first dimensions the batch size at load:
  with --batch-size 0 and a dynamic input of more than one row, add --set batch_shape=dynamic.)";

}  // namespace

void add_predict_command(CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  auto* cmd = app.add_subcommand("predict", "Run .npy inputs through a model with one framework");
  cmd->footer(kBatchingHelp);
  o->m.add_to(*cmd, "Model file (.onnx, .ts, ...)", true);
  auto* batch_size = cmd->get_option("--batch-size");
  batch_size->default_str("");  // the model decides when it is left out
  batch_size->description(
      "Samples per framework call; default: the model's fixed batch, else 1; 0: no splitting, "
      "one call with the tensors as given");
  cmd->add_option("--input", o->inputs, "[name=]file.npy (repeatable)")->required();
  cmd->add_option("--output", o->outputs, "[name=]file.npy (repeatable)")->required();
  cmd->add_option("--warmup", o->warmup_batches, "Batches run before the timed predict")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--report", o->report, "Write load/predict timings and settings as JSON");
  cmd->callback([o, batch_size] {
    o->batch_size_given = batch_size->count() > 0;
    run(*o);
  });
}

}  // namespace infbench::cli
