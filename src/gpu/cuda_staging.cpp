// DeviceStaging on the CUDA runtime (see staging.hpp for the design). One non-blocking copy stream,
// page-locked host buffers (cudaHostRegister on the pipeline's own buffers: no extra host copy),
// one device twin per buffer slot, and a pair of events that time each copy on the GPU's clock.
#include <cuda_runtime_api.h>

#include "infbench/error.hpp"
#include "staging.hpp"

namespace infbench {
namespace {

void check(cudaError_t rc, const std::string& what) {
  if (rc != cudaSuccess) {
    throw Error(ErrorKind::framework, what + ": " + cudaGetErrorString(rc));
  }
}

class CudaStaging final : public DeviceStaging {
 public:
  explicit CudaStaging(int device) : device_(device) {
    check(cudaSetDevice(device_), "input staging: cudaSetDevice(" + std::to_string(device) + ")");
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "input staging: stream");
    check(cudaEventCreate(&begin_), "input staging: event");
    check(cudaEventCreate(&end_), "input staging: event");
  }
  ~CudaStaging() override {
    // Errors are ignored here on purpose: nothing useful can be done about them in a destructor,
    // and the stream is idle (every upload waited for its copy).
    for (auto& slot : slots_) {
      for (auto& buffer : slot) {
        if (buffer.pinned) cudaHostUnregister(buffer.host->data());
        cudaFree(buffer.device);
      }
    }
    cudaEventDestroy(begin_);
    cudaEventDestroy(end_);
    cudaStreamDestroy(stream_);
  }
  CudaStaging(const CudaStaging&) = delete;
  CudaStaging& operator=(const CudaStaging&) = delete;

  int add_slot(std::vector<Tensor>& host) override {
    check(cudaSetDevice(device_), "input staging: cudaSetDevice");
    std::vector<Buffer> slot;
    for (auto& tensor : host) {
      Buffer buffer{&tensor};
      if (tensor.byte_size() > 0) {
        // Page-locking can be refused (RLIMIT_MEMLOCK, some containers): the copy then still
        // works from pageable memory, only slower and less overlapped.
        buffer.pinned = cudaHostRegister(tensor.data(), tensor.byte_size(),
                                         cudaHostRegisterDefault) == cudaSuccess;
        cudaGetLastError();  // clear a refused registration
        const auto rc = cudaMalloc(&buffer.device, tensor.byte_size());
        if (rc != cudaSuccess) {
          cudaGetLastError();
          if (buffer.pinned) cudaHostUnregister(tensor.data());
          throw Error(ErrorKind::framework, "out of GPU memory: input staging needs " +
                                                std::to_string(tensor.byte_size()) +
                                                " bytes on GPU " + std::to_string(device_) + " (" +
                                                cudaGetErrorString(rc) +
                                                "); use a smaller batch_size");
        }
      }
      slot.push_back(buffer);
    }
    slots_.push_back(std::move(slot));
    return static_cast<int>(slots_.size()) - 1;
  }

  StagedCopy upload(int slot, std::int64_t rows) override {
    check(cudaSetDevice(device_), "input staging: cudaSetDevice");  // per thread
    StagedCopy copy;
    copy.start = std::chrono::steady_clock::now();
    check(cudaEventRecord(begin_, stream_), "input staging: event record");
    for (const auto& buffer : slots_.at(static_cast<std::size_t>(slot))) {
      const TensorView whole = buffer.host->view();
      TensorView view = whole.slice_batch(0, rows);
      check(cudaMemcpyAsync(buffer.device, view.data, view.byte_size(), cudaMemcpyHostToDevice,
                            stream_),
            "input staging: host-to-device copy");
      view.data = static_cast<const std::byte*>(buffer.device);
      view.device = device_;
      copy.device_views.push_back(std::move(view));
    }
    check(cudaEventRecord(end_, stream_), "input staging: event record");
    check(cudaEventSynchronize(end_), "input staging: host-to-device copy");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, begin_, end_), "input staging: event timing");
    copy.seconds = ms * 1e-3;
    return copy;
  }

 private:
  struct Buffer {
    Tensor* host = nullptr;
    void* device = nullptr;
    bool pinned = false;
  };
  int device_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t begin_ = nullptr, end_ = nullptr;
  std::vector<std::vector<Buffer>> slots_;
};

}  // namespace

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

std::unique_ptr<DeviceStaging> make_device_staging(int device, std::string& why) {
  const int count = cuda_device_count();
  if (device < 0 || device >= count) {
    why = "input staging: no CUDA GPU " + std::to_string(device) + " (the CUDA runtime sees " +
          std::to_string(count) + ")";
    return nullptr;
  }
  return std::make_unique<CudaStaging>(device);
}

}  // namespace infbench
