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
  const cv::Mat blob(4, sizes, CV_32F, cv::Scalar(0.5));
  for (int i = 0; i < 2; ++i) {
    net.setInput(blob);
    net.forward();
  }
  const auto start = std::chrono::steady_clock::now();
  HandLoopResult result;
  double elapsed = 0;
  while (elapsed < seconds) {
    net.setInput(blob);
    const cv::Mat out = net.forward();
    ++result.batches;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  result.samples_per_s = static_cast<double>(result.batches * batch) / elapsed;
  return result;
}

}  // namespace infbench::bench
