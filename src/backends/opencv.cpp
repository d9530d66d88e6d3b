// OpenCV DNN adapter. Knobs: threads (cv::setNumThreads, process-wide), layer fusion on/off (the
// graph optimisation OpenCV offers), and the backend/target pairs this OpenCV build reports.
// OpenCV has no optimised-model cache. Model signature comes from the .onnx file itself, so a
// static-batch export is recognised and its partial batches padded by the harness.

#include "infbench/backend.hpp"

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include <array>

#include "core/onnx_signature.hpp"
#include "option_values.hpp"

namespace infbench {
namespace {

struct BackendRow {
  std::string_view name;
  int id;
};
constexpr std::array<BackendRow, 5> kBackends{{
    {"opencv", cv::dnn::DNN_BACKEND_OPENCV},
    {"inference_engine", cv::dnn::DNN_BACKEND_INFERENCE_ENGINE},
    {"halide", cv::dnn::DNN_BACKEND_HALIDE},
    {"vkcom", cv::dnn::DNN_BACKEND_VKCOM},
    {"cuda", cv::dnn::DNN_BACKEND_CUDA},
}};
constexpr std::array<BackendRow, 6> kTargets{{
    {"cpu", cv::dnn::DNN_TARGET_CPU},
    {"opencl", cv::dnn::DNN_TARGET_OPENCL},
    {"opencl_fp16", cv::dnn::DNN_TARGET_OPENCL_FP16},
    {"vulkan", cv::dnn::DNN_TARGET_VULKAN},
    {"cuda", cv::dnn::DNN_TARGET_CUDA},
    {"cuda_fp16", cv::dnn::DNN_TARGET_CUDA_FP16},
}};

template <std::size_t N>
std::string name_of(const std::array<BackendRow, N>& rows, int id) {
  for (const auto& r : rows) {
    if (r.id == id) return std::string(r.name);
  }
  return "id" + std::to_string(id);
}

template <std::size_t N>
int id_of(const std::array<BackendRow, N>& rows, const std::string& name) {
  for (const auto& r : rows) {
    if (r.name == name) return r.id;
  }
  return -1;
}

// Backends and CPU-side targets this OpenCV build offers (GPU targets belong to devices >= 0).
void available(std::vector<std::string>& backends, std::vector<std::string>& targets) {
  for (const auto& [backend, target] : cv::dnn::getAvailableBackends()) {
    const auto b = name_of(kBackends, backend);
    const auto t = name_of(kTargets, target);
    if (std::find(backends.begin(), backends.end(), b) == backends.end()) backends.push_back(b);
    if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
  }
  if (backends.empty()) backends.push_back("opencv");
  if (targets.empty()) targets.push_back("cpu");
}

class OpenCvBackend final : public Backend {
 public:
  BackendInfo info() const override {
    BackendInfo info;
    info.name = "opencv";
    info.framework_version = CV_VERSION;
    info.model_format = ".onnx (opset <= 17; OpenCV-compatible export, see tools/README.md)";
    info.zoo_files = {"opencv", "opencv_b{batch}"};
    info.precisions = {"fp32"};
    info.optimization_levels = {"fusion", "none"};
    std::vector<std::string> backends, targets;
    available(backends, targets);
    info.options = {
        {"backend", "OpenCV DNN computation backend", "opencv", backends, false},
        {"target", "OpenCV DNN target device", "cpu", targets, false},
    };
    info.notes =
        "threads are process-wide (cv::setNumThreads); no optimised-model cache; float32 "
        "inputs only";
    return info;
  }

  LoadResult load(const std::filesystem::path& model, const Params& params,
                  PhaseMarker& phases) override {
    const BackendInfo me = info();
    const int threads = params.threads > 0 ? params.threads : default_thread_count();
    const std::string level = optimization_level(params, me);
    const std::string backend = option_value(params, me, "backend");
    const std::string target = option_value(params, me, "target");
    phases.mark("read");
    signature_ = read_onnx_signature(model);
    for (const auto& in : signature_.inputs) {
      if (in.dtype != DType::float32) {
        throw Error(ErrorKind::unsupported, model.string() + ": input '" + in.name + "' is " +
                                                std::string(to_string(in.dtype)) +
                                                "; the OpenCV adapter feeds float32 only");
      }
    }
    try {
      cv::setNumThreads(threads);
      phases.mark("parse");
      net_ = cv::dnn::readNetFromONNX(model.string());
      net_.setPreferableBackend(id_of(kBackends, backend));
      net_.setPreferableTarget(id_of(kTargets, target));
      net_.enableFusion(level == "fusion");
    } catch (const cv::Exception& e) {
      throw Error(ErrorKind::framework,
                  model.string() + ": opencv cannot load it: " + first_line(e.what()));
    }
    input_names_.clear();
    output_names_.clear();
    for (const auto& in : signature_.inputs) input_names_.push_back(in.name);
    for (const auto& out : signature_.outputs) output_names_.push_back(out.name);
    settings_ = {{"batch_size", std::to_string(params.batch_size)},
                 {"device", "-1"},
                 {"precision", params.precision},
                 {"optimization", level},
                 {"threads", std::to_string(cv::getNumThreads())},
                 {"backend", backend},
                 {"target", target}};
    return {};
  }

  const Signature& signature() const override { return signature_; }
  Settings effective_settings() const override { return settings_; }

  std::vector<Tensor> run_batch(std::span<const TensorView> inputs) override {
    try {
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        const std::vector<int> sizes(inputs[i].shape.begin(), inputs[i].shape.end());
        // Wraps our memory (no copy); OpenCV reads it during forward().
        const cv::Mat blob(static_cast<int>(sizes.size()), sizes.data(), CV_32F,
                           const_cast<std::byte*>(inputs[i].data));
        net_.setInput(blob, input_names_[i]);
      }
      std::vector<cv::Mat> outs;
      net_.forward(outs, output_names_);
      std::vector<Tensor> result;
      for (const auto& m : outs) {
        if (m.depth() != CV_32F || !m.isContinuous()) {
          throw Error(ErrorKind::unsupported, "opencv produced a non-float32 output");
        }
        Shape shape(m.size.p, m.size.p + m.dims);
        result.emplace_back(DType::float32, std::move(shape),
                            std::span<const std::byte>(reinterpret_cast<const std::byte*>(m.data),
                                                       m.total() * m.elemSize()));
      }
      return result;
    } catch (const cv::Exception& e) {
      throw Error(ErrorKind::framework, "opencv run failed: " + first_line(e.what()));
    }
  }

 private:
  cv::dnn::Net net_;
  Signature signature_;
  Settings settings_;
  std::vector<std::string> input_names_;
  std::vector<cv::String> output_names_;
};

}  // namespace

std::unique_ptr<Backend> make_opencv_backend() { return std::make_unique<OpenCvBackend>(); }

}  // namespace infbench
