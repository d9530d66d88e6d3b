#pragma once
// Input staging for GPU runs: the pipeline's batcher thread moves each assembled batch to the GPU
// while the framework computes the previous one, so that run_batch() receives inputs that are
// already resident on the device (TensorView::device >= 0).
//
// Why here and not inside each adapter: the Backend contract is synchronous (run_batch returns
// with outputs on the host), so an adapter alone cannot start batch N+1's copy before batch N's
// call returns. The batcher already prepares the next batch during the current call; staging
// makes that preparation the host-to-device copy itself, on a copy stream of its own (the copy
// engine runs beside the compute engines). The sample pool is page-locked once, so the copy engine
// gathers the batch's rows straight from it by DMA: no host-side gather, which at batch 64 of
// 224x224 images (38 MB) took longer on one CPU core than AOTInductor's whole fp16 forward pass.
// The batcher waits for the copy's completion event on its own thread, so a batch is handed over
// only when its inputs are complete: no stream or event crosses the Backend interface, and a
// framework may use any stream it likes.
//
// Built with the CUDA runtime only (gpu/cuda_staging.cpp); gpu/no_staging.cpp stands in otherwise.
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "infbench/tensor.hpp"

namespace infbench {

struct StagedCopy {
  std::vector<TensorView> device_views;  // the rows copied, in device memory
  std::chrono::steady_clock::time_point start;
  double seconds = 0;  // measured between CUDA events on the copy stream
};

class DeviceStaging {
 public:
  virtual ~DeviceStaging() = default;
  // Page-locks the sample pool (one tensor per model input, samples on the leading axis), which
  // the caller keeps alive and unmoved until this object is destroyed.
  virtual void set_source(const std::vector<Tensor>& pool) = 0;
  // Allocates device buffers shaped like `batch` (one tensor per input). Returns the slot number.
  // Throws Error (out of GPU memory) when they do not fit.
  virtual int add_slot(const std::vector<Tensor>& batch) = 0;
  // Copies pool rows `indices` into the slot's leading rows and waits for the copy. Views cover
  // `rows` >= indices.size() rows; rows past the indices are padding (contents unspecified).
  virtual StagedCopy upload(int slot, const std::vector<std::int64_t>& indices,
                            std::int64_t rows) = 0;
};

// nullptr with `why` set when staging cannot work here (no CUDA build, no GPU `device`).
std::unique_ptr<DeviceStaging> make_device_staging(int device, std::string& why);

// GPUs the CUDA runtime sees (0 without CUDA or without a GPU); for tests and info.
int cuda_device_count();

}  // namespace infbench
