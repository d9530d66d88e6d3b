// The accuracy metrics, the per-precision gates, and the runner's check on the fake backend with
// outputs perturbed on purpose (option noise) beyond the fp32 gate.
#include "infbench/accuracy.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>

#include "infbench/npy.hpp"
#include "infbench/registry.hpp"
#include "infbench/runner.hpp"

namespace infbench {
namespace {

Tensor rows_of(std::vector<float> values, std::int64_t width) {
  const auto n = static_cast<std::int64_t>(values.size()) / width;
  return Tensor::from_values<float>({n, width}, values);
}

TEST(Accuracy, IdenticalOutputsHaveNoDeviationAndPassEveryGate) {
  const Tensor ref = rows_of({1, 2, 3, -4, 5, 0.5}, 3);
  const auto d = deviation_from_reference(ref, ref);
  EXPECT_EQ(d.max_rel_error, 0);
  EXPECT_NEAR(d.min_cosine, 1, 1e-12);
  EXPECT_EQ(d.top1_agreement, 1);
  for (const char* precision : {"fp32", "fp16", "bf16", "int8"}) {
    ASSERT_TRUE(accuracy_gate_for(precision)) << precision;
    EXPECT_EQ(judge_accuracy(d, *accuracy_gate_for(precision)), "pass") << precision;
  }
  EXPECT_FALSE(accuracy_gate_for("fp8"));
}

TEST(Accuracy, OutputsPerturbedBeyondTheFp32GateFailIt) {
  const Tensor ref = rows_of({1, 2, 3, -4, 5, 0.5}, 3);
  const auto gate = *accuracy_gate_for("fp32");
  // A relative error ten times the gate's, on the largest element.
  const float e = static_cast<float>(10 * gate.max_rel_error * 5);
  const Tensor out = rows_of({1, 2, 3, -4, 5 + e, 0.5}, 3);
  const auto d = deviation_from_reference(out, ref);
  EXPECT_NEAR(d.max_rel_error, 10 * gate.max_rel_error, 1e-6);
  const auto verdict = judge_accuracy(d, gate);
  EXPECT_EQ(verdict.rfind("fail: ", 0), 0u) << verdict;
  EXPECT_NE(verdict.find("rel_error 0.01 outside <= 0.001"), std::string::npos) << verdict;
  EXPECT_FALSE(passes_accuracy_gate(verdict));
  // Within the gate: passes.
  const Tensor close = rows_of({1, 2, 3, -4, 5 + e / 100, 0.5}, 3);
  EXPECT_EQ(judge_accuracy(deviation_from_reference(close, ref), gate), "pass");
}

TEST(Accuracy, ADifferentTopClassAndNanFailTheGate) {
  const Tensor ref = rows_of({1, 2, 3, 3, 2, 1}, 3);
  const Tensor swapped = rows_of({1, 2, 3, 2, 3, 1}, 3);  // second sample: class 1, not 0
  const auto d = deviation_from_reference(swapped, ref);
  EXPECT_EQ(d.top1_agreement, 0.5);
  EXPECT_NE(judge_accuracy(d, *accuracy_gate_for("fp32")).find("top1_agreement 0.5"),
            std::string::npos);
  const Tensor nan = rows_of({1, 2, NAN, 3, 2, 1}, 3);
  const auto n = deviation_from_reference(nan, ref);
  EXPECT_TRUE(std::isinf(n.max_rel_error));
  EXPECT_FALSE(passes_accuracy_gate(judge_accuracy(n, *accuracy_gate_for("int8"))));
}

TEST(Accuracy, TheReferenceIsTiledToTheOutputsRowsAndShapesMustMatch) {
  const Tensor ref = rows_of({1, 2, 3, 3, 2, 1}, 3);
  const Tensor six = rows_of({1, 2, 3, 3, 2, 1, 1, 2, 3, 3, 2, 1, 1, 2, 3, 3, 2, 1}, 3);
  EXPECT_EQ(deviation_from_reference(six, ref).max_rel_error, 0);
  EXPECT_THROW(deviation_from_reference(rows_of({1, 2, 3, 4}, 2), ref), Error);
  EXPECT_TRUE(passes_accuracy_gate(""));  // not checked: not excluded
  EXPECT_TRUE(passes_accuracy_gate("pass"));
}

class RunnerAccuracy : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("infbench_accuracy_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    // The fake backend's y = (k + 1) * sum(sample), k = 0..2, for 4 samples of 4 features.
    std::vector<float> x, y;
    for (int i = 0; i < 4; ++i) {
      float sum = 0;
      for (int j = 0; j < 4; ++j) {
        x.push_back(0.25f * static_cast<float>(i + j + 1));
        sum += x.back();
      }
      for (int k = 0; k < 3; ++k) y.push_back(static_cast<float>(k + 1) * sum);
    }
    write_npy(dir_ / "x.npy", rows_of(x, 4));
    write_npy(dir_ / "y.npy", rows_of(y, 3));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RunRecord run(const std::string& noise, int batch, bool with_reference = true) const {
    Params p;
    p.batch_size = batch;
    p.options = {{"noise", noise}};
    RunConfig c;
    c.min_duration_s = 0.02;
    c.min_queries = 5;
    c.warmup_s = 0;
    c.warmup_queries = 1;
    c.idle_power_s = 0;
    c.repeat = 1;
    if (with_reference) {
      c.reference_input = dir_ / "x.npy";
      c.reference_output = dir_ / "y.npy";
    }
    return run_benchmark("fake", "fake", p, c).record;
  }
  std::filesystem::path dir_;
};

TEST_F(RunnerAccuracy, ExactOutputsPassAndNoisyOnesFailTheFp32Gate) {
  for (const int batch : {1, 3, 8}) {  // 4 reference rows tiled to 4, 6 and 8
    const auto exact = run("0", batch);
    EXPECT_EQ(exact.status, "ok") << exact.error;
    EXPECT_EQ(exact.accuracy_gate, "pass") << exact.warnings;
    ASSERT_TRUE(exact.accuracy_max_rel_error) << exact.warnings;
    EXPECT_LE(*exact.accuracy_max_rel_error, 1e-6);
    EXPECT_EQ(exact.accuracy_top1_agreement, 1.0);

    const auto noisy = run("0.01", batch);
    EXPECT_EQ(noisy.status, "ok") << noisy.error;  // measured all the same, but marked
    EXPECT_EQ(noisy.accuracy_gate.rfind("fail: ", 0), 0u) << noisy.accuracy_gate;
    ASSERT_TRUE(noisy.accuracy_max_rel_error && noisy.accuracy_cosine);
    EXPECT_NEAR(*noisy.accuracy_max_rel_error, 0.01, 1e-4);
    EXPECT_LT(*noisy.accuracy_cosine, 1.0);
    EXPECT_GT(noisy.throughput_samples_per_s, 0);
  }
}

TEST_F(RunnerAccuracy, WithoutAReferenceTheGateIsEmptyAndTheWarningSaysWhy) {
  const auto r = run("0", 2, false);
  EXPECT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.accuracy_gate, "");
  EXPECT_FALSE(r.accuracy_cosine);
  EXPECT_NE(r.warnings.find("accuracy not checked: no fp32 reference for fake"), std::string::npos)
      << r.warnings;
}

}  // namespace
}  // namespace infbench
