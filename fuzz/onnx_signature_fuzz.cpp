// libFuzzer target: the hand-written protobuf walk that reads an ONNX model's inputs and outputs
// (src/core/onnx_signature.cpp). Bad input must be refused with infbench::Error.
#include "core/onnx_signature.hpp"
#include "infbench/error.hpp"
#include "scratch_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = infbench::fuzz::write_scratch("model.onnx", data, size);
  try {
    const auto signature = infbench::read_onnx_signature(path);
    // What the callers do with it: every dimension is a size or -1 (dynamic).
    for (const auto* specs : {&signature.inputs, &signature.outputs}) {
      for (const auto& spec : *specs) {
        for (const auto dim : spec.shape) {
          if (dim < -1 || dim == 0) std::abort();
        }
      }
    }
  } catch (const infbench::Error&) {
  }
  return 0;
}
