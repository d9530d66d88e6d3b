#pragma once
// The adapter interface every framework implements. Kept small on purpose: what a framework can
// optionally do is data in BackendInfo, not extra virtual functions.
//
// Contract:
//  * The harness (infbench::Model) validates Params against info() before load(), splits inputs
//    into batches and pads/strips partial batches. Adapters never see a request they did not
//    declare support for, and never time themselves: they only name phases through PhaseMarker.
//  * One thread at a time calls load() and run_batch() on one Backend object.
//  * run_batch() returns when the outputs are ready in host memory; the caller owns them.
//  * Failures are thrown as infbench::Error (framework exceptions are translated in the adapter).
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "infbench/params.hpp"
#include "infbench/tensor.hpp"

namespace infbench {

struct TensorSpec {
  std::string name;
  DType dtype = DType::float32;
  Shape shape;              // -1 = dynamic dimension
  bool shape_known = true;  // false where the format records no dtype/shape (TorchScript)
};

struct Signature {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  // Fixed batch size the model was exported with, or 0 when the batch dimension is dynamic.
  std::int64_t static_batch() const;
};

struct BackendInfo {
  std::string name;               // registry name, e.g. "onnxruntime"
  std::string framework_version;  // version of the library actually loaded
  std::string model_format;       // e.g. ".onnx", ".ts (TorchScript)"
  // The model zoo's file kinds this adapter reads (manifest.json "files" keys), in order of
  // preference; "{precision}" and "{batch}" stand for the point's. Plans, tests and the bench find
  // a framework's file through this list. Empty: the adapter reads no zoo file (fake, ensemble).
  std::vector<std::string> zoo_files;
  std::vector<int> gpus;  // GPU ordinals this build can use on this machine
  std::vector<std::string> precisions;
  std::vector<std::string> optimization_levels;  // first one is the default
  bool cache = false;                            // supports an optimised-model cache in cache_dir
  bool needs_model_file = true;                  // false only for the fake backend
  bool model_is_directory = false;               // the model is a folder (SavedModel), not a file
  // run_batch() also accepts inputs already in GPU memory (TensorView::device == params.device),
  // as the GPU pipeline stages them; the adapter then must not read them from the host.
  bool device_inputs = false;
  // The framework's device-memory allocator, where it exposes one: peaks (bytes) of memory it
  // holds from the driver (reserved) and of memory in live tensors (allocated) on GPU `device`
  // since the last call with reset_peaks. Empty function: not exposed. Data, not a virtual, so
  // that frameworks without an allocator of their own have nothing to implement.
  struct AllocatorPeaks {
    double reserved_bytes = 0;
    double allocated_bytes = 0;
  };
  std::function<AllocatorPeaks(int device, bool reset_peaks)> allocator_peaks;
  std::vector<OptionSpec> options;
  std::string notes;  // what a user should know on this machine
};

enum class CacheStatus { not_used, miss, hit };
std::string_view to_string(CacheStatus status);

// Adapters call mark() when they move from one load phase to the next ("read", "optimize", ...);
// the harness owns the clock and turns the marks into durations.
class PhaseMarker {
 public:
  virtual ~PhaseMarker() = default;
  virtual void mark(std::string_view phase) = 0;
};

struct LoadResult {
  CacheStatus cache = CacheStatus::not_used;
  std::filesystem::path cache_file;  // the cached optimised model, when a cache is used
  // Optimisation done before load by the framework's own compiler (AOTInductor packages), as
  // that compiler recorded it. Reported in load_optimize_s; not part of the load time measured.
  std::optional<double> ahead_of_time_optimize_s;
  // The loaded model sets itself up for each new input shape on first use (LibTorch cuda_graph:
  // a graph capture per batch row count). Server runs then pad partial batches to powers of two
  // (RunConfig::pad_batches_pow2), so the batcher's row counts meet log2(batch) + 1 shapes, all
  // set up before the warm-up, instead of a capture inside the measured latencies for each.
  bool per_shape_setup = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendInfo info() const = 0;
  virtual LoadResult load(const std::filesystem::path& model, const Params& params,
                          PhaseMarker& phases) = 0;
  virtual const Signature& signature() const = 0;   // valid after load()
  virtual Settings effective_settings() const = 0;  // valid after load()
  // `inputs` are in signature order and share one batch size: 1..batch_size, or exactly the
  // static batch of a fixed-batch model. Returns outputs in signature order.
  virtual std::vector<Tensor> run_batch(std::span<const TensorView> inputs) = 0;
};

// An optional ability: several batches in flight. A backend that also derives from this interface
// and answers max_batches_in_flight() > 1 after load() gets the next batches through submit_batch()
// before it must give the oldest one's outputs back through collect_batch(), so that it can work
// on several at once (ensembles in pipelined mode, where each member runs at its own pace). Inputs
// passed to submit_batch() stay valid until the matching collect_batch() returns; the pipeline
// always collects every batch it submitted, also after an error.
class StreamingBackend {
 public:
  virtual ~StreamingBackend() = default;
  virtual std::size_t max_batches_in_flight() const = 0;
  virtual void submit_batch(std::span<const TensorView> inputs) = 0;
  virtual std::vector<Tensor> collect_batch() = 0;  // the oldest submitted batch's outputs
};

}  // namespace infbench
