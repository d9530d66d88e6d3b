#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include <chrono>

#include "hand_loops.hpp"

namespace infbench::bench {

HandLoopResult hand_loop_opencv(const std::filesystem::path& model, int batch, int threads,
                                double seconds) {
  cv::setNumThreads(threads);
  auto net = cv::dnn::readNetFromONNX(model.string());
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  const int sizes[] = {batch, 3, 224, 224};
  auto values = normal_values(static_cast<std::size_t>(batch) * 3 * 224 * 224);
  const cv::Mat blob(4, sizes, CV_32F, values.data());
  return time_batches(batch, seconds, [&] {
    net.setInput(blob);
    const cv::Mat out = net.forward();
  });
}

}  // namespace infbench::bench
