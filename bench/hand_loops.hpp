#pragma once
// Minimal hand-written inference loops, one per framework, written the way a user of that
// framework would: same model file, same batch and threads, one input tensor reused, no harness.
// They are the baseline that infbench's harness overhead is measured against.
#include <filesystem>
#include <string>

namespace infbench::bench {

struct HandLoopResult {
  double samples_per_s = 0;
  long long batches = 0;
};

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

}  // namespace infbench::bench
