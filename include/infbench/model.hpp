#pragma once
// The unified API: load(framework, path, params) then predict(inputs) over any number of samples.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infbench/backend.hpp"

namespace infbench {

// How predict() runs its batches.
struct PredictOptions {
  // Assemble (and, on a GPU, copy) the next batch on a second thread while the framework computes
  // the current one; a streaming backend gets several batches in flight. Off: one after the other.
  bool overlap = true;
  // Optional preparation of each assembled batch, in place on its host tensors (`rows` real
  // samples; a fixed-batch model's padding rows follow). Runs on the pipeline's batcher thread.
  std::function<void(std::vector<Tensor>& batch, std::int64_t rows)> prepare;
  // false: no splitting, one framework call with the tensors as given (`predict --batch-size 0`).
  bool split = true;
  // > 0: stop after this many framework calls (warm-up); the outputs then cover those calls only.
  int max_batches = 0;
};

// What the last predict() ran, for reports.
struct PredictSummary {
  std::int64_t calls = 0;                 // framework calls
  std::int64_t samples = 0;               // rows of the batched inputs; 0: none was split
  std::int64_t rows_per_call = 0;         // rows passed to each split call (padding included)
  std::vector<std::string> whole_inputs;  // passed whole to every call
};

struct LoadTiming {
  // Durations of the phases the adapter marked, in order (e.g. read, optimize, cache_write).
  std::vector<std::pair<std::string, double>> phases_s;
  double total_s = 0;
};

class Model {
 public:
  // Validates params against the backend (unknown options, values, precision, device), loads and
  // optimises the model. The primitive: any Backend, also a user's own (as LoadGen takes a SUT).
  // Throws Error with a one-line message.
  static Model load(std::unique_ptr<Backend> backend, const std::filesystem::path& path,
                    const Params& params);
  // The same with the backend created by name from the registry (infbench/registry.hpp);
  // defined in the registry layer, so core does not depend on it.
  static Model load(std::string_view framework, const std::filesystem::path& path,
                    const Params& params);

  // Splits the batched ones of `inputs` (matched by name; a single unnamed input goes to a
  // single-input model) into batches and returns the outputs for all samples in order. Which
  // inputs are batched is decided from the declared shapes (core/batch_plan.hpp): an input whose
  // first dimension is dynamic, or fixed at F but given with another number of rows, is split
  // (into batches of F for a fixed batch, the last padded and the padding dropped; else of
  // batch_size); a scalar or an input given exactly as declared goes whole to every call. Outputs
  // whose first dimension is the call's rows are concatenated; others are the first call's.
  // No batched input (or options.split false): one call with the tensors as given, outputs as
  // returned. When every input is batched, runs on the batching pipeline (core/pipeline): the
  // inputs are copied once into its sample pool, and the preparation and host-to-device copy of
  // the next batch overlap the current batch's compute (options.overlap); with whole inputs, the
  // calls run one after the other on host tensors.
  NamedTensors predict(const NamedTensors& inputs, const PredictOptions& options = {});
  const PredictSummary& last_predict() const { return last_predict_; }

  // One framework call on an already-assembled batch (inputs in signature order). For harnesses
  // that assemble batches themselves; no splitting, no padding.
  std::vector<Tensor> run_batch(std::span<const TensorView> inputs) {
    return backend_->run_batch(inputs);
  }

  // Batches the backend may hold at once (StreamingBackend); 1 for plain backends. With more,
  // harnesses may submit_batch() ahead and collect_batch() in order.
  std::size_t batches_in_flight() const;
  void submit_batch(std::span<const TensorView> inputs);
  std::vector<Tensor> collect_batch();

  const Signature& signature() const { return backend_->signature(); }
  const Params& requested() const { return requested_; }
  // The adapter's settings after load, with batch_size the one now in force (set_batch_size).
  Settings effective_settings() const;
  const BackendInfo& info() const { return info_; }
  const LoadResult& load_result() const { return load_result_; }
  const LoadTiming& load_timing() const { return load_timing_; }
  // The batch size in force: the one requested, or (Params::batch_size 0) the model's fixed batch,
  // else 1.
  int batch_size() const { return batch_size_; }
  // The device in force after load (-1 = CPU): the adapter's effective "device" where it reports
  // one as a number, else the requested one. Harnesses read this one, not Params::device.
  int device() const;
  // Changes the batch size without reloading (dynamic-batch models; a static-batch model accepts
  // only its own). Throws Error naming the value.
  void set_batch_size(int batch_size);

 private:
  Model() = default;
  std::vector<TensorView> ordered_inputs(const NamedTensors& inputs) const;
  NamedTensors predict_pipelined(std::span<const TensorView> ordered, std::int64_t samples,
                                 std::int64_t fixed_batch, const PredictOptions& options);
  NamedTensors predict_in_turn(std::span<const TensorView> ordered,
                               const std::vector<bool>& batched, std::int64_t samples,
                               std::int64_t fixed_batch, const PredictOptions& options);

  std::unique_ptr<Backend> backend_;
  BackendInfo info_;
  Params requested_;
  LoadResult load_result_;
  LoadTiming load_timing_;
  int batch_size_ = 1;
  PredictSummary last_predict_;
};

// Checks params against a backend's declared abilities; throws Error naming the field.
void validate_params(const Params& params, const BackendInfo& info);

}  // namespace infbench
