#pragma once
// Input staging for GPU runs: the pipeline's batcher thread moves each assembled batch to the GPU
// while the framework computes the previous one, so that run_batch() receives inputs that are
// already resident on the device (TensorView::device >= 0).
//
// Why here and not inside each adapter: the Backend contract is synchronous (run_batch returns
// with outputs on the host), so an adapter alone cannot start batch N+1's copy before batch N's
// call returns. The batcher already prepares the next batch during the current call; staging
// makes that preparation include the host-to-device copy, on a copy stream of its own (the copy
// engine runs beside the compute engines), from page-locked host buffers (registered once, so the
// copy is a true DMA and needs no bounce buffer). The batcher waits for the copy's completion event
// on its own thread, so a batch is handed over only when its inputs are complete: no stream or
// event crosses the Backend interface, and a framework may use any stream it likes.
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
  // Page-locks `host` (kept alive and unmoved by the caller until this object is destroyed) and
  // allocates its device twin. Returns the slot number. Throws Error when device memory runs out.
  virtual int add_slot(std::vector<Tensor>& host) = 0;
  // Copies `rows` leading rows of the slot's host buffers to the device and waits for the copy.
  virtual StagedCopy upload(int slot, std::int64_t rows) = 0;
};

// nullptr with `why` set when staging cannot work here (no CUDA build, no GPU `device`).
std::unique_ptr<DeviceStaging> make_device_staging(int device, std::string& why);

// GPUs the CUDA runtime sees (0 without CUDA or without a GPU); for tests and info.
int cuda_device_count();

}  // namespace infbench
