// `infbench bench`: one benchmark run with the measurement engine; readable summary on stdout,
// the full record (with raw latencies and the environment) as JSON with --json.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <type_traits>

#include "commands.hpp"
#include "core/json_text.hpp"
#include "core/record_json.hpp"
#include "infbench/data_parallel_bench.hpp"
#include "infbench/ensemble_study.hpp"
#include "infbench/registry.hpp"
#include "infbench/runner.hpp"
#include "interrupt.hpp"
#include "model_options.hpp"
#include "output_files.hpp"

namespace infbench::cli {
namespace {

struct BenchOptions {
  ModelOptions m;
  std::string scenario = "offline", json;
  RunConfig config;
  std::vector<std::string> inputs, input_shapes, input_dtypes;
  std::string labels, reference_input, reference_output;
};

Shape parse_shape(const std::string& text) {
  Shape shape;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto x = text.find('x', pos);
    const std::string part = text.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    try {
      std::size_t used = 0;
      const long long d = std::stoll(part, &used);
      if (used != part.size() || d < 1) throw std::invalid_argument(part);
      shape.push_back(d);
    } catch (const std::exception&) {
      throw Error(ErrorKind::invalid_argument,
                  "--input-shape '" + text + "' is not of the form 3x224x224 (positive sizes)");
    }
    if (x == std::string::npos) break;
    pos = x + 1;
  }
  return shape;
}

DType parse_input_dtype(const std::string& text) {
  if (const auto dtype = parse_dtype(text)) return *dtype;
  throw Error(ErrorKind::invalid_argument,
              "--input-dtype '" + text +
                  "' is unknown; valid: float32, float16, bfloat16, float64, int64, int32, int8, "
                  "uint8, bool");
}

std::string interval(std::optional<double> low, std::optional<double> high, const char* format) {
  if (!low || !high) return "";
  return " [" + fmt::format(fmt::runtime(format), *low) + ", " +
         fmt::format(fmt::runtime(format), *high) + "]";
}

// --device 0,1,...: each device's offline run at once, after the first device alone.
void run_data_parallel(const BenchOptions& o, const Params& params) {
  const DataParallelBench b = [&] {
    InterruptHandler ctrl_c;
    return bench_data_parallel(o.m.framework, o.m.model, params, o.m.devices, o.config);
  }();
  fmt::print("data parallel over devices {} (offline, batch {}, {} repeats each)\n",
             fmt::join(b.devices, ","), params.batch_size, o.config.repeat);
  const auto line = [](const RunResult& r) {
    const auto& rec = r.record;
    return rec.status == "ok"
               ? fmt::format("{:.2f} samples/s{}", rec.throughput_samples_per_s,
                             interval(rec.throughput_ci95_low, rec.throughput_ci95_high, "{:.2f}"))
               : rec.status + " (" + rec.error_phase + "): " + rec.error;
  };
  fmt::print("  alone       device {}: {}\n", b.devices.front(), line(b.alone));
  for (std::size_t i = 0; i < b.together.size(); ++i)
    fmt::print("  together    device {}: {}\n", b.devices[i], line(b.together[i]));
  if (b.alone.record.effective_settings.find("simulated-gpu") != std::string::npos)
    fmt::print(
        "  note        SIMULATED devices (INFBENCH_FAKE_SIMULATED_GPUS): not a GPU "
        "measurement\n");
  if (b.ok()) {
    fmt::print(
        "  aggregate   {:.2f} samples/s{} on {} devices; measuring windows overlap {:.0f} %\n",
        b.aggregate, interval(b.aggregate_low, b.aggregate_high, "{:.2f}"), b.devices.size(),
        100 * b.overlap);
    if (b.efficiency)
      fmt::print("  scaling     efficiency {:.3f}{} (aggregate / ({} x alone))\n", *b.efficiency,
                 interval(b.efficiency_low, b.efficiency_high, "{:.3f}"), b.devices.size());
  }
  if (!o.json.empty()) {
    nlohmann::ordered_json j{{"devices", b.devices},
                             {"aggregate_samples_per_s", b.aggregate},
                             {"aggregate_per_repeat", b.aggregate_per_repeat},
                             {"overlap", b.overlap},
                             {"alone", to_json(b.alone)}};
    if (b.aggregate_low) j["aggregate_ci95"] = {*b.aggregate_low, *b.aggregate_high};
    if (b.efficiency) j["scaling_efficiency"] = *b.efficiency;
    if (b.efficiency_low) j["scaling_efficiency_ci95"] = {*b.efficiency_low, *b.efficiency_high};
    for (const auto& r : b.together) j["together"].push_back(to_json(r));
    write_atomically("--json", o.json, json_text(j, 1) + "\n");
    fmt::print("  record      {}\n", o.json);
  }
  if (!b.ok()) {
    const RunResult* bad = &b.alone;
    for (const auto& r : b.together)
      if (r.record.status != "ok") bad = &r;
    throw Error(bad->record.status == "interrupted" ? ErrorKind::interrupted : ErrorKind::framework,
                "data-parallel run on device " + std::to_string(bad->record.device) + " " +
                    bad->record.status + ": " + bad->record.error);
  }
}

void run(BenchOptions o) {
  const Params params = o.m.to_params();
  o.config.scenario = parse_scenario(o.scenario);
  for (const auto& f : o.inputs) o.config.input_files.emplace_back(f);
  for (const auto& s : o.input_shapes) o.config.sample_shapes.push_back(parse_shape(s));
  for (const auto& d : o.input_dtypes) o.config.sample_dtypes.push_back(parse_input_dtype(d));
  if (!o.input_dtypes.empty() && !o.inputs.empty()) {
    throw Error(ErrorKind::invalid_argument,
                "--input-dtype goes without --input: the .npy files carry their own type");
  }
  o.config.reference_input = o.reference_input;
  o.config.reference_output = o.reference_output;
  if (o.reference_input.empty() != o.reference_output.empty()) {
    throw Error(ErrorKind::invalid_argument,
                "--reference-input and --reference-output go together: give both .npy files");
  }
  check_writable("--json", o.json);
  if (o.m.devices.size() > 1) {
    if (!o.labels.empty())
      throw Error(ErrorKind::invalid_argument,
                  "--labels: top-1 accuracy is measured on one device; drop --labels or give one "
                  "--device");
    run_data_parallel(o, params);
    return;
  }
  if (!o.labels.empty() && o.inputs.empty()) {
    throw Error(ErrorKind::invalid_argument,
                "--labels " + o.labels + ": give the labelled samples with --input x.npy");
  }
  const RunResult result = [&] {
    InterruptHandler ctrl_c;
    return run_benchmark(o.m.framework, o.m.model, params, o.config);
  }();
  fmt::print("{}", console_summary(result));
  auto record = to_json(result);
  if (!o.labels.empty() && result.record.status == "ok") {
    // Accuracy over every labelled sample, after (and apart from) the timed run.
    std::vector<std::filesystem::path> files(o.inputs.begin(), o.inputs.end());
    for (const auto& a : measure_top1(o.m.framework, o.m.model, params, files, o.labels)) {
      fmt::print("  top-1       {:.4f} {} ({})\n", a.top1, a.name, o.labels);
      record["accuracy_top1"][a.name] = a.top1;
    }
  }
  if (!o.json.empty()) {
    write_atomically("--json", o.json, json_text(record, 1) + "\n");
    fmt::print("  record      {}\n", o.json);
  }
  if (result.record.status == "failed")
    throw Error(ErrorKind::framework,
                "run failed in " + result.record.error_phase + ": " + result.record.error);
  if (result.record.status == "interrupted")
    throw Error(ErrorKind::interrupted, "interrupted: the summary above covers what was measured");
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd =
      app.add_subcommand("bench", "Benchmark a model with one framework in a LoadGen scenario");
  o->m.add_to(*cmd, "Model file", /*several_devices=*/true);
  cmd->add_option("--scenario", o->scenario, "offline | single-stream | multi-stream | server")
      ->capture_default_str();
  // One flag per RunConfig field (run_config.hpp lists them); booleans also take --no-<flag>.
  visit_fields(o->config, [&](const ConfigField& f, auto& member) {
    const std::string flag(f.flag);
    if constexpr (std::is_same_v<std::decay_t<decltype(member)>, bool>) {
      cmd->add_flag(flag + ",!--no-" + flag.substr(2), member, std::string(f.help))
          ->capture_default_str();
    } else {
      cmd->add_option(flag, member, std::string(f.help))->capture_default_str();
    }
  });
  cmd->add_option("--input", o->inputs, "Sample pool from .npy (one per model input, in order)");
  cmd->add_option("--input-shape", o->input_shapes, "Per-sample shape like 3x224x224 (per input)");
  cmd->add_option("--input-dtype", o->input_dtypes,
                  "Input dtype like uint8 (per input), for formats that record none "
                  "(TorchScript); default: the model zoo's manifest, else float32");
  cmd->add_option("--labels", o->labels,
                  "Labels .npy (one integer per --input sample): top-1 accuracy of the model, and "
                  "of each member for an ensemble");
  cmd->add_option("--reference-input", o->reference_input,
                  "fp32 reference input .npy of the accuracy check (default: the model zoo's "
                  "manifest entry of --model; docs/metrics.md)");
  cmd->add_option("--reference-output", o->reference_output,
                  "fp32 reference of the first output for --reference-input (.npy)");
  cmd->add_option("--json", o->json, "Write the full record as JSON");
  cmd->callback([o] { run(*o); });
}

}  // namespace infbench::cli
