// The ensemble as a Backend (see src/ensemble and include/infbench/ensemble.hpp). In pipelined mode
// it is also a StreamingBackend, so the pipeline keeps queue_depth batches in flight and each
// member works through them at its own pace.

#include "infbench/backend.hpp"

#include <algorithm>

#include "core/sample_pool.hpp"
#include "infbench/ensemble.hpp"
#include "infbench/registry.hpp"
#include "option_values.hpp"

namespace infbench {
namespace {

using Clock = std::chrono::steady_clock;

// Inputs for the auto-mode probe: fixed pseudo-random values of each input's type (uint8 pixels,
// float16 for fp16 packages), one full batch.
std::vector<Tensor> probe_inputs(const Signature& signature, int batch_size) {
  std::vector<Shape> shapes;
  for (const auto& spec : signature.inputs) {
    if (!spec.shape_known || spec.shape.empty()) {
      throw Error(ErrorKind::unsupported,
                  "mode=auto needs inputs of known shape (input '" + spec.name +
                      "'); choose mode=sequential, concurrent or pipelined");
    }
    const Shape sample(spec.shape.begin() + 1, spec.shape.end());
    if (std::any_of(sample.begin(), sample.end(), [](auto d) { return d < 0; })) {
      throw Error(ErrorKind::unsupported, "mode=auto needs fixed input shapes; choose a mode");
    }
    shapes.push_back(sample);
  }
  return SamplePool::random(signature.inputs, shapes, batch_size, 7).tensors();
}

// Samples per second of one ensemble over at least `duration_s` and 3 batches, after one batch of
// warm-up, with as many batches in flight as its mode allows.
double probe_rate(Ensemble& ensemble, const std::vector<Tensor>& inputs, double duration_s) {
  std::vector<TensorView> views;
  for (const auto& t : inputs) views.push_back(t.view());
  ensemble.run_batch(views);
  const std::size_t depth = ensemble.batches_in_flight();
  std::size_t submitted = 0, collected = 0;
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  while (collected < 3 || elapsed() < duration_s) {
    while (submitted - collected < depth) {
      ensemble.submit(views);
      ++submitted;
    }
    ensemble.collect();
    ++collected;
  }
  const double seconds = elapsed();
  const auto counted = collected;
  while (collected < submitted) {
    ensemble.collect();
    ++collected;
  }
  return static_cast<double>(inputs.front().shape()[0]) * static_cast<double>(counted) / seconds;
}

class EnsembleBackend final : public Backend, public StreamingBackend {
 public:
  BackendInfo info() const override {
    BackendInfo info;
    info.name = "ensemble";
    info.framework_version = "1";
    info.model_format = ".yaml (ensemble spec: members, combine rule; docs/ensembles.md)";
    info.precisions = {"fp32"};
    info.optimization_levels = {"none"};
    info.options = {
        {"mode",
         "how members meet a batch; spec = the spec file's mode",
         "spec",
         {"spec", "sequential", "concurrent", "pipelined", "auto"},
         false},
        {"queue_depth", "pipelined: batches a member may run ahead of the slowest", "2", {}, true},
        {"keep",
         "member outputs returned: those the spec keeps, or all",
         "spec",
         {"spec", "all"},
         false},
        {"auto_probe_s", "mode=auto: seconds each mode is measured before choosing", "1", {}, true},
        {"placement",
         "devices the members are placed on in turn (0,1: member i on GPU i mod 2), replacing "
         "their settings.device; empty = the spec's",
         "",
         {},
         false},
    };
    // A GPU is usable when any member framework can use it; members check their own device.
    for (const auto& entry : backend_table()) {
      if (entry.name == "ensemble" || entry.name == "fake") continue;
      for (const int gpu : entry.create()->info().gpus) {
        if (std::find(info.gpus.begin(), info.gpus.end(), gpu) == info.gpus.end()) {
          info.gpus.push_back(gpu);
        }
      }
    }
    info.notes = "members use their own frameworks and settings; threads = the budget they share";
    return info;
  }

  LoadResult load(const std::filesystem::path& model, const Params& params,
                  PhaseMarker& phases) override {
    phases.mark("read");
    auto spec = load_ensemble_spec(model);
    if (const auto placement = option_value(params, info(), "placement"); !placement.empty())
      place_members(spec, parse_placement(placement, "option placement"));
    EnsembleOptions options;
    options.batch_size = params.batch_size;
    options.total_threads = params.threads;
    options.device = params.device;
    options.queue_depth = static_cast<std::size_t>(option_int(params, info(), "queue_depth"));
    options.keep_all = option_value(params, info(), "keep") == "all";
    const auto mode_text = option_value(params, info(), "mode");
    const auto mode = mode_text == "spec" ? spec.mode : parse_ensemble_mode(mode_text);
    if (options.queue_depth < 1) {
      throw Error(ErrorKind::invalid_argument, "option queue_depth must be >= 1");
    }
    auto_rates_.clear();
    if (mode != EnsembleMode::automatic) {
      phases.mark("load_members");
      options.mode = mode;
      ensemble_ = std::make_unique<Ensemble>(std::move(spec), options);
      return {};
    }
    // auto: load and measure each mode briefly (each with its own thread budget), keep the fastest.
    phases.mark("auto_select");
    const double probe_s = option_int(params, info(), "auto_probe_s");
    double best_rate = -1;
    for (const auto candidate :
         {EnsembleMode::sequential, EnsembleMode::concurrent, EnsembleMode::pipelined}) {
      options.mode = candidate;
      auto trial = std::make_unique<Ensemble>(spec, options);
      const double rate =
          probe_rate(*trial, probe_inputs(trial->signature(), params.batch_size), probe_s);
      auto_rates_.emplace_back("auto." + std::string(to_string(candidate)) + "_samples_per_s",
                               std::to_string(rate));
      if (rate > best_rate) {
        best_rate = rate;
        ensemble_ = std::move(trial);
      }
    }
    return {};
  }

  const Signature& signature() const override { return ensemble_->signature(); }

  Settings effective_settings() const override {
    auto settings = ensemble_->effective_settings();
    if (!auto_rates_.empty())
      settings.emplace_back("auto", "chose " + std::string(to_string(ensemble_->options().mode)));
    settings.insert(settings.end(), auto_rates_.begin(), auto_rates_.end());
    return settings;
  }

  std::vector<Tensor> run_batch(std::span<const TensorView> inputs) override {
    return ensemble_->run_batch(inputs);
  }

  std::size_t max_batches_in_flight() const override { return ensemble_->batches_in_flight(); }
  void submit_batch(std::span<const TensorView> inputs) override { ensemble_->submit(inputs); }
  std::vector<Tensor> collect_batch() override { return ensemble_->collect(); }

 private:
  std::unique_ptr<Ensemble> ensemble_;
  Settings auto_rates_;
};

}  // namespace

std::unique_ptr<Backend> make_ensemble_backend() { return std::make_unique<EnsembleBackend>(); }

}  // namespace infbench
