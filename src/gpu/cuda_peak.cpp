// The GPU's peaks for the roofline, on the CUDA runtime (CUDA builds only; gpu/no_cuda_peak.cpp
// stands in otherwise). Compute: cublasGemmEx on 8192^3 matrices of random values (zeros would
// draw less power and flatter the clocks), fp32 accumulation, timed with CUDA events over a few
// hundred ms after a warm-up. cuBLAS is opened with dlopen (as NVML is): the soname that LibTorch
// already loaded in the process, else the toolkit's library CMake found, else
// $INFBENCH_CUBLAS_LIBRARY; prototypes and enum values follow cublas_api.h (stable ABI).
// Precisions: fp32 = CUBLAS_COMPUTE_32F (no TF32), tf32 = CUBLAS_COMPUTE_32F_FAST_TF32,
// fp16 / bf16 = half inputs and outputs with fp32 accumulation (what PyTorch's matmul asks for).
// Copy: cudaMemcpyAsync of a 256 MiB page-locked buffer to the device, best of 5.
#include <cuda_runtime_api.h>
#include <dlfcn.h>
#include <fmt/core.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "core/roofline.hpp"

namespace infbench {
namespace {

using Handle = void*;
constexpr int kOpN = 0;                                    // CUBLAS_OP_N
constexpr int kR32F = 0, kR16F = 2, kR16BF = 14;           // cudaDataType
constexpr int kCompute32F = 68, kCompute32FFastTf32 = 77;  // cublasComputeType_t
constexpr int kGemmDefault = -1;                           // CUBLAS_GEMM_DEFAULT
using Create = int (*)(Handle*);
using Destroy = int (*)(Handle);
using GemmEx = int (*)(Handle, int, int, int, int, int, const void*, const void*, int, int,
                       const void*, int, int, const void*, void*, int, int, int, int);

void* open_cublas(std::string& tried) {
  std::vector<std::string> names{"libcublas.so.13", "libcublas.so.12"};
#ifdef INFBENCH_CUBLAS_LIBRARY
  names.emplace_back(INFBENCH_CUBLAS_LIBRARY);
#endif
  if (const char* env = std::getenv("INFBENCH_CUBLAS_LIBRARY")) names.insert(names.begin(), env);
  names.emplace_back("libcublas.so");
  for (const auto& name : names) {
    if (void* lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) return lib;
    tried += (tried.empty() ? "" : ", ") + name;
  }
  return nullptr;
}

// Random values in [-1, 1) in the element type's bits (fp16 and bf16 built from their fields).
std::vector<std::uint8_t> random_matrix(std::size_t elements, int type) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1, 1);
  const std::size_t size = type == kR32F ? 4 : 2;
  std::vector<std::uint8_t> bytes(elements * size);
  for (std::size_t i = 0; i < elements; ++i) {
    const float x = u(rng);
    std::uint32_t bits = 0;
    std::memcpy(&bits, &x, 4);
    if (type == kR32F) {
      std::memcpy(&bytes[i * 4], &x, 4);
      continue;
    }
    std::uint16_t half = 0;
    if (type == kR16BF) {
      half = static_cast<std::uint16_t>(bits >> 16);
    } else {  // fp16: |x| < 1, flush below fp16's normal range to zero
      const int exponent = static_cast<int>((bits >> 23) & 0xFF) - 127 + 15;
      const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000);
      half = exponent <= 0
                 ? sign
                 : static_cast<std::uint16_t>(sign | (exponent << 10) | ((bits >> 13) & 0x3FF));
    }
    std::memcpy(&bytes[i * 2], &half, 2);
  }
  return bytes;
}

struct DeviceBuffers {
  std::vector<void*> pointers;
  ~DeviceBuffers() {
    for (void* p : pointers) cudaFree(p);
  }
};

std::string cuda_why(cudaError_t rc, const char* what) {
  cudaGetLastError();
  return fmt::format("not measured: {}: {}", what, cudaGetErrorString(rc));
}

}  // namespace

PeakMeasurement measure_gpu_gemm_tflops(int device, const std::string& precision) {
  int type = 0, compute = kCompute32F;
  if (precision == "fp32") {
    type = kR32F;
  } else if (precision == "tf32") {
    type = kR32F;
    compute = kCompute32FFastTf32;
  } else if (precision == "fp16") {
    type = kR16F;
  } else if (precision == "bf16") {
    type = kR16BF;
  } else {
    return {std::nullopt, "not measured: no GEMM probe for precision " + precision};
  }
  std::string tried;
  void* lib = open_cublas(tried);
  if (lib == nullptr) {
    return {std::nullopt, "not measured: cuBLAS not found (tried " + tried +
                              "; set INFBENCH_CUBLAS_LIBRARY=<path to libcublas.so>)"};
  }
  auto create = reinterpret_cast<Create>(dlsym(lib, "cublasCreate_v2"));
  auto destroy = reinterpret_cast<Destroy>(dlsym(lib, "cublasDestroy_v2"));
  auto gemm = reinterpret_cast<GemmEx>(dlsym(lib, "cublasGemmEx"));
  if (create == nullptr || destroy == nullptr || gemm == nullptr) {
    return {std::nullopt, "not measured: the cuBLAS found lacks cublasCreate_v2/cublasGemmEx"};
  }
  if (const auto rc = cudaSetDevice(device); rc != cudaSuccess)
    return {std::nullopt, cuda_why(rc, "cudaSetDevice")};
  constexpr int n = 8192;
  const std::size_t elements = static_cast<std::size_t>(n) * n;
  const std::size_t bytes = elements * (type == kR32F ? 4 : 2);
  DeviceBuffers buffers;
  for (int i = 0; i < 3; ++i) {
    void* p = nullptr;
    if (const auto rc = cudaMalloc(&p, bytes); rc != cudaSuccess)
      return {std::nullopt, cuda_why(rc, "cudaMalloc for the GEMM probe")};
    buffers.pointers.push_back(p);
  }
  const auto host = random_matrix(elements, type);
  for (int i = 0; i < 2; ++i) {
    if (const auto rc = cudaMemcpy(buffers.pointers[static_cast<std::size_t>(i)], host.data(),
                                   bytes, cudaMemcpyHostToDevice);
        rc != cudaSuccess)
      return {std::nullopt, cuda_why(rc, "cudaMemcpy for the GEMM probe")};
  }
  Handle handle = nullptr;
  if (create(&handle) != 0) return {std::nullopt, "not measured: cublasCreate failed"};
  const float alpha = 1, beta = 0;
  auto product = [&] {
    return gemm(handle, kOpN, kOpN, n, n, n, &alpha, buffers.pointers[0], type, n,
                buffers.pointers[1], type, n, &beta, buffers.pointers[2], type, n, compute,
                kGemmDefault);
  };
  cudaEvent_t begin = nullptr, end = nullptr;
  cudaEventCreate(&begin);
  cudaEventCreate(&end);
  PeakMeasurement result;
  int status = product() | product();  // warm-up: heuristics, clocks up
  cudaDeviceSynchronize();
  // Products in growing batches until one batch lasts >= 300 ms.
  float ms = 0;
  int products = 4;
  while (status == 0) {
    cudaEventRecord(begin, nullptr);
    for (int i = 0; i < products && status == 0; ++i) status = product();
    cudaEventRecord(end, nullptr);
    cudaEventSynchronize(end);
    cudaEventElapsedTime(&ms, begin, end);
    if (ms >= 300 || products >= 4096) break;
    products *= 2;
  }
  if (status != 0) {
    result.how = fmt::format("not measured: cublasGemmEx returned {} for {}", status, precision);
  } else {
    result.value = 2.0 * n * n * static_cast<double>(n) * products / (ms * 1e-3) * 1e-12;
    result.how =
        fmt::format("cuBLAS GemmEx {} {}^3, {} products in {:.0f} ms", precision, n, products, ms);
  }
  cudaEventDestroy(begin);
  cudaEventDestroy(end);
  destroy(handle);
  return result;
}

PeakMeasurement measure_h2d_bytes_per_s(int device) {
  if (const auto rc = cudaSetDevice(device); rc != cudaSuccess)
    return {std::nullopt, cuda_why(rc, "cudaSetDevice")};
  constexpr std::size_t bytes = std::size_t{256} << 20;
  void* host = nullptr;
  if (const auto rc = cudaMallocHost(&host, bytes); rc != cudaSuccess)
    return {std::nullopt, cuda_why(rc, "cudaMallocHost (page-locked 256 MiB)")};
  std::memset(host, 1, bytes);
  DeviceBuffers target;
  void* dev = nullptr;
  if (const auto rc = cudaMalloc(&dev, bytes); rc != cudaSuccess) {
    cudaFreeHost(host);
    return {std::nullopt, cuda_why(rc, "cudaMalloc for the copy probe")};
  }
  target.pointers.push_back(dev);
  cudaStream_t stream = nullptr;
  cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  cudaEvent_t begin = nullptr, end = nullptr;
  cudaEventCreate(&begin);
  cudaEventCreate(&end);
  float best_ms = 0;
  cudaError_t rc = cudaSuccess;
  for (int i = 0; i < 6 && rc == cudaSuccess; ++i) {  // the first is a warm-up
    cudaEventRecord(begin, stream);
    rc = cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, stream);
    cudaEventRecord(end, stream);
    cudaEventSynchronize(end);
    float ms = 0;
    cudaEventElapsedTime(&ms, begin, end);
    if (i > 0 && (best_ms == 0 || ms < best_ms)) best_ms = ms;
  }
  cudaEventDestroy(begin);
  cudaEventDestroy(end);
  cudaStreamDestroy(stream);
  cudaFreeHost(host);
  if (rc != cudaSuccess || best_ms <= 0) {
    return {std::nullopt, rc != cudaSuccess ? cuda_why(rc, "cudaMemcpyAsync")
                                            : std::string("not measured: copy time not readable")};
  }
  const double per_s = static_cast<double>(bytes) / (best_ms * 1e-3);
  return {per_s,
          fmt::format("pinned cudaMemcpyAsync 256 MiB, best of 5: {:.1f} GB/s", per_s * 1e-9)};
}

}  // namespace infbench
