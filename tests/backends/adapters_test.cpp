// Framework-specific behaviour of the real adapters (caches, levels, errors with their wording).
// What every adapter must do is in conformance_test.cpp, which iterates the registry.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>

#include "infbench/model.hpp"
#include "infbench/npy.hpp"
#include "zoo_helpers.hpp"

namespace infbench {
namespace {

using namespace testing_zoo;

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
              m.predict({{"input", Tensor(DType::int64, {1, 3, 224, 224})}});
            }).find("is int64 but the model expects"),
            std::string::npos);
  // Float data of another float type is converted to the recorded float32 (Model::predict).
  const Tensor x = read_npy(model_file("resnet18", "resnet18.sample_input.npy"));
  const Tensor ref = read_npy(model_file("resnet18", "resnet18.sample_output.npy"));
  const auto out = m.predict({{"input", converted_float(x, DType::float16)}});
  EXPECT_LE(relative_error(out.front().tensor, ref), 1e-2) << "float16-rounded input";
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

#ifdef INFBENCH_WITH_XLA
std::filesystem::path xla_file(const std::string& model, int batch) {
  return model_file(model, model + ".stablehlo.fp32.b" + std::to_string(batch) + ".mlirbc");
}

bool has_phase(const Model& m, const std::string& phase) {
  for (const auto& [name, s] : m.load_timing().phases_s) {
    if (name == phase) return true;
  }
  return false;
}

TEST(Xla, CompiledExecutableCacheMissThenHitGivesSameOutputs) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("infbench_xla_cache_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const Tensor ref = read_npy(model_file("resnet18", "resnet18.sample_output.npy"));
  const Tensor x = read_npy(model_file("resnet18", "resnet18.sample_input.npy"));
  Params p;
  p.batch_size = 8;
  p.cache_dir = dir;
  auto first = Model::load("xla", xla_file("resnet18", 8), p);
  EXPECT_EQ(first.load_result().cache, CacheStatus::miss);
  EXPECT_TRUE(has_phase(first, "compile") && has_phase(first, "cache_write"));
  ASSERT_TRUE(std::filesystem::is_regular_file(first.load_result().cache_file));
  auto second = Model::load("xla", xla_file("resnet18", 8), p);
  EXPECT_EQ(second.load_result().cache, CacheStatus::hit);
  EXPECT_TRUE(has_phase(second, "deserialize") && !has_phase(second, "compile"));
  EXPECT_LE(relative_error(second.predict({{"input", x}}).front().tensor, ref), 1e-4);
  // Other XLA options are another cache entry, and reach the compiler (a valid flag compiles).
  p.options["xla_flags"] = "--xla_cpu_enable_fast_math=false";
  auto third = Model::load("xla", xla_file("resnet18", 8), p);
  EXPECT_EQ(third.load_result().cache, CacheStatus::miss);
  EXPECT_LE(relative_error(third.predict({{"input", x}}).front().tensor, ref), 1e-4);
  std::filesystem::remove_all(dir);
}

// 20 distinct samples: the zoo's 4, then scaled copies, so that batches' outputs differ.
Tensor distinct_samples(const Tensor& sample, std::int64_t count) {
  Shape shape = sample.shape();
  shape[0] = count;
  Tensor x(sample.dtype(), shape);
  const auto from = sample.values<float>();
  auto to = x.values<float>();
  for (std::size_t i = 0; i < to.size(); ++i) {
    const std::size_t row = i / (from.size() / 4);
    to[i] = from[i % from.size()] * (1.0F + 0.1F * static_cast<float>(row / 4));
  }
  return x;
}

TEST(Xla, TwoBatchesInFlightGiveTheSameOutputsAsOne) {
  const auto model = std::string("mobilenet_v3_small");
  const Tensor ref = read_npy(model_file(model, model + ".sample_output.npy"));
  const Tensor x = distinct_samples(read_npy(model_file(model, model + ".sample_input.npy")), 20);
  Params p;
  p.batch_size = 8;
  p.options["in_flight"] = "1";
  auto one = Model::load("xla", xla_file(model, 8), p);
  EXPECT_EQ(one.batches_in_flight(), 1U);
  p.options["in_flight"] = "2";
  auto two = Model::load("xla", xla_file(model, 8), p);
  ASSERT_EQ(two.batches_in_flight(), 2U);  // predict() with overlap then streams
  const auto settings = two.effective_settings();
  EXPECT_NE(std::find(settings.begin(), settings.end(),
                      std::pair<std::string, std::string>{"in_flight", "2"}),
            settings.end());
  const Tensor serial = one.predict({{"input", x}}).front().tensor;
  const Tensor streamed = two.predict({{"input", x}}).front().tensor;
  EXPECT_EQ(two.last_predict().calls, 3);  // 8 + 8 + 4 padded
  EXPECT_LE(relative_error(serial.slice_batch(0, 4), ref), 1e-4);
  EXPECT_GT(relative_error(serial.slice_batch(8, 8), serial.slice_batch(0, 8)), 1e-3);
  EXPECT_LE(relative_error(streamed, serial), 1e-6);

  // Directly: collected oldest first, and no more than in_flight submitted.
  const auto first = x.slice_batch(0, 8), second = x.slice_batch(8, 8);
  const std::vector<TensorView> a{first.view()}, b{second.view()};
  two.submit_batch(a);
  two.submit_batch(b);
  EXPECT_NE(error_of([&] { two.submit_batch(a); }).find("2 batches in flight already"),
            std::string::npos);
  EXPECT_LE(relative_error(two.collect_batch().front(), serial.slice_batch(0, 8)), 1e-6);
  EXPECT_LE(relative_error(two.collect_batch().front(), serial.slice_batch(8, 8)), 1e-6);
  EXPECT_NE(error_of([&] { two.collect_batch(); }).find("no batch in flight"), std::string::npos);
}

TEST(XlaErrors, MissingPluginBadFlagsAndWrongPrecisionAreOneLine) {
  Params p;
  p.batch_size = 1;
  const auto one_line = [](const std::string& message, const std::string& part) {
    EXPECT_NE(message.find(part), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  };
  p.options["plugin"] = "/nonexistent/pjrt_plugin.so";
  one_line(error_of([&] { Model::load("xla", xla_file("resnet18", 1), p); }),
           "cannot open the PJRT plugin /nonexistent/pjrt_plugin.so");
  p.options.erase("plugin");
  p.options["xla_flags"] = "--xla_no_such_flag=1";
  one_line(error_of([&] { Model::load("xla", xla_file("resnet18", 1), p); }),
           "resnet18.stablehlo.fp32.b1.mlirbc: PJRT_Client_Compile");
  p.options["xla_flags"] = "xla_cpu_enable_fast_math";
  one_line(error_of([&] { Model::load("xla", xla_file("resnet18", 1), p); }),
           "is not of the form --xla_name=value");
  p.options.clear();
  p.precision = "fp16";
  one_line(error_of([&] { Model::load("xla", xla_file("resnet18", 1), p); }),
           "was exported for precision fp32, not fp16");
}
#endif

}  // namespace
}  // namespace infbench
