#pragma once
// Helpers shared by the two adapters built on LibTorch (libtorch: TorchScript; aotinductor: .pt2
// packages). Header-only and included by those two adapters alone, so no LibTorch header reaches
// the rest of the tree. Their GPU half is torch_gpu.hpp.
#include <torch/script.h>

#include <array>
#include <string>
#include <vector>

#include "infbench/backend.hpp"

namespace infbench::torch_common {

struct TypeRow {
  c10::ScalarType torch;
  DType dtype;
};
inline constexpr std::array<TypeRow, 9> kTypes{{
    {c10::ScalarType::Float, DType::float32},
    {c10::ScalarType::Half, DType::float16},
    {c10::ScalarType::BFloat16, DType::bfloat16},
    {c10::ScalarType::Long, DType::int64},
    {c10::ScalarType::Int, DType::int32},
    {c10::ScalarType::Byte, DType::uint8},
    {c10::ScalarType::Bool, DType::boolean},
    {c10::ScalarType::Double, DType::float64},
    {c10::ScalarType::Char, DType::int8},
}};

inline c10::ScalarType to_torch(DType dtype) {
  for (const auto& row : kTypes) {
    if (row.dtype == dtype) return row.torch;
  }
  throw Error(ErrorKind::unsupported, "dtype not mapped to LibTorch");
}

inline DType to_dtype(c10::ScalarType type) {
  for (const auto& row : kTypes) {
    if (row.torch == type) return row.dtype;
  }
  throw Error(ErrorKind::unsupported,
              std::string("LibTorch output of type ") + c10::toString(type) + " is not handled");
}

// Precision names as infbench spells them (params.precision) and the compute type they select.
struct PrecisionRow {
  const char* name;
  c10::ScalarType type;
};
inline constexpr std::array<PrecisionRow, 3> kPrecisions{{
    {"fp32", c10::ScalarType::Float},
    {"fp16", c10::ScalarType::Half},
    {"bf16", c10::ScalarType::BFloat16},
}};

inline c10::ScalarType precision_type(const std::string& name) {
  for (const auto& row : kPrecisions) {
    if (name == row.name) return row.type;
  }
  throw Error(ErrorKind::invalid_argument, "precision '" + name + "': use fp32, fp16 or bf16");
}

// TorchScript interpreter errors put the useful line last ("RuntimeError: Given groups=...").
inline std::string torch_message(const std::string& text) {
  const auto at = text.rfind("Error: ");
  if (at == std::string::npos) return first_line(text);
  const auto start = text.rfind('\n', at);
  return first_line(text.substr(start == std::string::npos ? 0 : start + 1));
}

// Outputs go back to the host as float32 when the model computed in fp16/bf16, so that outputs
// of every precision and framework compare directly (the cast runs on the device: cheap).
inline Tensor to_host(const at::Tensor& tensor) {
  at::Tensor t = tensor;
  if (t.is_floating_point() && t.scalar_type() != c10::ScalarType::Float) t = t.to(at::kFloat);
  t = t.contiguous().cpu();
  const DType dtype = to_dtype(t.scalar_type());
  return Tensor(
      dtype, Shape(t.sizes().begin(), t.sizes().end()),
      std::span<const std::byte>(static_cast<const std::byte*>(t.data_ptr()),
                                 static_cast<std::size_t>(t.numel()) * dtype_size(dtype)));
}

// torch.jit.trace records convolutions as aten::_convolution with the cuDNN switches of the tracing
// process baked in as constants (pytorch/pytorch#18776: benchmark=False, allow_tf32=True for
// the zoo's CPU-traced files), so the process-wide switches never reach them. Rewrites those
// arguments of every traced convolution in `block` (nested blocks included) to these values;
// returns how many convolutions it set. The schema: input, weight, bias, stride, padding,
// dilation, transposed, output_padding, groups, benchmark, deterministic, cudnn_enabled,
// allow_tf32.
inline int set_traced_conv_flags(torch::jit::Block* block, bool benchmark, bool allow_tf32) {
  constexpr std::size_t kBenchmark = 9;
  constexpr std::size_t kAllowTf32 = 12;
  static const auto kConvolution = c10::Symbol::fromQualString("aten::_convolution");
  int set = 0;
  for (auto* node : block->nodes()) {
    for (auto* inner : node->blocks()) set += set_traced_conv_flags(inner, benchmark, allow_tf32);
    if (node->kind() != kConvolution || node->inputs().size() != kAllowTf32 + 1) continue;
    torch::jit::WithInsertPoint here(node);
    auto* graph = node->owningGraph();
    node->replaceInput(kBenchmark, graph->insertConstant(benchmark));
    node->replaceInput(kAllowTf32, graph->insertConstant(allow_tf32));
    ++set;
  }
  return set;
}

// Wraps an input without copying it: host memory, or GPU memory staged by the pipeline.
inline at::Tensor wrap(const TensorView& in) {
  auto options = torch::TensorOptions().dtype(to_torch(in.dtype));
  if (in.device >= 0)
    options = options.device(torch::kCUDA, static_cast<c10::DeviceIndex>(in.device));
  // from_blob only reads here: the adapters never write into their inputs.
  return torch::from_blob(const_cast<std::byte*>(in.data), in.shape, options);
}

}  // namespace infbench::torch_common
