#include <ATen/Parallel.h>
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/script.h>

#include <chrono>

#include "hand_loops.hpp"

namespace infbench::bench {

HandLoopResult hand_loop_libtorch(const std::filesystem::path& model, int batch, int threads,
                                  double seconds) {
  at::set_num_threads(threads);
  torch::jit::setTensorExprFuserEnabled(false);
  auto module = torch::jit::load(model.string());
  module.eval();
  module = torch::jit::freeze(module);
  c10::InferenceMode guard;
  const std::vector<c10::IValue> input{torch::full({batch, 3, 224, 224}, 0.5F)};
  for (int i = 0; i < 2; ++i) module.forward(input);
  const auto start = std::chrono::steady_clock::now();
  HandLoopResult result;
  double elapsed = 0;
  while (elapsed < seconds) {
    const auto out = module.forward(input).toTensor();
    ++result.batches;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  result.samples_per_s = static_cast<double>(result.batches * batch) / elapsed;
  return result;
}

}  // namespace infbench::bench
