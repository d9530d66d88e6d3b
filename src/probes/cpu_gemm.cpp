// The CPU's peak for the roofline: a single-precision matrix product through OpenBLAS (Debian's
// libopenblas0-pthread, which scripts/setup.sh installs), opened with dlopen so that a machine
// without it still builds and runs ("not measured"). The thread count is the point's; OpenBLAS's
// own count is restored afterwards (LibTorch may share the library).
#include <dlfcn.h>
#include <fmt/core.h>

#include <chrono>
#include <random>
#include <vector>

#include "core/roofline.hpp"

namespace infbench {
namespace {

// cblas.h's values (stable ABI): CblasRowMajor, CblasNoTrans.
constexpr int kRowMajor = 101, kNoTrans = 111;
using Sgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int,
                       float, float*, int);
using SetThreads = void (*)(int);
using GetThreads = int (*)();

}  // namespace

PeakMeasurement measure_cpu_sgemm_tflops(int threads) {
  void* lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    return {std::nullopt,
            "not measured: libopenblas.so.0 not found (Debian libopenblas0-pthread; "
            "scripts/setup.sh installs it)"};
  }
  auto sgemm = reinterpret_cast<Sgemm>(dlsym(lib, "cblas_sgemm"));
  auto set_threads = reinterpret_cast<SetThreads>(dlsym(lib, "openblas_set_num_threads"));
  auto get_threads = reinterpret_cast<GetThreads>(dlsym(lib, "openblas_get_num_threads"));
  if (sgemm == nullptr || set_threads == nullptr || get_threads == nullptr) {
    return {std::nullopt, "not measured: libopenblas.so.0 lacks cblas_sgemm or its thread calls"};
  }
  // 2048^3: 17 GFLOP a product, large enough that OpenBLAS runs at its blocked kernels' rate.
  constexpr int n = 2048;
  std::vector<float> a(static_cast<std::size_t>(n) * n), b(a.size()), c(a.size());
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto& x : a) x = u(rng);
  for (auto& x : b) x = u(rng);
  const int previous = get_threads();
  set_threads(threads);
  auto product = [&] {
    sgemm(kRowMajor, kNoTrans, kNoTrans, n, n, n, 1.0F, a.data(), n, b.data(), n, 0.0F, c.data(),
          n);
  };
  product();  // warm-up: thread pool start, page faults
  using Clock = std::chrono::steady_clock;
  int products = 0;
  const auto start = Clock::now();
  double seconds = 0;
  while (products < 2 || seconds < 0.3) {  // a few hundred ms
    product();
    ++products;
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  set_threads(previous);
  const double tflops = 2.0 * n * n * static_cast<double>(n) * products / seconds * 1e-12;
  return {tflops, fmt::format("OpenBLAS sgemm {}^3, {} threads, {} products in {:.2f} s", n,
                              threads, products, seconds)};
}

}  // namespace infbench
