// The GPU half of the LibTorch adapters where the LibTorch found was built with CUDA.
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>

#include "torch_gpu.hpp"

namespace infbench::torch_gpu {
namespace {

c10::DeviceIndex index_of(int device) { return static_cast<c10::DeviceIndex>(device); }

BackendInfo::AllocatorPeaks caching_allocator_peaks(int device, bool reset) {
  BackendInfo::AllocatorPeaks peaks;
  if (reset) {
    c10::cuda::CUDACachingAllocator::resetPeakStats(index_of(device));
    return peaks;
  }
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index_of(device));
  // Index 0 is StatType::AGGREGATE (all pools) in every LibTorch version.
  peaks.reserved_bytes = static_cast<double>(stats.reserved_bytes[0].peak);
  peaks.allocated_bytes = static_cast<double>(stats.allocated_bytes[0].peak);
  return peaks;
}

}  // namespace

bool built() { return true; }

std::vector<int> visible_gpus() {
  std::vector<int> gpus;
  for (int i = 0; i < static_cast<int>(torch::cuda::device_count()); ++i) gpus.push_back(i);
  return gpus;
}

BackendInfo::AllocatorPeaks (*allocator_peaks())(int, bool) { return &caching_allocator_peaks; }

void set_process_switches(bool tf32, bool cudnn_benchmark) {
  at::globalContext().setAllowTF32CuBLAS(tf32);
  at::globalContext().setAllowTF32CuDNN(tf32);
  at::globalContext().setBenchmarkCuDNN(cudnn_benchmark);
}

std::string device_name(int device) {
  return at::cuda::getDeviceProperties(index_of(device))->name;
}

struct ModelStream::Stream {
  c10::cuda::CUDAStream stream;
};
struct ModelStream::Scope::Guards {
  Guards(int device, const c10::cuda::CUDAStream& on)
      : device_guard(index_of(device)), stream_guard(on) {}
  c10::cuda::CUDAGuard device_guard;
  c10::cuda::CUDAStreamGuard stream_guard;
};

ModelStream::ModelStream(int device) : device_(device) {
  if (device_ >= 0) {
    c10::cuda::CUDAGuard on_device(index_of(device_));
    stream_ =
        std::make_unique<Stream>(Stream{c10::cuda::getStreamFromPool(false, index_of(device_))});
  }
}
ModelStream::~ModelStream() = default;
ModelStream::Scope::Scope(std::unique_ptr<Guards> guards) : guards_(std::move(guards)) {}
ModelStream::Scope::Scope(Scope&&) noexcept = default;
ModelStream::Scope::~Scope() = default;

ModelStream::Scope ModelStream::enter() const {
  if (!stream_) return Scope(nullptr);
  return Scope(std::make_unique<Scope::Guards>(device_, stream_->stream));
}

struct GraphCache::Graphs {
  struct Graph {
    at::cuda::CUDAGraph graph;
    std::vector<at::Tensor> inputs;  // static: the graph reads its inputs from here
    c10::IValue output;              // static: each replay overwrites it
  };
  std::map<std::int64_t, std::unique_ptr<Graph>> by_rows;
};

GraphCache::GraphCache(int device) : device_(device), graphs_(std::make_unique<Graphs>()) {}

void GraphCache::release_smaller(std::int64_t rows) {
  auto& by_rows = graphs_->by_rows;
  const auto end = by_rows.lower_bound(rows);
  const bool any =
      std::any_of(by_rows.begin(), end, [](const auto& g) { return g.second != nullptr; });
  if (!any || std::prev(by_rows.end())->first != rows) return;  // rows is not a new largest size
  c10::cuda::getCurrentCUDAStream(index_of(device_)).synchronize();
  for (auto it = by_rows.begin(); it != end; ++it) it->second.reset();
  c10::cuda::CUDACachingAllocator::emptyCache();
}
GraphCache::~GraphCache() = default;

// Capture needs a side stream, and warm-up calls first: TorchScript's profiling executor
// specialises the graph during its first calls and cuDNN autotunes per shape; neither may happen
// inside the capture. Thread-local capture mode, because the pipeline's batcher thread issues its
// own copies while this thread captures.
c10::IValue GraphCache::replay(torch::jit::Module& module, const std::vector<at::Tensor>& args) {
  const std::int64_t rows = args.empty() ? 0 : args.front().size(0);
  auto& graph = graphs_->by_rows[rows];
  if (!graph) {
    // Batch sizes grow from point to point of a sweep's load group: the graphs of smaller batches
    // are dropped and their private memory pools returned to the device, so that each point's GPU
    // memory is its own batch size's graph (a partial last batch adds one smaller graph).
    release_smaller(rows);
    graph = std::make_unique<Graphs::Graph>();
    for (const auto& a : args) graph->inputs.push_back(a.clone());
    const std::vector<c10::IValue> inputs(graph->inputs.begin(), graph->inputs.end());
    auto side = c10::cuda::getStreamFromPool(false, index_of(device_));
    c10::cuda::getCurrentCUDAStream(index_of(device_)).synchronize();
    {
      c10::cuda::CUDAStreamGuard on_side(side);
      for (int i = 0; i < 3; ++i) module.forward(inputs);
      side.synchronize();
      graph->graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
      graph->output = module.forward(inputs);
      graph->graph.capture_end();
    }
    side.synchronize();
  }
  for (std::size_t i = 0; i < args.size(); ++i) graph->inputs[i].copy_(args[i]);
  graph->graph.replay();
  return graph->output;
}

}  // namespace infbench::torch_gpu
