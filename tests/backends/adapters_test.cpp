// Real adapters on the model zoo's small models (tools/model_zoo.py resnet18 mobilenet_v3_small).
// References are PyTorch eager outputs saved by the zoo. Relative error is max|a-b| / max|ref|.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "infbench/model.hpp"
#include "infbench/npy.hpp"
#include "infbench/registry.hpp"

namespace infbench {
namespace {

std::filesystem::path models_dir() {
  const char* env = std::getenv("INFBENCH_MODELS_DIR");
  return env != nullptr ? std::filesystem::path(env) : std::filesystem::path(INFBENCH_MODELS_DIR);
}

// A missing model is a failure, not a skip: the test command builds the zoo first.
std::filesystem::path model_file(const std::string& model, const std::string& file) {
  const auto path = models_dir() / model / file;
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << path << " is missing: run /usr/bin/python3 tools/model_zoo.py " << model;
  }
  return path;
}

double relative_error(const Tensor& got, const Tensor& ref) {
  const auto a = got.to_float(), b = ref.to_float();
  if (a.size() != b.size()) return INFINITY;
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, static_cast<double>(std::abs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::abs(b[i])));
  }
  return diff / scale;
}

std::vector<std::int64_t> top1(const Tensor& logits) {
  const auto v = logits.to_float();
  const auto classes = static_cast<std::size_t>(logits.shape()[1]);
  std::vector<std::int64_t> out;
  for (std::size_t r = 0; r < v.size() / classes; ++r) {
    const auto begin = v.begin() + static_cast<std::ptrdiff_t>(r * classes);
    out.push_back(std::max_element(begin, begin + static_cast<std::ptrdiff_t>(classes)) - begin);
  }
  return out;
}

struct Case {
  std::string framework;
  std::string file_suffix;  // appended to the model name
  int batch_size;
};

std::vector<Case> resnet18_cases() {
  std::vector<Case> cases;
#ifdef INFBENCH_WITH_ONNXRUNTIME
  cases.push_back({"onnxruntime", ".onnx", 3});
#endif
#ifdef INFBENCH_WITH_LIBTORCH
  cases.push_back({"libtorch", ".ts", 3});
#endif
#ifdef INFBENCH_WITH_OPENCV
  cases.push_back({"opencv", ".opencv.onnx", 3});
#endif
  return cases;
}

Tensor run(const std::string& framework, const std::filesystem::path& path, Params params,
           const std::string& model) {
  auto m = Model::load(framework, path, params);
  const Tensor x = read_npy(model_file(model, model + ".sample_input.npy"));
  return m.predict({{"", x}}).front().tensor;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Adapters, EveryFrameworkMatchesPyTorchOnResnet18WithAPartialBatch) {
  const Tensor ref = read_npy(model_file("resnet18", "resnet18.sample_output.npy"));
  ASSERT_GE(resnet18_cases().size(), 1U);
  for (const auto& c : resnet18_cases()) {
    Params p;
    p.batch_size = c.batch_size;  // 4 samples in batches of 3: one partial batch
    const Tensor out =
        run(c.framework, model_file("resnet18", "resnet18" + c.file_suffix), p, "resnet18");
    ASSERT_EQ(out.shape(), ref.shape()) << c.framework;
    EXPECT_LE(relative_error(out, ref), 1e-4) << c.framework;
    EXPECT_EQ(top1(out), top1(ref)) << c.framework;
  }
}

TEST(Adapters, FrameworksAgreeWithEachOther) {
  std::vector<std::pair<std::string, Tensor>> outputs;
  for (const auto& c : resnet18_cases()) {
    Params p;
    p.batch_size = 4;
    outputs.emplace_back(
        c.framework,
        run(c.framework, model_file("resnet18", "resnet18" + c.file_suffix), p, "resnet18"));
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (std::size_t j = i + 1; j < outputs.size(); ++j) {
      EXPECT_LE(relative_error(outputs[i].second, outputs[j].second), 1e-4)
          << outputs[i].first << " vs " << outputs[j].first;
      EXPECT_EQ(top1(outputs[i].second), top1(outputs[j].second));
    }
  }
}

TEST(Adapters, BatchSizeDoesNotChangeResults) {
  for (const auto& c : resnet18_cases()) {
    Params one, four;
    four.batch_size = 4;
    const auto path = model_file("resnet18", "resnet18" + c.file_suffix);
    EXPECT_LE(relative_error(run(c.framework, path, one, "resnet18"),
                             run(c.framework, path, four, "resnet18")),
              1e-5)
        << c.framework;
  }
}

#ifdef INFBENCH_WITH_ONNXRUNTIME
class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("infbench_cache_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

using OnnxRuntime = TempDir;

TEST_F(OnnxRuntime, OptimisedGraphCacheMissThenHitGivesSameOutputs) {
  const auto path = model_file("resnet18", "resnet18.onnx");
  const Tensor ref = read_npy(model_file("resnet18", "resnet18.sample_output.npy"));
  Params p;
  p.batch_size = 4;
  p.cache_dir = dir_;
  auto first = Model::load("onnxruntime", path, p);
  EXPECT_EQ(first.load_result().cache, CacheStatus::miss);
  ASSERT_TRUE(std::filesystem::is_regular_file(first.load_result().cache_file));
  EXPECT_GT(std::filesystem::file_size(first.load_result().cache_file), 1000000U);
  auto second = Model::load("onnxruntime", path, p);
  EXPECT_EQ(second.load_result().cache, CacheStatus::hit);
  EXPECT_EQ(second.load_result().cache_file, first.load_result().cache_file);
  const Tensor x = read_npy(model_file("resnet18", "resnet18.sample_input.npy"));
  EXPECT_LE(relative_error(second.predict({{"input", x}}).front().tensor, ref), 1e-4);
  // Another optimisation level is another cache entry.
  p.optimization = "basic";
  EXPECT_EQ(Model::load("onnxruntime", path, p).load_result().cache, CacheStatus::miss);
}

TEST(OnnxRuntimeLevels, EveryLevelAndExecutionModeGivesTheSameOutputs) {
  const auto path = model_file("mobilenet_v3_small", "mobilenet_v3_small.onnx");
  const Tensor ref =
      read_npy(model_file("mobilenet_v3_small", "mobilenet_v3_small.sample_output.npy"));
  for (const std::string level : {"disable", "basic", "extended", "all"}) {
    Params p;
    p.batch_size = 2;
    p.threads = 1;
    p.optimization = level;
    p.options = {{"execution_mode", "parallel"}, {"inter_op_threads", "2"}};
    EXPECT_LE(relative_error(run("onnxruntime", path, p, "mobilenet_v3_small"), ref), 1e-4)
        << level;
  }
}

TEST(OnnxRuntimeErrors, WrongFormatCorruptFileAndBadShapes) {
  EXPECT_NE(error_of([] {
              Model::load("onnxruntime", model_file("resnet18", "resnet18.ts"), {});
            }).find("resnet18.ts: onnxruntime cannot load it"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Model::load("onnxruntime", "/nonexistent/model.onnx", {});
            }).find("/nonexistent/model.onnx: model file not found"),
            std::string::npos);
  auto m = Model::load("onnxruntime", model_file("resnet18", "resnet18.onnx"), {});
  EXPECT_NE(error_of([&] {
              m.predict({{"input", Tensor(DType::float32, {1, 3, 32, 32})}});
            })
                .find("input 'input' has shape [1,3,32,32] but the model expects 'input' "
                      "float32[?,3,224,224]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              m.predict({{"input", Tensor(DType::float16, {1, 3, 224, 224})}});
            }).find("is float16 but the model expects"),
            std::string::npos);
}
#endif

#ifdef INFBENCH_WITH_LIBTORCH
using LibTorch = TempDir;

TEST_F(LibTorch, FrozenModuleCacheMissThenHit) {
  const auto path = model_file("resnet18", "resnet18.ts");
  const Tensor ref = read_npy(model_file("resnet18", "resnet18.sample_output.npy"));
  Params p;
  p.batch_size = 4;
  p.cache_dir = dir_;
  EXPECT_EQ(Model::load("libtorch", path, p).load_result().cache, CacheStatus::miss);
  auto second = Model::load("libtorch", path, p);
  EXPECT_EQ(second.load_result().cache, CacheStatus::hit);
  const Tensor x = read_npy(model_file("resnet18", "resnet18.sample_input.npy"));
  EXPECT_LE(relative_error(second.predict({{"", x}}).front().tensor, ref), 1e-4);
}

TEST(LibTorchSettings, LevelsAgreeAndThreadsAreSetExplicitly) {
  const auto path = model_file("resnet18", "resnet18.ts");
  const Tensor ref = read_npy(model_file("resnet18", "resnet18.sample_output.npy"));
  for (const std::string level : {"none", "freeze", "optimize_for_inference"}) {
    Params p;
    p.batch_size = 4;
    p.threads = 1;
    p.optimization = level;
    auto m = Model::load("libtorch", path, p);
    const auto settings = m.effective_settings();
    EXPECT_NE(std::find(settings.begin(), settings.end(),
                        std::pair<std::string, std::string>{"threads", "1"}),
              settings.end());
    const Tensor x = read_npy(model_file("resnet18", "resnet18.sample_input.npy"));
    EXPECT_LE(relative_error(m.predict({{"", x}}).front().tensor, ref), 1e-4) << level;
  }
}

TEST(LibTorchErrors, WrongFormatAndWrongInput) {
  EXPECT_NE(error_of([] {
              Model::load("libtorch", model_file("resnet18", "resnet18.onnx"), {});
            }).find("resnet18.onnx: libtorch cannot load it"),
            std::string::npos);
  auto m = Model::load("libtorch", model_file("resnet18", "resnet18.ts"), {});
  EXPECT_NE(error_of([&] {
              m.predict({{"", Tensor(DType::float32, {1, 4, 224, 224})}});
            }).find("libtorch run failed"),
            std::string::npos);
}
#endif

#ifdef INFBENCH_WITH_OPENCV
TEST(OpenCv, StaticBatchExportPadsThePartialBatch) {
  const Tensor ref =
      read_npy(model_file("mobilenet_v3_small", "mobilenet_v3_small.sample_output.npy"));
  Params p;
  p.batch_size = 8;  // 4 samples: one batch padded to 8, the padding rows dropped
  const Tensor out =
      run("opencv", model_file("mobilenet_v3_small", "mobilenet_v3_small.opencv.b8.onnx"), p,
          "mobilenet_v3_small");
  EXPECT_EQ(out.shape(), ref.shape());
  EXPECT_LE(relative_error(out, ref), 1e-4);
  p.batch_size = 1;
  EXPECT_LE(relative_error(
                run("opencv", model_file("mobilenet_v3_small", "mobilenet_v3_small.opencv.b1.onnx"),
                    p, "mobilenet_v3_small"),
                ref),
            1e-4);
}

TEST(OpenCvErrors, StaticBatchMismatchAndWrongFormat) {
  Params p;
  p.batch_size = 4;
  EXPECT_NE(error_of([&] {
              Model::load("opencv",
                          model_file("mobilenet_v3_small", "mobilenet_v3_small.opencv.b8.onnx"), p);
            }).find("has a fixed batch of 8; use --batch-size 8"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Model::load("opencv", model_file("resnet18", "resnet18.ts"), {});
            }).find("resnet18.ts: not a valid ONNX model"),
            std::string::npos);
}
#endif

}  // namespace
}  // namespace infbench
