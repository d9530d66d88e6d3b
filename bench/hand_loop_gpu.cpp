// GPU hand loops, written as a LibTorch user would: a float32 batch in page-locked host memory,
// copied to GPU 0 each call, the model run, its output copied back to the host (which waits for
// the GPU). Settings match the adapters' defaults, so the ratio measures the harness alone.
#include <ATen/Context.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/csrc/inductor/aoti_package/model_package_loader.h>
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/script.h>

#include "hand_loops.hpp"

namespace infbench::bench {
namespace {

at::Tensor pinned_batch(int batch) {
  auto values = normal_values(static_cast<std::size_t>(batch) * 3 * 224 * 224);
  return torch::from_blob(values.data(), {batch, 3, 224, 224}).clone().pin_memory();
}

}  // namespace

// fp32 with TF32, cuDNN benchmark on, NNC fuser off, frozen: the libtorch adapter's defaults.
HandLoopResult hand_loop_libtorch_cuda(const std::filesystem::path& model, int batch, int,
                                       double seconds) {
  const torch::Device gpu(torch::kCUDA, 0);
  at::globalContext().setAllowTF32CuBLAS(true);
  at::globalContext().setAllowTF32CuDNN(true);
  at::globalContext().setBenchmarkCuDNN(true);
  torch::jit::setTensorExprFuserEnabled(false);
  auto module = torch::jit::load(model.string(), gpu);
  module.eval();
  module = torch::jit::freeze(module);
  c10::InferenceMode guard;
  const auto host = pinned_batch(batch);
  return time_batches(batch, seconds, [&] {
    const std::vector<c10::IValue> input{host.to(gpu, /*non_blocking=*/true)};
    const auto out = module.forward(input).toTensor().cpu();
  });
}

// A package compiled for fp16 and this batch size (tools/aoti_zoo.py): the input is cast on the
// GPU, the output cast back to float32 before its copy, as the aotinductor adapter does.
HandLoopResult hand_loop_aotinductor(const std::filesystem::path& model, int batch, int,
                                     double seconds) {
  const torch::Device gpu(torch::kCUDA, 0);
  torch::inductor::AOTIModelPackageLoader loader(model.string());
  c10::InferenceMode guard;
  const auto host = pinned_batch(batch);
  return time_batches(batch, seconds, [&] {
    std::vector<at::Tensor> args{host.to(gpu, /*non_blocking=*/true).to(at::kHalf)};
    const auto out = loader.run(args).front().to(at::kFloat).cpu();
  });
}

}  // namespace infbench::bench
