// The TorchScript graph rewrite of the libtorch adapter (src/backends/torch_common.hpp), checked
// on the zoo's traced file on the CPU: the GPU run it matters for cannot happen in CI.
#include <gtest/gtest.h>
#include <torch/csrc/jit/ir/constants.h>

#include <optional>

#include "torch_common.hpp"
#include "zoo_helpers.hpp"

namespace infbench {
namespace {

const c10::Symbol kConvolution = c10::Symbol::fromQualString("aten::_convolution");

// The constant a convolution argument holds, or nullopt when it is not a constant.
std::optional<bool> constant_flag(torch::jit::Node* conv, std::size_t arg) {
  const auto flag = torch::jit::constant_as<bool>(conv->input(arg));  // c10::optional before 2.x
  if (!flag) return std::nullopt;
  return *flag;
}

std::vector<torch::jit::Node*> convolutions(torch::jit::Graph& graph) {
  std::vector<torch::jit::Node*> found;
  for (auto* node : graph.nodes()) {
    if (node->kind() == kConvolution) found.push_back(node);
  }
  return found;
}

TEST(TorchGraph, TracedConvolutionsTakeTheFlagsGivenInsteadOfTheTracersBakedOnes) {
  auto module = torch::jit::load(testing_zoo::model_file("resnet18", "resnet18.ts").string());
  auto graph = module.get_method("forward").graph();
  const auto convs = convolutions(*graph);
  ASSERT_EQ(convs.size(), 20U) << "resnet18 traced: 20 convolutions";
  // What the tracer baked in (the zoo traces on the CPU with the defaults).
  EXPECT_EQ(constant_flag(convs.front(), 9), false);
  EXPECT_EQ(constant_flag(convs.front(), 12), true);

  EXPECT_EQ(torch_common::set_traced_conv_flags(graph->block(), true, false), 20);
  for (auto* conv : convolutions(*graph)) {
    EXPECT_EQ(constant_flag(conv, 9), true);    // benchmark
    EXPECT_EQ(constant_flag(conv, 12), false);  // allow_tf32
    EXPECT_EQ(constant_flag(conv, 11), true);   // cudnn_enabled: untouched
  }
  // The rewritten module still runs and gives the zoo's reference outputs.
  const Tensor x = read_npy(testing_zoo::model_file("resnet18", "resnet18.sample_input.npy"));
  const auto wrapped = torch_common::wrap(x.view());
  const auto y = module.forward({wrapped}).toTensor();
  const Tensor ref = read_npy(testing_zoo::model_file("resnet18", "resnet18.sample_output.npy"));
  EXPECT_LE(testing_zoo::relative_error(torch_common::to_host(y), ref), 1e-4);
}

}  // namespace
}  // namespace infbench
