// Data-parallel predict on the fake backend's SIMULATED GPUs (INFBENCH_FAKE_SIMULATED_GPUS):
// shares, ordering and reassembly are checked exactly; no timing here is a GPU measurement.
#include "infbench/data_parallel.hpp"
#include "infbench/data_parallel_bench.hpp"
#include "infbench/error.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>

#include "error_of.hpp"

namespace infbench {
namespace {

class DataParallel : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("INFBENCH_FAKE_SIMULATED_GPUS", "4", 1); }
  void TearDown() override { ::unsetenv("INFBENCH_FAKE_SIMULATED_GPUS"); }
};

// Every sample distinct, so that any reordering or duplication changes the output.
NamedTensors distinct_samples(std::int64_t rows) {
  Tensor t(DType::float32, {rows, 4});
  auto v = t.values<float>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.5F - 3.0F;
  return {{"", std::move(t)}};
}

TEST(SplitSamples, WholeBatchesAsEvenAsPossible) {
  using Shares = std::vector<std::pair<std::int64_t, std::int64_t>>;
  EXPECT_EQ(split_samples(10, 2, 2), (Shares{{0, 6}, {6, 4}}));  // 5 batches: 3 + 2
  EXPECT_EQ(split_samples(11, 3, 4), (Shares{{0, 4}, {4, 4}, {8, 3}}));
  EXPECT_EQ(split_samples(3, 4, 2), (Shares{{0, 2}, {2, 1}, {3, 0}, {3, 0}}));
  EXPECT_EQ(split_samples(0, 2, 8), (Shares{{0, 0}, {0, 0}}));
}

TEST_F(DataParallel, OutputsMatchOneDeviceInOrder) {
  Params params;
  params.batch_size = 3;
  params.options = {{"delay_ms", "1"}};
  const auto inputs = distinct_samples(23);
  auto single = Model::load("fake", "m", params);
  const auto expected = single.predict(inputs);
  for (const std::vector<int>& devices : {std::vector<int>{0, 1}, {0, 1, 2}, {3, 0, 2, 1}}) {
    auto models = load_on_devices("fake", "m", params, devices);
    ASSERT_EQ(models.size(), devices.size());
    for (std::size_t i = 0; i < devices.size(); ++i) {
      EXPECT_EQ(models[i].requested().device, devices[i]);
    }
    const auto result = predict_data_parallel(models, inputs);
    ASSERT_EQ(result.outputs.size(), expected.size());
    for (std::size_t k = 0; k < expected.size(); ++k) {
      EXPECT_EQ(result.outputs[k].name, expected[k].name);
      EXPECT_EQ(result.outputs[k].tensor.shape(), expected[k].tensor.shape());
      EXPECT_EQ(result.outputs[k].tensor.to_float(), expected[k].tensor.to_float());
    }
    std::int64_t covered = 0;
    for (const auto& share : result.shares) {
      EXPECT_EQ(share.first_sample, covered);
      covered += share.samples;
    }
    EXPECT_EQ(covered, 23);
  }
}

TEST_F(DataParallel, MoreDevicesThanBatches) {
  Params params;
  params.batch_size = 4;
  auto models = load_on_devices("fake", "m", params, {0, 1, 2, 3});
  const auto result = predict_data_parallel(models, distinct_samples(5));
  EXPECT_EQ(result.outputs.front().tensor.shape(), (Shape{5, 3}));
  EXPECT_EQ(result.shares[2].samples, 0);
}

TEST_F(DataParallel, RefusesRepeatedAndUnknownDevices) {
  Params params;
  EXPECT_THROW(load_on_devices("fake", "m", params, {0, 0}), Error);
  EXPECT_THROW(load_on_devices("fake", "m", params, {0, 7}), Error);  // only 4 simulated
}

TEST_F(DataParallel, ErrorOnOneDeviceIsThrown) {
  Params params;
  params.options = {{"fault_at_batch", "1"}};
  auto models = load_on_devices("fake", "m", params, {0, 1});
  EXPECT_THROW(predict_data_parallel(models, distinct_samples(4)), Error);
}

TEST_F(DataParallel, RefusesAnInputThatWouldGoWhole) {
  Params params;
  params.options = {{"inputs", "2"}};
  auto models = load_on_devices("fake", "m", params, {0, 1});
  const std::vector<float> one{1.0F};
  try {
    predict_data_parallel(models, {{"x0", Tensor(DType::float32, {4, 4})},
                                   {"x1", Tensor::from_values<float>({}, one)}});
    FAIL() << "a scalar input was split across devices";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input 'x1' goes whole"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace infbench

namespace infbench {
namespace {

RunConfig quick_offline() {
  RunConfig c;
  c.min_duration_s = 0.2;
  c.warmup_s = 0.05;
  c.idle_power_s = 0;
  c.repeat = 3;
  return c;
}

// Two simulated devices, each a sleeping fake: they do not compete for the CPU, so the aggregate
// is about twice one device alone. Checked: the record's structure and that the figures agree.
TEST_F(DataParallel, BenchMeasuresTheDevicesAtOnceAndAgainstOneAlone) {
  Params params;
  params.batch_size = 4;
  params.options = {{"delay_ms", "2"}};
  const auto b = bench_data_parallel("fake", "m", params, {0, 1}, quick_offline());
  ASSERT_TRUE(b.ok()) << b.alone.record.error;
  ASSERT_EQ(b.together.size(), 2U);
  EXPECT_EQ(b.together[1].record.device, 1);
  ASSERT_EQ(b.aggregate_per_repeat.size(), 3U);
  const double sum =
      b.together[0].record.throughput_samples_per_s + b.together[1].record.throughput_samples_per_s;
  EXPECT_NEAR(b.aggregate / sum, 1.0, 0.05);
  ASSERT_TRUE(b.aggregate_low && b.aggregate_high && b.efficiency && b.efficiency_low);
  EXPECT_LE(*b.aggregate_low, b.aggregate);
  EXPECT_GE(*b.aggregate_high, b.aggregate);
  EXPECT_NEAR(*b.efficiency, b.aggregate / (2 * b.alone.record.throughput_samples_per_s),
              0.05 * *b.efficiency);
  EXPECT_GT(*b.efficiency, 0.5);
  EXPECT_LT(*b.efficiency, 1.5);
  EXPECT_GT(b.overlap, 0.5) << "the devices measured in turn, not at once";
}

using test_support::error_of;

// Refused with the reason; a device that cannot load stops the others before they measure (its
// thread leaves the barriers: no deadlock) and the user's error comes back as it was.
TEST_F(DataParallel, BenchRefusesWhatItCannotMeasure) {
  Params params;
  params.batch_size = 2;
  const auto c = quick_offline();
  EXPECT_NE(error_of([&] {
              bench_data_parallel("fake", "m", params, {0}, c);
            }).find("at least two devices"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              bench_data_parallel("fake", "m", params, {1, 1}, c);
            }).find("device 1 is listed twice"),
            std::string::npos);
  auto server = c;
  server.scenario = Scenario::server;
  EXPECT_NE(error_of([&] {
              bench_data_parallel("fake", "m", params, {0, 1}, server);
            }).find("measures the offline scenario"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              bench_data_parallel("fake", "m", params, {0, 7}, c);
            }).find("device 7"),
            std::string::npos);
}

}  // namespace
}  // namespace infbench
