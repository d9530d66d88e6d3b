// The pipeline and scenario drivers on the fake backend: every query completes exactly once and
// in order, each batch's outputs belong to its gathered samples, failures surface, nothing hangs.
#include "core/pipeline.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <numeric>
#include <thread>

#include "core/bounded_queue.hpp"
#include "core/scenarios.hpp"

namespace infbench {
namespace {

Model fake_model(int batch, std::map<std::string, std::string> options = {}) {
  Params p;
  p.batch_size = batch;
  p.options = std::move(options);
  return Model::load("fake", "fake", p);
}

SamplePool pool_for(const Model& m, std::int64_t samples) {
  return SamplePool::random(m.signature().inputs, {{4}}, samples, 3);
}

struct Observed {
  std::mutex mutex;
  std::vector<std::int64_t> completed;
  int output_mismatches = 0;
  std::int64_t rows = 0;
};

// y[i][0] of the fake backend is the sum of sample i: check it against the pool.
Pipeline::OnOutputs check_outputs(const SamplePool& pool, Observed& seen) {
  return [&pool, &seen](const std::vector<std::int64_t>& indices, std::vector<Tensor>& outputs) {
    const auto y = outputs.front().values<float>();
    for (std::size_t i = 0; i < indices.size(); ++i) {
      const Tensor sample = pool.tensors().front().slice_batch(indices[i], 1);
      const auto v = sample.values<float>();
      const float sum = std::accumulate(v.begin(), v.end(), 0.0F);
      if (std::abs(y[i * 3] - sum) > 1e-4F) ++seen.output_mismatches;
    }
    seen.rows += static_cast<std::int64_t>(indices.size());
  };
}

void run_queries(bool overlap, bool merge, int batch, std::int64_t query_samples,
                 std::size_t queue_depth = 1, std::size_t max_pending = 3) {
  auto model = fake_model(batch);
  const auto pool = pool_for(model, 16);
  Observed seen;
  PipelineConfig config;
  config.batch_size = batch;
  config.overlap = overlap;
  config.merge_queries = merge;
  config.queue_depth = queue_depth;
  config.max_pending = max_pending;
  Pipeline pipeline(
      model, pool, config,
      [&seen](const QueryCompletion& c) {
        std::lock_guard lock(seen.mutex);
        seen.completed.push_back(c.id);
      },
      check_outputs(pool, seen));
  SampleSequence seq(pool.size(), 5);
  bool all_accepted = true;
  std::jthread submitter([&] {
    for (std::int64_t id = 0; id < 25; ++id) {
      all_accepted = all_accepted && pipeline.submit({id, seq.next(query_samples), Clock::now()});
    }
    pipeline.close();
  });
  pipeline.run();  // the framework runs here, as in the scenarios
  submitter.join();
  EXPECT_TRUE(all_accepted);
  std::vector<std::int64_t> expected(25);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(seen.completed, expected);
  EXPECT_EQ(seen.output_mismatches, 0);
  EXPECT_EQ(seen.rows, 25 * query_samples);
}

TEST(Pipeline, CompletesEveryQueryOnceInOrderWithOverlap) { run_queries(true, false, 4, 4); }
TEST(Pipeline, SameWithoutOverlap) { run_queries(false, false, 4, 4); }
TEST(Pipeline, QueriesLargerThanABatchAreSplit) { run_queries(true, false, 3, 7); }
TEST(Pipeline, SmallQueriesMergeIntoBatches) { run_queries(true, true, 8, 1); }
// Offline's deeper queues, whose consumers wake the producer only at half depth.
TEST(Pipeline, DeeperQueuesWithHalfDepthWakeUps) { run_queries(true, false, 2, 2, 4, 8); }

// A consumer wakes a blocked producer only once the queue is down to wake_producer_at items.
// Queries of 3 samples, one per batch of up to 8 rows: with pad_pow2 every batch runs as 4 rows
// (the framework sees 4), the outputs of the 3 real rows are theirs; without it, 3 rows.
TEST(Pipeline, PartialBatchesRunPaddedToThePowerOfTwoAbove) {
  for (const bool pad : {true, false}) {
    auto model = fake_model(8);
    const auto pool = pool_for(model, 16);
    Observed seen;
    std::vector<std::int64_t> framework_rows;
    PipelineConfig config;
    config.batch_size = 8;
    config.pad_pow2 = pad;
    const auto check = check_outputs(pool, seen);
    Pipeline pipeline(
        model, pool, config, [](const QueryCompletion&) {},
        [&](const std::vector<std::int64_t>& indices, std::vector<Tensor>& outputs) {
          framework_rows.push_back(outputs.front().batch());
          check(indices, outputs);
        });
    SampleSequence seq(pool.size(), 5);
    std::jthread submitter([&] {
      for (std::int64_t id = 0; id < 10; ++id) pipeline.submit({id, seq.next(3), Clock::now()});
      pipeline.close();
    });
    pipeline.run();
    submitter.join();
    EXPECT_EQ(framework_rows, std::vector<std::int64_t>(10, pad ? 4 : 3)) << "pad " << pad;
    EXPECT_EQ(seen.output_mismatches, 0);
    EXPECT_EQ(seen.rows, 30);
  }
}

TEST(BoundedQueue, WakesTheProducerAtTheLowWaterMark) {
  BoundedQueue<int> queue(4, 2);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(queue.push(i));
  std::atomic<bool> pushed = false;
  std::jthread producer([&] {
    queue.push(4);
    pushed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the producer is asleep: full
  EXPECT_FALSE(pushed);
  EXPECT_EQ(queue.pop(), 0);  // 3 left: above the mark, the producer sleeps on
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(pushed);
  EXPECT_EQ(queue.pop(), 1);  // 2 left: woken
  producer.join();
  EXPECT_TRUE(pushed);
  for (int expected : {2, 3, 4}) EXPECT_EQ(queue.pop(), expected);
}

TEST(Pipeline, FrameworkFailureSurfacesAtDrainAndUnblocksSubmitters) {
  auto model = fake_model(2, {{"fault_at_batch", "3"}});
  const auto pool = pool_for(model, 8);
  PipelineConfig config;
  config.batch_size = 2;
  config.max_pending = 1;
  Pipeline pipeline(model, pool, config, [](const QueryCompletion&) {});
  SampleSequence seq(pool.size(), 1);
  std::int64_t accepted = 0;
  std::jthread submitter([&] {
    for (std::int64_t id = 0; id < 50; ++id) {
      if (!pipeline.submit({id, seq.next(2), Clock::now()})) break;
      ++accepted;
    }
    pipeline.close();
  });
  EXPECT_THROW(pipeline.run(), Error);
  submitter.join();  // a blocked submitter was released by the failure
  EXPECT_TRUE(pipeline.failed());
  EXPECT_LT(accepted, 50);
}

TEST(Pipeline, CancelReturnsWithQueriesStillPending) {
  auto model = fake_model(1, {{"delay_ms", "20"}});
  const auto pool = pool_for(model, 4);
  PipelineConfig config;
  Pipeline pipeline(model, pool, config, [](const QueryCompletion&) {});
  SampleSequence seq(pool.size(), 1);
  for (std::int64_t id = 0; id < 100; ++id) pipeline.submit({id, seq.next(1), Clock::now()});
  std::jthread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pipeline.cancel();
  });
  pipeline.run();
  EXPECT_LT(pipeline.batches(), 100);
}

TEST(SampleSequence, VisitsEverySampleOncePerPassDeterministically) {
  SampleSequence a(10, 42), b(10, 42);
  auto first = a.next(10);
  EXPECT_EQ(first, b.next(10));
  std::sort(first.begin(), first.end());
  std::vector<std::int64_t> all(10);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(first, all);
}

}  // namespace
}  // namespace infbench
