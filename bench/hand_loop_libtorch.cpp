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
  auto values = normal_values(static_cast<std::size_t>(batch) * 3 * 224 * 224);
  const std::vector<c10::IValue> input{
      torch::from_blob(values.data(), {batch, 3, 224, 224}).clone()};
  return time_batches(batch, seconds, [&] { const auto out = module.forward(input).toTensor(); });
}

}  // namespace infbench::bench
