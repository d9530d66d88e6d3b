// Harness overhead: `infbench bench --scenario offline` throughput divided by a minimal
// hand-written loop calling the same framework on the same model, batch and threads. Measured side
// by side in one process, alternating A/B over several rounds; the ratio of medians is the result.
// Targets (issue 3): >= 0.99 at batch 8, >= 0.98 at batch 1. --device 0 compares the GPU
// frameworks (LibTorch CUDA fp32, AOTInductor fp16, XLA fp16) instead of the CPU ones.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "core/stats.hpp"
#include "core/zoo_manifest.hpp"
#include "hand_loops.hpp"
#include "infbench/registry.hpp"
#include "infbench/runner.hpp"

namespace {

using infbench::bench::HandLoopResult;
using HandLoop = std::function<HandLoopResult(const std::filesystem::path&, int, int, double)>;

struct FrameworkRow {
  std::string name;
  HandLoop loop;
  int device = -1;
  std::string precision = "fp32";
  std::map<std::string, std::string> options = {};  // framework options, on the harness side too
};

// The fake backend at a fixed cost per sample: the harness's own per-batch cost, with no framework
// noise. Its model is not a file: the model name.
FrameworkRow fake_row(int per_sample_us, int features) {
  FrameworkRow row{"fake", [=](const std::filesystem::path&, int batch, int, double seconds) {
                     return infbench::bench::hand_loop_fake(batch, per_sample_us, features,
                                                            seconds);
                   }};
  row.options = {{"per_sample_us", std::to_string(per_sample_us)},
                 {"spin", "on"},
                 {"features", std::to_string(features)}};
  return row;
}

#ifdef INFBENCH_WITH_XLA
// XLA at the precision the zoo exports for that device (fp16 StableHLO on a GPU).
FrameworkRow xla_row(int device) {
  return {"xla",
          [device](const std::filesystem::path& model, int batch, int, double seconds) {
            return infbench::bench::hand_loop_xla(model, batch, device, seconds);
          },
          device, device >= 0 ? "fp16" : "fp32"};
}
#endif

std::vector<FrameworkRow> frameworks(int device) {
  std::vector<FrameworkRow> rows;
  if (device >= 0) {
#ifdef INFBENCH_GPU_HAND_LOOPS
    rows.push_back({"libtorch", &infbench::bench::hand_loop_libtorch_cuda, 0, "fp32"});
    rows.push_back({"aotinductor", &infbench::bench::hand_loop_aotinductor, 0, "fp16"});
#endif
#ifdef INFBENCH_WITH_XLA
    rows.push_back(xla_row(device));
#endif
    return rows;
  }
#ifdef INFBENCH_WITH_XLA
  rows.push_back(xla_row(-1));
#endif
#ifdef INFBENCH_WITH_ONNXRUNTIME
  rows.push_back({"onnxruntime", &infbench::bench::hand_loop_onnxruntime});
#endif
#ifdef INFBENCH_WITH_LIBTORCH
  rows.push_back({"libtorch", &infbench::bench::hand_loop_libtorch});
#endif
#ifdef INFBENCH_WITH_OPENCV
  rows.push_back({"opencv", &infbench::bench::hand_loop_opencv});
#endif
  return rows;
}

// The zoo file the framework's adapter reads (its BackendInfo::zoo_files), as plans find it.
std::filesystem::path find_file(const infbench::Zoo& zoo, const std::string& model,
                                const FrameworkRow& fw, int batch) {
  if (fw.name == "fake") return model;
  const auto kinds = infbench::create_backend(fw.name)->info().zoo_files;
  return zoo.file_for(model, kinds, fw.precision, batch);
}

double harness_throughput(const FrameworkRow& fw, const std::filesystem::path& path, int batch,
                          int threads, double seconds) {
  infbench::Params params;
  params.batch_size = batch;
  params.threads = threads;
  params.device = fw.device;
  params.precision = fw.precision;
  params.options = fw.options;
  // XLA compiles at every load (seconds for ResNet-50); its executable cache makes the rounds'
  // reloads a deserialisation, as the hand loop compiles once (load time is not measured here).
  if (fw.name == "xla")
    params.cache_dir = std::filesystem::temp_directory_path() / "infbench-harness-xla";
  infbench::RunConfig config;
  config.scenario = infbench::Scenario::offline;
  config.min_duration_s = seconds;
  config.min_queries = 1;
  config.warmup_s = 0;
  config.warmup_queries = 2;
  config.idle_power_s = 0;
  const auto result = infbench::run_benchmark(fw.name, path, params, config);
  if (result.record.status != "ok") throw std::runtime_error(result.record.error);
  return result.record.throughput_samples_per_s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"infbench harness overhead vs hand-written framework loops"};
  std::string models_dir = "models", models = "resnet18", out, only;
  std::vector<int> batches{1, 8};
  int threads = 2, rounds = 3, device = -1, fake_us = 0, fake_features = 3 * 224 * 224;
  double seconds = 6;
  app.add_option("--models-dir", models_dir)->capture_default_str();
  app.add_option("--models", models, "Comma-separated zoo models")->capture_default_str();
  app.add_option("--batch-sizes", batches)->delimiter(',');
  app.add_option("--threads", threads)->capture_default_str();
  app.add_option("--device", device,
                 "-1 = the CPU frameworks; 0 = GPU 0 (LibTorch, AOTInductor, XLA)")
      ->capture_default_str();
  app.add_option("--fake-us", fake_us,
                 "Only the fake backend, at this many microseconds per sample: the harness's "
                 "own per-batch cost");
  app.add_option("--fake-features", fake_features, "Fake backend: float32 values per sample")
      ->capture_default_str();
  app.add_option("--frameworks", only,
                 "Comma-separated rows to run (e.g. aotinductor); empty: every hand loop built");
  app.add_option("--rounds", rounds, "A/B rounds per cell")->capture_default_str();
  app.add_option("--seconds", seconds, "Measured seconds per run")->capture_default_str();
  app.add_option("--out", out, "Append JSON lines here");
  CLI11_PARSE(app, argc, argv);

  auto rows = fake_us > 0 ? std::vector<FrameworkRow>{fake_row(fake_us, fake_features)}
                          : frameworks(device);
  if (!only.empty()) {
    std::string built;
    for (const auto& fw : rows) built += (built.empty() ? "" : ", ") + fw.name;
    std::stringstream names(only);
    for (std::string name; std::getline(names, name, ',');) {
      if (std::none_of(rows.begin(), rows.end(), [&](const auto& fw) { return fw.name == name; })) {
        fmt::print(stderr,
                   "--frameworks: no hand loop '{}' for --device {} in this build (built: {})\n",
                   name, device, built.empty() ? "none" : built);
        return 2;
      }
    }
    std::erase_if(rows, [&](const FrameworkRow& fw) {
      return ("," + only + ",").find("," + fw.name + ",") == std::string::npos;
    });
  }
  if (rows.empty()) {
    fmt::print(stderr, "no hand loops for --device {}{} in this build\n", device,
               only.empty() ? "" : " and --frameworks " + only);
    return 2;
  }
  std::ofstream jsonl;
  if (!out.empty()) jsonl.open(out, std::ios::app);
  fmt::print("{:<20} {:<12} {:>5} {:>12} {:>12} {:>8} {:>7}\n", "model", "framework", "batch",
             "hand s/s", "infbench s/s", "ratio", "target");
  bool all_met = true;
  std::stringstream model_list(models);
  const infbench::Zoo zoo(models_dir);
  for (std::string model; std::getline(model_list, model, ',');) {
    for (const auto& fw : rows) {
      for (int batch : batches) {
        const auto path = find_file(zoo, model, fw, batch);
        if (path.empty()) {
          fmt::print("{:<20} {:<12} {:>5} model file missing\n", model, fw.name, batch);
          continue;
        }
        std::vector<double> hand, harness;
        for (int r = 0; r < rounds; ++r) {
          // Alternate which side goes first, so drift over time does not favour one side.
          if (r % 2 == 0) hand.push_back(fw.loop(path, batch, threads, seconds).samples_per_s);
          harness.push_back(harness_throughput(fw, path, batch, threads, seconds));
          if (r % 2 == 1) hand.push_back(fw.loop(path, batch, threads, seconds).samples_per_s);
        }
        // Paired rounds: each round's ratio compares runs made back to back, so slow drift of the
        // machine cancels; the mean ratio gets a bootstrap 95 % interval.
        std::vector<double> ratios;
        for (std::size_t r = 0; r < hand.size(); ++r) ratios.push_back(harness[r] / hand[r]);
        const double h = infbench::percentile(hand, 0.5), b = infbench::percentile(harness, 0.5);
        const double target = batch >= 8 ? 0.99 : 0.98;
        const double ratio = infbench::mean(ratios);
        const auto ci = infbench::bootstrap_mean_ci(ratios, 7);
        const char* verdict = !ci                 ? "?"
                              : ci->low >= target ? "met"
                              : ci->high < target ? "MISSED"
                                                  : "within noise";
        all_met = all_met && ci && ci->low >= target;
        fmt::print(
            "{:<20} {:<12} {:>5} {:>12.2f} {:>12.2f} {:>8.4f} [{:.3f}, {:.3f}] {:>7} (>= {})\n",
            model, fw.name, batch, h, b, ratio, ci ? ci->low : 0.0, ci ? ci->high : 0.0, verdict,
            target);
        std::fflush(stdout);
        if (jsonl) {
          jsonl << nlohmann::json{{"model", model},
                                  {"framework", fw.name},
                                  {"device", fw.device},
                                  {"precision", fw.precision},
                                  {"batch_size", batch},
                                  {"threads", threads},
                                  {"seconds", seconds},
                                  {"hand_samples_per_s", hand},
                                  {"infbench_samples_per_s", harness},
                                  {"mean_paired_ratio", ratio},
                                  {"ratio_ci95", ci ? std::vector<double>{ci->low, ci->high}
                                                    : std::vector<double>{}}}
                       .dump()
                << "\n"
                << std::flush;  // a device call's time limit kills the process: keep every row
        }
      }
    }
  }
  return all_met ? 0 : 1;
}
