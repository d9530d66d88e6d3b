#include <onnxruntime_cxx_api.h>

#include <chrono>
#include <vector>

#include "hand_loops.hpp"

namespace infbench::bench {

HandLoopResult hand_loop_onnxruntime(const std::filesystem::path& model, int batch, int threads,
                                     double seconds) {
  static Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "hand_loop");
  Ort::SessionOptions options;
  options.SetIntraOpNumThreads(threads);
  options.SetInterOpNumThreads(1);
  options.SetGraphOptimizationLevel(ORT_ENABLE_ALL);
  Ort::Session session(env, model.c_str(), options);
  Ort::AllocatorWithDefaultOptions allocator;
  const auto in_name = session.GetInputNameAllocated(0, allocator);
  const auto out_name = session.GetOutputNameAllocated(0, allocator);
  auto shape = session.GetInputTypeInfo(0).GetTensorTypeAndShapeInfo().GetShape();
  shape[0] = batch;
  std::size_t count = 1;
  for (auto d : shape) count *= static_cast<std::size_t>(d);
  std::vector<float> data = normal_values(count);
  const auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  const Ort::Value input =
      Ort::Value::CreateTensor<float>(memory, data.data(), count, shape.data(), shape.size());
  const char* in_names[] = {in_name.get()};
  const char* out_names[] = {out_name.get()};
  return time_batches(batch, seconds, [&] {
    auto out = session.Run(Ort::RunOptions{nullptr}, in_names, &input, 1, out_names, 1);
  });
}

}  // namespace infbench::bench
