#pragma once
// Minimal hand-written inference loops, one per framework, written the way a user of that
// framework would: same model file, same batch and threads, one input tensor reused, no harness.
// They are the baseline that infbench's harness overhead is measured against.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace infbench::bench {

struct HandLoopResult {
  double samples_per_s = 0;
  long long batches = 0;
};

// Calls `step` (one batch) twice to warm up, then for at least `seconds`; completed samples over
// wall time. A template, so the baseline pays no indirect call per batch.
template <class Step>
HandLoopResult time_batches(int batch, double seconds, Step step) {
  for (int i = 0; i < 2; ++i) step();
  const auto start = std::chrono::steady_clock::now();
  HandLoopResult result;
  double elapsed = 0;
  while (elapsed < seconds) {
    step();
    ++result.batches;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  result.samples_per_s = static_cast<double>(result.batches * batch) / elapsed;
  return result;
}

// The values of a hand loop's input batch: normal(0, 1), as infbench's random sample pool
// (src/core/sample_pool.cpp). A constant batch is not the same work: LibTorch on the CPU ran
// ResNet-18 ~8 % faster on a batch of 0.5s than on normal values (measured on the dev VM), which
// made infbench look slower than a hand loop doing different work.
inline std::vector<float> normal_values(std::size_t count) {
  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::vector<float> values(count);
  for (auto& v : values) v = normal(rng);
  return values;
}

// Runs for at least `seconds` after `warmup` calls; returns completed samples over wall time.
HandLoopResult hand_loop_onnxruntime(const std::filesystem::path& model, int batch, int threads,
                                     double seconds);
HandLoopResult hand_loop_libtorch(const std::filesystem::path& model, int batch, int threads,
                                  double seconds);
HandLoopResult hand_loop_opencv(const std::filesystem::path& model, int batch, int threads,
                                double seconds);

// The fake backend (per_sample_us per sample, `features` float32 values per sample).
HandLoopResult hand_loop_fake(int batch, int per_sample_us, int features, double seconds);

// On GPU 0 (built where LibTorch has CUDA; bench/hand_loop_gpu.cpp).
HandLoopResult hand_loop_libtorch_cuda(const std::filesystem::path& model, int batch, int threads,
                                       double seconds);
HandLoopResult hand_loop_aotinductor(const std::filesystem::path& model, int batch, int threads,
                                     double seconds);

// XLA through PJRT (bench/hand_loop_xla.cpp): `model` a zoo StableHLO file; device -1 = the CPU.
HandLoopResult hand_loop_xla(const std::filesystem::path& model, int batch, int device,
                             double seconds);

}  // namespace infbench::bench
