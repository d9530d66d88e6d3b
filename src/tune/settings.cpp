#include "settings.hpp"

namespace infbench::tune {

// Why these: XLA on a GPU overlaps batches only with in_flight >= 2 (resnet50 fp16 batch 256 on
// an H200: 40.6k img/s at in_flight=2); LibTorch's CUDA graphs and NHWC layout change fp16 GPU
// throughput by tens of percent, and its optimize_for_inference level (TorchScript's frozen
// conv-add-relu fusion) gave 1.8x freeze for ResNet-50 fp16 batch 256 (25.3k against 14.0k img/s,
// results/h200/session13/), and cuDNN's per-shape autotuning (cudnn_benchmark) 1.03x for
// EfficientNet-B0 fp16 batch 256 with CUDA graphs (21.6k against 20.9k, results/h200/session15/);
// ONNX Runtime's parallel executor and OpenVINO's throughput hint are the CPU switches that move
// throughput (docs/frameworks.md). Options an adapter does not list (an older build) are left out
// with a note.
const std::vector<TunedSetting>& tuned_settings() {
  static const std::vector<TunedSetting> table = {
      {"xla", "in_flight", true, false, {"2", "1", "4"}},
      {"libtorch", "cuda_graph", true, false, {"off", "on"}},
      {"libtorch", "channels_last", true, false, {"off", "on"}},
      {"libtorch", "optimization", true, false, {"optimize_for_inference", "freeze"}},
      {"libtorch", "cudnn_benchmark", true, false, {"on", "off"}},
      {"onnxruntime", "execution_mode", false, true, {"sequential", "parallel"}},
      {"openvino", "hint", false, true, {"latency", "throughput"}},
  };
  return table;
}

}  // namespace infbench::tune
