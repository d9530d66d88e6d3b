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

  // Splits `inputs` (matched by name; a single unnamed input goes to a single-input model) into
  // batches of batch_size, handles a partial last batch (padding for static-batch models) and
  // returns the outputs for all samples in order. Runs on the batching pipeline (core/pipeline):
  // the inputs are copied once into its sample pool, and the preparation and host-to-device copy
  // of the next batch overlap the current batch's compute (options.overlap).
  NamedTensors predict(const NamedTensors& inputs, const PredictOptions& options = {});

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

  std::unique_ptr<Backend> backend_;
  BackendInfo info_;
  Params requested_;
  LoadResult load_result_;
  LoadTiming load_timing_;
  int batch_size_ = 1;
};

// Checks params against a backend's declared abilities; throws Error naming the field.
void validate_params(const Params& params, const BackendInfo& info);

}  // namespace infbench
