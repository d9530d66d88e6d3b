// What every real adapter must do, for every framework in the registry (backend_table()), on the
// zoo's small models: a new adapter is tested here without editing this file. Its zoo file comes
// from its BackendInfo::zoo_files. Checks: load and predict 4 samples in batches of 3 (a partial
// batch) or at the file's fixed batch, agreement with PyTorch's reference and with every other
// framework, batch size not changing results, a corrupt and a missing model file refused with one
// line naming the file, the options it lists (valid defaults, all reported as settings), and the
// runner's accuracy check (docs/metrics.md "Accuracy") passing the fp32 gate at the case's batch.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <map>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/reference_check.hpp"
#include "core/zoo_manifest.hpp"
#include "infbench/model.hpp"
#include "infbench/npy.hpp"
#include "infbench/registry.hpp"
#include "zoo_helpers.hpp"

namespace infbench {
namespace {

using namespace testing_zoo;

// resnet18_u8: resnet18's weights behind a uint8 NHWC pixel input that the program normalises
// itself (tools/model_zoo.py PixelInput): its reference input is uint8, and every framework must be
// fed uint8 (TorchScript, which records no input type, through the manifest; float data would give
// the same logits, so the accuracy test checks the type itself).
const std::vector<std::string> kModels = {"resnet18", "mobilenet_v3_small", "resnet18_u8"};

// Zoo builders that export no pixel-input variant: OpenCV DNN takes float blobs only, and
// tools/tf_zoo.py rebuilds the float networks in Keras.
bool exports_pixel_models(std::string_view framework) {
  return framework != "opencv" && framework != "tensorflow";
}

bool is_pixel_model(const std::string& model) { return model.ends_with("_u8"); }

struct Case {
  std::string framework;
  std::string model;
  std::filesystem::path file;  // empty: the zoo has no file of this framework for the model
  int batch_size = 3;
  bool dynamic_batch = true;
  std::string kinds;  // the framework's zoo kinds, for messages
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.framework << " " << c.file; }

bool needs_per_batch_files(const std::vector<std::string>& kinds) {
  return std::all_of(kinds.begin(), kinds.end(),
                     [](const std::string& k) { return k.find("{batch}") != std::string::npos; });
}

// One case per CPU framework and model. Frameworks whose zoo files are all per batch size and
// that this machine's zoo lacks (AOTInductor packages, built on the GPU machine) are left out.
std::vector<Case> cases() {
  std::vector<Case> out;
  const Zoo zoo(models_dir());
  for (const auto& entry : backend_table()) {
    const auto info = entry.create()->info();
    if (!info.needs_model_file || info.zoo_files.empty()) continue;
    std::string kinds;
    for (const auto& k : info.zoo_files) kinds += (kinds.empty() ? "" : ", ") + k;
    for (const auto& model : kModels) {
      if (is_pixel_model(model) && !exports_pixel_models(entry.name)) continue;
      Case c{std::string(entry.name), model, {}, 3, true, kinds};
      // Batch 3 on a dynamic-batch file; else the file's fixed batch (8: padded, 1: 4 calls).
      for (const int batch : {3, 8, 1}) {
        c.file = zoo.file_for(model, info.zoo_files, "fp32", batch);
        if (c.file.empty()) continue;
        c.batch_size = batch;
        // One file serves batch 3 and 8: a dynamic-batch export.
        const auto at3 = zoo.file_for(model, info.zoo_files, "fp32", 3);
        c.dynamic_batch = !at3.empty() && at3 == zoo.file_for(model, info.zoo_files, "fp32", 8);
        break;
      }
      if (c.file.empty() && needs_per_batch_files(info.zoo_files)) continue;
      out.push_back(c);
    }
  }
  return out;
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.framework + "_" + info.param.model;
}

class Conformance : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (GetParam().file.empty()) {
      GTEST_FAIL() << GetParam().model << " has no " << GetParam().framework << " file (kinds "
                   << GetParam().kinds << ") in " << models_dir() / "manifest.json"
                   << ": the test command builds them (scripts/test.sh, tools/README.md)";
    }
  }
  Params params() const {
    Params p;
    p.batch_size = GetParam().batch_size;
    p.threads = 2;
    return p;
  }
  Tensor predict(const Params& p) const {
    return run(GetParam().framework, GetParam().file, p, GetParam().model);
  }
  Tensor reference() const {
    return read_npy(model_file(GetParam().model, GetParam().model + ".sample_output.npy"));
  }
};

TEST_P(Conformance, MatchesThePyTorchReferenceWithAPartialBatch) {
  const Tensor ref = reference();
  const Tensor out = predict(params());  // 4 samples: a partial or padded last batch
  ASSERT_EQ(out.shape(), ref.shape());
  EXPECT_LE(relative_error(out, ref), 1e-4);
  EXPECT_EQ(top1(out), top1(ref));
}

TEST_P(Conformance, AccuracyCheckPassesTheFp32GateAtTheCasesBatch) {
  auto m = Model::load(GetParam().framework, GetParam().file, params());
  RunRecord r;
  r.precision = "fp32";
  check_accuracy(m, GetParam().file, RunConfig{}, r);  // the reference found by the file's path
  if (is_pixel_model(GetParam().model)) {
    EXPECT_EQ(fed_inputs(m, GetParam().file, RunConfig{}).front().dtype, DType::uint8);
  }
  EXPECT_EQ(r.accuracy_gate, "pass") << r.warnings;
  ASSERT_TRUE(r.accuracy_cosine && r.accuracy_max_rel_error && r.accuracy_top1_agreement)
      << r.warnings;
  EXPECT_GE(*r.accuracy_cosine, 0.9999);
  EXPECT_LE(*r.accuracy_max_rel_error, 1e-4);
  EXPECT_EQ(*r.accuracy_top1_agreement, 1.0);
  EXPECT_FALSE(r.accuracy_top1) << "random-weight models have no labelled set";
}

TEST_P(Conformance, BatchSizeDoesNotChangeResults) {
  if (!GetParam().dynamic_batch) GTEST_SKIP() << "fixed-batch file: one batch size only";
  Params one = params(), four = params();
  one.batch_size = 1;
  four.batch_size = 4;
  EXPECT_LE(relative_error(predict(one), predict(four)), 1e-5);
}

TEST_P(Conformance, CorruptAndMissingModelFilesAreOneLineErrorsNamingTheFile) {
  const auto& c = GetParam();
  // One folder per case and process: ctest runs cases in parallel.
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("infbench_corrupt_" + c.framework + "_" + c.model + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // A file (or, for directory formats such as SavedModel, a folder of files) with the right
  // names and garbage inside.
  const auto corrupt = dir / c.file.filename();
  if (std::filesystem::is_directory(c.file)) {
    for (const auto& item : std::filesystem::recursive_directory_iterator(c.file)) {
      const auto copy = corrupt / std::filesystem::relative(item.path(), c.file);
      if (item.is_directory()) std::filesystem::create_directories(copy);
      if (item.is_regular_file()) {
        std::filesystem::create_directories(copy.parent_path());
        std::ofstream(copy) << "garbage\n";
      }
    }
  } else {
    std::ofstream(corrupt) << "this is not a model\n";
  }
  for (const auto& path : {corrupt, dir / ("missing_" + c.file.filename().string())}) {
    const std::string message = error_of([&] { Model::load(c.framework, path, params()); });
    EXPECT_NE(message, "(no error)") << path;
    EXPECT_NE(message.find(path.filename().string()), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  std::filesystem::remove_all(dir);
}

TEST_P(Conformance, OptionsHaveValidDefaultsAndAreAllReportedAsSettings) {
  const auto& c = GetParam();
  auto m = Model::load(c.framework, c.file, params());
  const auto& info = m.info();
  EXPECT_FALSE(info.framework_version.empty());
  EXPECT_FALSE(info.optimization_levels.empty());
  EXPECT_NE(std::find(info.precisions.begin(), info.precisions.end(), "fp32"),
            info.precisions.end());
  std::map<std::string, std::string> settings;
  for (const auto& [k, v] : m.effective_settings()) settings[k] = v;
  EXPECT_EQ(settings["batch_size"], std::to_string(c.batch_size));
  for (const auto& option : info.options) {
    EXPECT_FALSE(option.help.empty()) << option.name;
    if (!option.choices.empty()) {
      EXPECT_NE(std::find(option.choices.begin(), option.choices.end(), option.default_value),
                option.choices.end())
          << option.name << " default " << option.default_value;
    }
    EXPECT_TRUE(settings.contains(option.name)) << option.name << " is not an effective setting";
  }
  // An unknown option is refused before the framework is touched, naming the valid ones.
  Params typo = params();
  typo.options["no_such_option"] = "1";
  EXPECT_NE(error_of([&] { Model::load(c.framework, c.file, typo); }).find("is unknown to"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Registry, Conformance, ::testing::ValuesIn(cases()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Conformance);

// Every pair of frameworks gives the same logits on the same inputs.
// The pretrained PaddleOCR text-direction classifier (tools/ppocr_zoo.py): through the runner's
// check, ONNX Runtime's C++ adapter scores the rendered labelled set as the zoo tool measured it
// with ONNX Runtime's Python package, far above chance (0.5), and passes the fp32 gate.
TEST(Conformance, PretrainedClassifierScoresItsLabelledSetAsMeasuredByTheZooTool) {
  const auto has = [](std::string_view name) {
    const auto table = backend_table();
    return std::any_of(table.begin(), table.end(), [&](const auto& e) { return e.name == name; });
  };
  if (!has("onnxruntime")) GTEST_SKIP() << "onnxruntime is not built into this binary";
  const auto file = model_file("ppocr_cls", "ppocr_cls.onnx");
  const auto manifest = nlohmann::json::parse(std::ifstream(models_dir() / "manifest.json"));
  ASSERT_TRUE(manifest["models"].contains("ppocr_cls"))
      << "run .deps/venv-accuracy/bin/python tools/ppocr_zoo.py";
  const double python_top1 = manifest["models"]["ppocr_cls"]["accuracy_top1_onnxruntime"];
  for (const int batch : {1, 16}) {
    Params p;
    p.batch_size = batch;
    p.threads = 2;
    auto m = Model::load("onnxruntime", file, p);
    RunRecord r;
    r.precision = "fp32";
    check_accuracy(m, file, RunConfig{}, r);
    EXPECT_EQ(r.accuracy_gate, "pass") << r.warnings;
    ASSERT_TRUE(r.accuracy_top1) << r.warnings;
    EXPECT_NEAR(*r.accuracy_top1, python_top1, 1.0 / 256) << "batch " << batch;
    EXPECT_GT(*r.accuracy_top1, 0.9) << "batch " << batch;
  }
}

TEST(Conformance, FrameworksAgreeWithEachOther) {
  for (const auto& model : kModels) {
    std::vector<std::pair<std::string, Tensor>> outputs;
    for (const auto& c : cases()) {
      if (c.model != model || c.file.empty()) continue;
      Params p;
      p.batch_size = c.batch_size;
      p.threads = 2;
      outputs.emplace_back(c.framework, run(c.framework, c.file, p, model));
    }
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      for (std::size_t j = i + 1; j < outputs.size(); ++j) {
        EXPECT_LE(relative_error(outputs[i].second, outputs[j].second), 1e-4)
            << model << ": " << outputs[i].first << " vs " << outputs[j].first;
        EXPECT_EQ(top1(outputs[i].second), top1(outputs[j].second));
      }
    }
  }
}

}  // namespace
}  // namespace infbench
