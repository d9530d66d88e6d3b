#pragma once
// The CUDA half of the two LibTorch adapters (libtorch, aotinductor), behind one interface:
// torch_cuda.cpp where the LibTorch found was built with CUDA, torch_no_cuda.cpp elsewhere
// (cmake/InfbenchTorchGpu.cmake picks one, as src/ picks gpu/cuda_staging.cpp or
// gpu/no_staging.cpp), so that the adapters themselves have no #ifdef. Included by those two
// adapters alone.
#include <torch/script.h>

#include <memory>
#include <string>
#include <vector>

#include "infbench/backend.hpp"

namespace infbench::torch_gpu {

// True when this build's LibTorch has CUDA (the GPU half below does something).
bool built();

// The GPUs LibTorch sees, and the c10 caching allocator's peaks (null without CUDA): the
// allocator serves both TorchScript and AOTInductor models.
std::vector<int> visible_gpus();
BackendInfo::AllocatorPeaks (*allocator_peaks())(int device, bool reset);

// Process-wide cuBLAS/cuDNN switches (TF32 tensor cores, cuDNN autotuning), and the GPU's name.
void set_process_switches(bool tf32, bool cudnn_benchmark);
std::string device_name(int device);

// A model's own CUDA stream on its device: co-located models (ensemble members on their own
// threads) overlap on the GPU instead of serialising on the default stream. While an enter()
// scope lives, the device and the stream are current on this thread. device < 0: does nothing.
class ModelStream {
 public:
  explicit ModelStream(int device);
  ~ModelStream();
  ModelStream(const ModelStream&) = delete;
  ModelStream& operator=(const ModelStream&) = delete;

  class Scope {
   public:
    struct Guards;
    explicit Scope(std::unique_ptr<Guards> guards);
    Scope(Scope&&) noexcept;
    ~Scope();

   private:
    std::unique_ptr<Guards> guards_;
  };
  [[nodiscard]] Scope enter() const;

 private:
  struct Stream;
  int device_;
  std::unique_ptr<Stream> stream_;
};

// One CUDA graph per batch row count, captured on first use and then replayed: removes the
// per-kernel launch cost that dominates small batches.
class GraphCache {
 public:
  explicit GraphCache(int device);
  ~GraphCache();
  GraphCache(const GraphCache&) = delete;
  GraphCache& operator=(const GraphCache&) = delete;
  c10::IValue replay(torch::jit::Module& module, const std::vector<at::Tensor>& args);

 private:
  void release_smaller(std::int64_t rows);
  struct Graphs;
  int device_;
  std::unique_ptr<Graphs> graphs_;
};

}  // namespace infbench::torch_gpu
