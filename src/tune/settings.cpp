#include "settings.hpp"

namespace infbench::tune {

// Why these: XLA on a GPU overlaps batches only with in_flight >= 2 (resnet50 fp16 batch 256 on
// an H200: 40.6k img/s at in_flight=2); LibTorch's CUDA graphs and NHWC layout change fp16 GPU
// throughput by tens of percent; ONNX Runtime's parallel executor and OpenVINO's throughput hint
// are the CPU switches that move throughput (docs/frameworks.md). Options an adapter does not
// list (an older build) are left out with a note.
const std::vector<TunedSetting>& tuned_settings() {
  static const std::vector<TunedSetting> table = {
      {"xla", "in_flight", true, false, {"2", "1", "4"}},
      {"libtorch", "cuda_graph", true, false, {"off", "on"}},
      {"libtorch", "channels_last", true, false, {"off", "on"}},
      {"onnxruntime", "execution_mode", false, true, {"sequential", "parallel"}},
      {"openvino", "hint", false, true, {"latency", "throughput"}},
  };
  return table;
}

}  // namespace infbench::tune
