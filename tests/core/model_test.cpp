// The unified API driven by the fake backend: batching, partial batches, order, name matching,
// validation and error propagation, without any real framework.
#include "infbench/model.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "error_of.hpp"
#include "infbench/registry.hpp"

namespace infbench {
namespace {

Tensor samples(std::int64_t rows, std::int64_t features, float scale = 1.0F) {
  Tensor t(DType::float32, {rows, features});
  auto v = t.values<float>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = scale * static_cast<float>(i % 7) - 2.0F;
  return t;
}

// The fake backend's definition, computed independently: y[i][k] = (k+1) * sum(sample i).
std::vector<float> expected_y(const std::vector<Tensor>& inputs) {
  const auto rows = inputs.front().shape()[0];
  std::vector<float> y;
  for (std::int64_t i = 0; i < rows; ++i) {
    double sum = 0;
    for (const auto& in : inputs) {
      const Tensor row = in.slice_batch(i, 1);
      for (float v : row.values<float>()) sum += v;
    }
    for (int k = 0; k < 3; ++k) y.push_back(static_cast<float>((k + 1) * sum));
  }
  return y;
}

Params with_options(int batch, std::map<std::string, std::string> options) {
  Params p;
  p.batch_size = batch;
  p.options = std::move(options);
  return p;
}

using test_support::error_of;

TEST(Model, SplitsIntoBatchesKeepsOrderAndHandlesPartialLastBatch) {
  for (int batch : {1, 3, 4, 10, 64}) {
    auto model = Model::load("fake", "fake", with_options(batch, {{"features", "5"}}));
    const Tensor x = samples(10, 5);
    const auto out = model.predict({{"x0", x}});
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out[0].name, "y");
    EXPECT_EQ(out[0].tensor.shape(), (Shape{10, 3}));
    const auto y = out[0].tensor.values<float>();
    EXPECT_EQ(std::vector<float>(y.begin(), y.end()), expected_y({x})) << "batch " << batch;
    EXPECT_EQ(out[1].tensor.shape(), (Shape{10}));
    EXPECT_EQ(out[1].tensor.dtype(), DType::int64);
  }
}

// predict() runs on the pipeline: the next batch's preparation overlaps the current batch's
// compute. Both stand-ins sleep (fake delay_ms, a sleeping prepare function), so the overlap needs
// no idle core and the check holds on a loaded CI machine; bench/predict_overlap measures the
// ratio with busy preparation and compute. Outputs are the same sample by sample.
TEST(Model, PredictOverlapsPreparationWithComputeAndKeepsOutputsInOrder) {
  auto model =
      Model::load("fake", "fake", with_options(100, {{"features", "4"}, {"delay_ms", "2"}}));
  const Tensor x = samples(10000, 4);
  std::atomic<std::int64_t> prepared_rows = 0;
  auto timed = [&](bool overlap) {
    PredictOptions options;
    options.overlap = overlap;
    options.prepare = [&](std::vector<Tensor>&, std::int64_t rows) {
      prepared_rows += rows;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // as long as the compute
    };
    const auto start = std::chrono::steady_clock::now();
    auto out = model.predict({{"x0", x}}, options);
    return std::pair{
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
        std::move(out)};
  };
  const auto [serial_s, serial] = timed(false);
  const auto [overlap_s, overlapped] = timed(true);
  EXPECT_EQ(prepared_rows.load(), 20000);
  const auto expected = expected_y({x});
  for (const auto* out : {&serial, &overlapped}) {
    ASSERT_EQ(out->front().tensor.shape(), (Shape{10000, 3}));
    const auto y = out->front().tensor.values<float>();
    EXPECT_EQ(std::vector<float>(y.begin(), y.end()), expected);
  }
  // 100 batches of ~2 ms compute + ~2 ms preparation: ~0.4 s in turn, ~0.2 s overlapped (1.5:
  // margin for a loaded CI machine; without the overlap the ratio is 1).
  EXPECT_GE(serial_s / overlap_s, 1.5) << "serial " << serial_s << " s, overlapped " << overlap_s;
}

TEST(Model, PredictPreparesTheBatchThatIsComputed) {
  auto model = Model::load("fake", "fake", with_options(4, {{"features", "3"}}));
  const Tensor x = samples(10, 3);
  PredictOptions options;
  options.prepare = [](std::vector<Tensor>& batch, std::int64_t rows) {
    auto v = batch.front().values<float>();
    for (std::size_t i = 0; i < static_cast<std::size_t>(rows * 3); ++i) v[i] *= 2.0F;
  };
  const auto out = model.predict({{"x0", x}}, options);
  const auto y = out.front().tensor.values<float>();
  Tensor doubled = samples(10, 3);
  for (auto& v : doubled.values<float>()) v *= 2.0F;
  EXPECT_EQ(std::vector<float>(y.begin(), y.end()), expected_y({doubled}));
}

TEST(Model, SingleUnnamedInputGoesToSingleInputModel) {
  auto model = Model::load("fake", "fake", with_options(2, {}));
  const Tensor x = samples(3, 4);
  EXPECT_EQ(model.predict({{"", x}})[0].tensor.shape(), (Shape{3, 3}));
}

TEST(Model, MultipleInputsAreMatchedByNameWhateverTheirOrder) {
  auto model = Model::load("fake", "fake", with_options(2, {{"inputs", "2"}}));
  const Tensor a = samples(5, 4, 1.0F), b = samples(5, 4, 10.0F);
  const auto out = model.predict({{"x1", b}, {"x0", a}});
  const auto y = out[0].tensor.values<float>();
  EXPECT_EQ(std::vector<float>(y.begin(), y.end()), expected_y({a, b}));
  EXPECT_NE(error_of([&] {
              model.predict({{"x0", a}});
            }).find("input 'x1' float32[?,4] is missing"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model.predict({{"x0", a}, {"z", b}});
            }).find("inputs: x0, x1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { model.predict({{"", a}}); }).find("name each one"), std::string::npos);
}

TEST(Model, RefusesInputsThatDoNotMatchTheModel) {
  auto model = Model::load("fake", "fake", with_options(2, {}));
  EXPECT_NE(error_of([&] {
              model.predict({{"x0", samples(2, 5)}});
            }).find("input 'x0' has shape [2,5] but the model expects 'x0' float32[?,4]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model.predict({{"x0", Tensor(DType::int64, {2, 4})}});
            }).find("is int64 but the model expects"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model.predict({{"x0", samples(0, 4)}});
            }).find("0 samples"),
            std::string::npos);
}

// An fp16 AOTInductor package records a float16 input: float32 data (a .npy file) is converted
// to it on the host, as a user of that precision converts theirs; non-float data is still refused.
TEST(Model, FloatDataIsConvertedToTheFloatTypeTheModelRecords) {
  auto model = Model::load("fake", "fake", with_options(2, {{"input_dtype", "float16"}}));
  EXPECT_EQ(model.signature().inputs.front().dtype, DType::float16);
  const Tensor x = samples(3, 4, 0.5F);  // values k/2 - 2: exact in float16
  for (const auto& name : {std::string("x0"), std::string()}) {
    const auto out = model.predict({{name, x}});
    const auto y = out[0].tensor.values<float>();
    EXPECT_EQ(std::vector<float>(y.begin(), y.end()), expected_y({x})) << "name '" << name << "'";
  }
  EXPECT_NE(error_of([&] {
              model.predict({{"x0", Tensor(DType::int64, {2, 4})}});
            }).find("is int64 but the model expects 'x0' float16[?,4]"),
            std::string::npos);
  const Tensor half = converted_float(x, DType::float16);
  const auto out = model.predict({{"x0", half}});
  const auto y = out[0].tensor.values<float>();
  EXPECT_EQ(std::vector<float>(y.begin(), y.end()), expected_y({x})) << "float16 data as it is";
}

TEST(Model, FrameworkFailureMidRunPropagatesAsError) {
  auto model = Model::load("fake", "fake", with_options(2, {{"fault_at_batch", "3"}}));
  EXPECT_NE(error_of([&] {
              model.predict({{"x0", samples(10, 4)}});
            }).find("failed on batch 3"),
            std::string::npos);
}

TEST(Model, ReportsEffectiveSettingsAndLoadPhases) {
  auto model = Model::load("fake", "fake", with_options(8, {{"delay_ms", "2"}}));
  const auto settings = model.effective_settings();
  EXPECT_NE(std::find(settings.begin(), settings.end(),
                      std::pair<std::string, std::string>{"delay_ms", "2"}),
            settings.end());
  ASSERT_EQ(model.load_timing().phases_s.size(), 1U);
  EXPECT_EQ(model.load_timing().phases_s[0].first, "read");
  EXPECT_EQ(model.requested().batch_size, 8);
}

// A fake backend with declared shapes, for predict()'s split rules (core/batch_plan.hpp):
//   x [x_rows, 2] float32 (x_rows -1: dynamic), w [2] float32 and s [] float32 (both fixed)
//   y [rows, 2] = s * x * w elementwise, row by row; total [] = sum(w), not batched
// It records the rows of every call.
class ShapedBackend final : public Backend {
 public:
  explicit ShapedBackend(std::int64_t x_rows, std::vector<std::int64_t>* calls)
      : x_rows_(x_rows), calls_(calls) {}
  BackendInfo info() const override {
    BackendInfo info;
    info.name = "shaped";
    info.precisions = {"fp32"};
    info.optimization_levels = {"none"};
    info.needs_model_file = false;
    return info;
  }
  LoadResult load(const std::filesystem::path&, const Params&, PhaseMarker&) override {
    signature_.inputs = {
        {"x", DType::float32, {x_rows_, 2}}, {"w", DType::float32, {2}}, {"s", DType::float32, {}}};
    signature_.outputs = {{"y", DType::float32, {x_rows_, 2}}, {"total", DType::float32, {}}};
    return {};
  }
  const Signature& signature() const override { return signature_; }
  Settings effective_settings() const override { return {{"batch_size", "?"}}; }
  std::vector<Tensor> run_batch(std::span<const TensorView> in) override {
    if (in[1].shape != Shape{2} || !in[2].shape.empty()) throw Error(ErrorKind::framework, "split");
    const auto rows = in[0].shape[0];
    calls_->push_back(rows);
    const auto* x = reinterpret_cast<const float*>(in[0].data);
    const auto* w = reinterpret_cast<const float*>(in[1].data);
    const float s = *reinterpret_cast<const float*>(in[2].data);
    Tensor y(DType::float32, {rows, 2});
    auto v = y.values<float>();
    for (std::int64_t i = 0; i < rows * 2; ++i) v[i] = s * x[i] * w[i % 2];
    const std::vector<float> total{w[0] + w[1]};
    return {std::move(y), Tensor::from_values<float>({}, total)};
  }

 private:
  std::int64_t x_rows_;
  std::vector<std::int64_t>* calls_;
  Signature signature_;
};

Model load_shaped(std::int64_t x_rows, int batch_size, std::vector<std::int64_t>& calls) {
  Params p;
  p.batch_size = batch_size;
  return Model::load(std::make_unique<ShapedBackend>(x_rows, &calls), "shaped", p);
}

NamedTensors shaped_inputs(std::int64_t rows) {
  const std::vector<float> w{2.0F, -1.0F}, s{3.0F};
  return {{"x", samples(rows, 2)},
          {"w", Tensor::from_values<float>({2}, w)},
          {"s", Tensor::from_values<float>({}, s)}};
}

std::vector<float> shaped_y(std::int64_t rows) {
  const Tensor x = samples(rows, 2);
  std::vector<float> y;
  for (std::size_t i = 0; i < static_cast<std::size_t>(rows * 2); ++i) {
    y.push_back(3.0F * x.values<float>()[i] * (i % 2 == 0 ? 2.0F : -1.0F));
  }
  return y;
}

void expect_shaped_outputs(const NamedTensors& out, std::int64_t rows) {
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].tensor.shape(), (Shape{rows, 2}));
  const auto y = out[0].tensor.values<float>();
  EXPECT_EQ(std::vector<float>(y.begin(), y.end()), shaped_y(rows));
  EXPECT_EQ(out[1].tensor.shape(), Shape{});  // the whole output: the first call's, as returned
  EXPECT_EQ(out[1].tensor.values<float>()[0], 1.0F);
}

TEST(ModelSplit, FixedBatchOfOneRunsOneCallPerSampleWithoutABatchSize) {
  std::vector<std::int64_t> calls;
  auto model = load_shaped(1, 0, calls);  // batch_size 0: the model's own
  EXPECT_EQ(model.batch_size(), 1);
  expect_shaped_outputs(model.predict(shaped_inputs(5)), 5);
  EXPECT_EQ(calls, (std::vector<std::int64_t>{1, 1, 1, 1, 1}));
  EXPECT_EQ(model.last_predict().whole_inputs, (std::vector<std::string>{"w", "s"}));
  EXPECT_EQ(model.last_predict().calls, 5);
}

TEST(ModelSplit, FixedBatchPadsTheLastCallAndDropsThePadding) {
  std::vector<std::int64_t> calls;
  auto model = load_shaped(2, 0, calls);
  EXPECT_EQ(model.batch_size(), 2);
  expect_shaped_outputs(model.predict(shaped_inputs(5)), 5);
  EXPECT_EQ(calls, (std::vector<std::int64_t>{2, 2, 2}));
  // Another batch than the file's is refused at load, naming the one that fits.
  EXPECT_NE(
      error_of([&] { load_shaped(2, 3, calls); }).find("fixed batch of 2; use --batch-size 2"),
      std::string::npos);
}

TEST(ModelSplit, DynamicBatchSplitsOnlyTheBatchedInput) {
  std::vector<std::int64_t> calls;
  auto model = load_shaped(-1, 2, calls);
  expect_shaped_outputs(model.predict(shaped_inputs(5)), 5);
  EXPECT_EQ(calls, (std::vector<std::int64_t>{2, 2, 1}));
  EXPECT_EQ(model.signature().static_batch(), 0);  // w and s are fixed, x is not: dynamic
}

TEST(ModelSplit, InputsGivenAsDeclaredGoWholeInOneCall) {
  std::vector<std::int64_t> calls;
  auto model = load_shaped(1, 0, calls);
  expect_shaped_outputs(model.predict(shaped_inputs(1)), 1);
  EXPECT_EQ(calls, (std::vector<std::int64_t>{1}));
  EXPECT_EQ(model.last_predict().samples, 0);  // nothing split
}

TEST(ModelSplit, NoSplittingRunsOneCallWithTheTensorsAsGiven) {
  std::vector<std::int64_t> calls;
  auto model = load_shaped(-1, 2, calls);
  PredictOptions whole;
  whole.split = false;
  expect_shaped_outputs(model.predict(shaped_inputs(5), whole), 5);
  EXPECT_EQ(calls, (std::vector<std::int64_t>{5}));
}

TEST(ModelSplit, BatchedInputsWithDifferentRowsAreRefusedNamingTheFix) {
  auto model = Model::load("fake", "fake", with_options(2, {{"inputs", "2"}}));
  const auto message = error_of([&] {
    model.predict({{"x0", samples(5, 4)}, {"x1", samples(3, 4)}});
  });
  EXPECT_NE(message.find("input 'x1' has 3 rows but input 'x0' has 5"), std::string::npos)
      << message;
  EXPECT_NE(message.find("--batch-size 0"), std::string::npos) << message;
}

TEST(Registry, UnknownFrameworkListsTheBuiltInOnes) {
  const auto message = error_of([] { create_backend("tensorrt"); });
  EXPECT_NE(message.find("framework 'tensorrt' is not built into this binary; available: fake"),
            std::string::npos)
      << message;
  EXPECT_GE(backend_table().size(), 1U);
  for (const auto& entry : backend_table()) {
    EXPECT_EQ(entry.create()->info().name, entry.name);
  }
}

TEST(ValidateParams, NamesTheFieldAndTheValidValues) {
  const auto info = create_backend("fake")->info();
  auto check = [&](Params p) { return error_of([&] { validate_params(p, info); }); };
  Params p;
  EXPECT_EQ(check(p), "(no error)");
  p.options = {{"dealy_ms", "1"}};
  EXPECT_EQ(check(p),
            "option 'dealy_ms' is unknown to framework 'fake'; valid: delay_ms, "
            "per_sample_us, features, spin, shift, inputs, noise, fault, fault_at_batch, "
            "slow_batches, slow_after_ms, per_shape_setup, alloc_mb, input_dtype");
  p.options = {{"inputs", "3"}};
  EXPECT_EQ(check(p), "option inputs='3' is invalid; valid: 1, 2");
  p.options = {{"delay_ms", "-4"}};
  EXPECT_EQ(check(p), "option delay_ms='-4' must be an integer >= 0");
  p.options = {};
  p.batch_size = 0;
  EXPECT_EQ(check(p), "(no error)");  // 0: the model's own batch
  p.batch_size = -1;
  EXPECT_EQ(check(p), "batch_size -1 must be >= 1 (or 0: the model's fixed batch, else 1)");
  p.batch_size = 1;
  p.device = 0;
  EXPECT_EQ(check(p),
            "device 0: framework 'fake' has no GPU in this build/machine; use --device -1 (CPU)");
  p.device = -1;
  p.precision = "int4";
  EXPECT_EQ(check(p), "precision 'int4' is not offered by framework 'fake' here; valid: fp32");
  p.precision = "fp32";
  p.optimization = "max";
  EXPECT_EQ(check(p), "optimization 'max' is not a level of framework 'fake'; valid: none");
  p.optimization = "";
  p.cache_dir = "/tmp/x";
  EXPECT_EQ(check(p), "cache_dir: framework 'fake' has no optimised-model cache");
}

TEST(Params, ParsesKeyValue) {
  EXPECT_EQ(parse_key_value("a=b=c"), (std::pair<std::string, std::string>{"a", "b=c"}));
  EXPECT_THROW(parse_key_value("novalue"), Error);
  EXPECT_THROW(parse_key_value("=x"), Error);
  EXPECT_GE(default_thread_count(), 1);
}

}  // namespace
}  // namespace infbench
