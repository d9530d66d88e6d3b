// DeviceStaging on the CUDA runtime: core's port (src/core/staging.hpp, with the design) has
// this implementation and gpu/no_staging.cpp; CMake picks one. One non-blocking copy stream,
// the page-locked sample pool (cudaHostRegister: no extra host copy), device buffers per pipeline
// slot, and a pair of events that time each copy on the GPU's clock.
#include <cuda_runtime_api.h>

#include "core/staging.hpp"
#include "infbench/error.hpp"

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
    for (const auto* pinned : pinned_) cudaHostUnregister(const_cast<std::byte*>(pinned));
    for (auto& slot : slots_) {
      for (auto& buffer : slot) cudaFree(buffer.device);
    }
    cudaEventDestroy(begin_);
    cudaEventDestroy(end_);
    cudaStreamDestroy(stream_);
  }
  CudaStaging(const CudaStaging&) = delete;
  CudaStaging& operator=(const CudaStaging&) = delete;

  void set_source(const std::vector<Tensor>& pool) override {
    check(cudaSetDevice(device_), "input staging: cudaSetDevice");
    source_ = &pool;
    for (const auto& tensor : pool) {
      if (tensor.byte_size() == 0) continue;
      // Page-locking can be refused (RLIMIT_MEMLOCK, some containers): the copies then still
      // work from pageable memory, only slower and synchronous with the host.
      auto* data = const_cast<std::byte*>(tensor.data());  // registration does not write
      if (cudaHostRegister(data, tensor.byte_size(), cudaHostRegisterDefault) == cudaSuccess) {
        pinned_.push_back(data);
      } else {
        cudaGetLastError();  // clear the refusal
      }
    }
  }

  int add_slot(const std::vector<Tensor>& batch) override {
    check(cudaSetDevice(device_), "input staging: cudaSetDevice");
    std::vector<Buffer> slot;
    for (const auto& tensor : batch) {
      Buffer buffer{tensor.view()};
      if (tensor.byte_size() > 0) {
        const auto rc = cudaMalloc(&buffer.device, tensor.byte_size());
        if (rc != cudaSuccess) {
          cudaGetLastError();
          for (auto& b : slot) cudaFree(b.device);
          throw Error(ErrorKind::framework, "out of GPU memory: input staging needs " +
                                                std::to_string(tensor.byte_size()) +
                                                " bytes on GPU " + std::to_string(device_) + " (" +
                                                cudaGetErrorString(rc) +
                                                "); use a smaller batch_size");
        }
        // Padding rows are never written: zero them once so frameworks never see garbage.
        check(cudaMemset(buffer.device, 0, tensor.byte_size()), "input staging: cudaMemset");
      }
      slot.push_back(buffer);
    }
    slots_.push_back(std::move(slot));
    return static_cast<int>(slots_.size()) - 1;
  }

  StagedCopy upload(int slot, const std::vector<std::int64_t>& indices,
                    std::int64_t rows) override {
    check(cudaSetDevice(device_), "input staging: cudaSetDevice");  // per thread
    StagedCopy copy;
    copy.start = std::chrono::steady_clock::now();
    check(cudaEventRecord(begin_, stream_), "input staging: event record");
    const auto& buffers = slots_.at(static_cast<std::size_t>(slot));
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      const Tensor& pool = source_->at(i);
      const std::size_t row = pool.sample_bytes();
      auto* to = static_cast<std::byte*>(buffers[i].device);
      // One copy per run of consecutive pool rows (the copy engine does the gathering).
      for (std::size_t k = 0; k < indices.size();) {
        std::size_t run = 1;
        while (k + run < indices.size() &&
               indices[k + run] == indices[k] + static_cast<std::int64_t>(run)) {
          ++run;
        }
        check(
            cudaMemcpyAsync(to + k * row, pool.data() + static_cast<std::size_t>(indices[k]) * row,
                            run * row, cudaMemcpyHostToDevice, stream_),
            "input staging: host-to-device copy");
        k += run;
      }
      TensorView view = buffers[i].shape.slice_batch(0, rows);
      view.data = static_cast<const std::byte*>(buffers[i].device);
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
    TensorView shape;  // dtype and shape of the slot (its data pointer is the host batch's)
    void* device = nullptr;
  };
  int device_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t begin_ = nullptr, end_ = nullptr;
  const std::vector<Tensor>* source_ = nullptr;
  std::vector<const std::byte*> pinned_;
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
