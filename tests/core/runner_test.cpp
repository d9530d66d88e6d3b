// run_benchmark() end to end on the fake backend. Assertions are on counts, structure and the
// record's contract, not on timings (performance claims live in bench/).
#include "infbench/runner.hpp"
#include "infbench/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/record_json.hpp"
#include "error_of.hpp"

namespace infbench {
namespace {

Params fake_params(int batch, std::map<std::string, std::string> options = {}) {
  Params p;
  p.batch_size = batch;
  p.options = std::move(options);
  return p;
}

RunConfig quick(Scenario scenario) {
  RunConfig c;
  c.scenario = scenario;
  c.min_duration_s = 0.05;
  c.min_queries = 20;
  c.warmup_s = 0;
  c.warmup_queries = 2;
  c.idle_power_s = 0.05;
  c.pool_samples = 16;
  return c;
}

TEST(Runner, OfflineMeetsTheMinimaAndFillsTheRecord) {
  const auto result =
      run_benchmark("fake", "fake", fake_params(4, {{"delay_ms", "1"}}), quick(Scenario::offline));
  const auto& r = result.record;
  EXPECT_EQ(r.status, "ok") << r.error;
  EXPECT_GE(r.queries_completed, 20);
  EXPECT_EQ(r.samples_completed, 4 * r.queries_completed);
  EXPECT_EQ(static_cast<std::int64_t>(result.latencies_ms.size()), r.queries_completed);
  EXPECT_GT(r.throughput_samples_per_s, 0);
  ASSERT_TRUE(r.latency_p50_ms && r.latency_p99_ms && r.latency_min_ms && r.latency_max_ms);
  EXPECT_LE(*r.latency_min_ms, *r.latency_p50_ms);
  EXPECT_LE(*r.latency_p50_ms, *r.latency_p99_ms);
  EXPECT_LE(*r.latency_p99_ms, *r.latency_max_ms);
  EXPECT_TRUE(r.first_inference_s.has_value());
  EXPECT_TRUE(r.load_time_s.has_value());
  EXPECT_EQ(r.cache, "not_used");
  EXPECT_FALSE(result.environment.empty());
}

TEST(Runner, ScenariosShapeTheirQueries) {
  auto multi = quick(Scenario::multi_stream);
  multi.samples_per_query = 6;
  const auto m = run_benchmark("fake", "fake", fake_params(4), multi).record;
  EXPECT_EQ(m.samples_completed, 6 * m.queries_completed);
  EXPECT_EQ(m.samples_per_query, 6);
  const auto s =
      run_benchmark("fake", "fake", fake_params(4), quick(Scenario::single_stream)).record;
  EXPECT_EQ(s.samples_completed, s.queries_completed);
}

TEST(Runner, RepeatsGiveConfidenceIntervals) {
  auto config = quick(Scenario::offline);
  config.repeat = 3;
  const auto result = run_benchmark("fake", "fake", fake_params(2), config);
  EXPECT_EQ(result.record.repeats, 3);
  EXPECT_EQ(result.repeat_results.size(), 3U);
  ASSERT_TRUE(result.record.throughput_ci95_low && result.record.throughput_ci95_high);
  EXPECT_LE(*result.record.throughput_ci95_low, *result.record.throughput_ci95_high);
  EXPECT_TRUE(result.record.latency_p99_ci95_low_ms.has_value());
}

TEST(Runner, ServerOverloadIsReportedNotWaitedFor) {
  auto config = quick(Scenario::server);
  config.target_qps = 5000;  // a 10 ms backend serves at most 100 queries/s
  config.min_duration_s = 3;
  const auto r = run_benchmark("fake", "fake", fake_params(1, {{"delay_ms", "10"}}), config).record;
  EXPECT_EQ(r.status, "ok");
  EXPECT_NE(r.server_verdict.find("INVALID (target QPS not reached"), std::string::npos)
      << r.server_verdict;
  // Each repeat stopped at the backlog limit, well before min_duration_s.
  ASSERT_EQ(r.repeats, 3);  // the default
  EXPECT_LT(r.duration_s / static_cast<double>(r.repeats), 2.5);
}

TEST(Runner, RepeatsGiveACvAndStabilityFollowsItsBound) {
  auto config = quick(Scenario::offline);
  config.min_queries = 30;
  config.max_repeat_cv = 1e-9;  // no two real repeats agree this well
  const auto strict = run_benchmark("fake", "fake", fake_params(2, {{"delay_ms", "1"}}), config);
  ASSERT_EQ(strict.record.repeats, 3);
  ASSERT_TRUE(strict.record.throughput_cv.has_value());
  EXPECT_GT(*strict.record.throughput_cv, 0);
  EXPECT_EQ(strict.record.stable, std::optional<bool>(false));
  EXPECT_NE(strict.record.warnings.find("repeats' throughput CV"), std::string::npos);

  config.max_repeat_cv = 10;  // any CV passes: only the query count decides
  config.min_duration_s = 0;
  config.min_queries = 5;
  const auto few = run_benchmark("fake", "fake", fake_params(2, {{"delay_ms", "1"}}), config);
  ASSERT_LT(few.record.queries_completed, 3 * 30);
  EXPECT_FALSE(few.record.stable.has_value()) << "fewer than 30 queries: not assessed";
  EXPECT_NE(few.record.warnings.find("stability not assessed"), std::string::npos);
}

TEST(Runner, ServerAtAReachableRateIsValid) {
  auto config = quick(Scenario::server);
  config.target_qps = 200;
  config.latency_bound_ms = 1000;
  const auto r = run_benchmark("fake", "fake", fake_params(4), config).record;
  EXPECT_EQ(r.server_verdict, "VALID");
  ASSERT_TRUE(r.issued_qps && r.arrival_gap_cv);
  EXPECT_EQ(*r.target_qps, 200);
}

TEST(Runner, PeakSearchLooksPastAWarmUpThatUnderstatesTheRate) {
  // The first 3 batches take 100 ms instead of 2 (a framework tuning itself in its first calls):
  // the warm-up sees ~10 samples/s, the steady rate is ~500. The search used to stop at 1.1 x the
  // warm-up's rate; it must raise its bracket until the bound fails.
  auto config = quick(Scenario::server);
  config.find_peak = true;
  config.latency_bound_ms = 60;
  config.warmup_s = 0.1;
  config.peak_step_duration_s = 0.2;
  config.repeat = 1;
  const auto result = run_benchmark(
      "fake", "fake", fake_params(1, {{"delay_ms", "2"}, {"slow_batches", "3"}}), config);
  ASSERT_FALSE(result.peak_search.empty());
  ASSERT_TRUE(result.record.target_qps.has_value());
  // The search's highest valid step (the measured run may back off below it on a loaded machine).
  double highest_valid = 0;
  for (const auto& [qps, outcome] : result.peak_search) {
    if (outcome.rfind("valid", 0) == 0) highest_valid = std::max(highest_valid, qps);
  }
  EXPECT_GT(highest_valid, 150) << "the warm-up saw ~10 samples/s";
  const auto steps = std::count_if(
      result.peak_search.begin(), result.peak_search.end(),
      [](const auto& s) { return s.second.find("backing off") == std::string::npos; });
  EXPECT_LE(steps, 12);  // the search's steps; back-offs of the measured run come after them
}

TEST(Runner, PeakWhoseMeasuredRepeatsMissTheBoundIsBackedOff) {
  // Batches take 2 ms (3 x as long once 2.8 s have passed since load: the search takes 1.7-2.6 s):
  // the search's 0.2 s steps run at the fast speed and find ~500 samples/s; the measured repeats
  // run slowed, where that rate overloads the queue. The run must back off (10 % at a time, 3 times
  // at most) instead of reporting the search's rate with a p99 over the bound.
  auto config = quick(Scenario::server);
  config.find_peak = true;
  config.latency_bound_ms = 30;
  config.warmup_s = 0.1;
  config.peak_step_duration_s = 0.2;
  config.min_duration_s = 1;
  config.repeat = 1;
  const auto result = run_benchmark(
      "fake", "fake", fake_params(1, {{"delay_ms", "2"}, {"slow_after_ms", "2800"}}), config);
  std::vector<double> backed_off;
  for (const auto& [qps, outcome] : result.peak_search) {
    if (outcome.find("backing off") != std::string::npos) backed_off.push_back(qps);
  }
  ASSERT_EQ(backed_off.size(), 3U) << "a 3 x slowdown is more than 3 back-offs of 10 % absorb";
  EXPECT_NEAR(backed_off[1] / backed_off[0], 0.9, 1e-9);
  EXPECT_NEAR(backed_off[2] / backed_off[1], 0.9, 1e-9);
  ASSERT_TRUE(result.record.target_qps.has_value());
  EXPECT_NEAR(*result.record.target_qps / backed_off[2], 0.9, 1e-9);
  EXPECT_NE(result.record.server_verdict.find("INVALID"), std::string::npos);
  // The record (and so the database) keeps the search's path, back-offs included.
  EXPECT_NE(result.record.peak_search.find("backing off"), std::string::npos);
  EXPECT_EQ(std::count(result.record.peak_search.begin(), result.record.peak_search.end(), ';') + 1,
            static_cast<std::ptrdiff_t>(result.peak_search.size()));
}

// The record says what each sample fed the model: the recorded type (float16 here, as an fp16
// AOTInductor package), or --input-dtype's, whose data then reaches the framework.
TEST(Runner, RecordsTheInputTypeAndBytesFedPerSample) {
  const auto half = run_benchmark("fake", "fake", fake_params(4, {{"input_dtype", "float16"}}),
                                  quick(Scenario::offline))
                        .record;
  ASSERT_EQ(half.status, "ok") << half.error;
  EXPECT_EQ(half.input_spec, "x0:float16[4]");
  EXPECT_EQ(half.input_bytes_per_sample, 8);
  const auto two =
      run_benchmark("fake", "fake", fake_params(4, {{"inputs", "2"}, {"features", "3"}}),
                    quick(Scenario::offline))
          .record;
  EXPECT_EQ(two.input_spec, "x0:float32[3], x1:float32[3]");
  EXPECT_EQ(two.input_bytes_per_sample, 24);
  auto asked = quick(Scenario::offline);
  asked.sample_dtypes = {DType::float16};
  EXPECT_EQ(test_support::error_of([&] { run_benchmark("fake", "fake", fake_params(4), asked); }),
            "--input-dtype float16 for input 'x0': the model records float32; --input-dtype is "
            "for formats that record no type (TorchScript)");
}

// A model that sets itself up per input shape (LibTorch with CUDA graphs) gets its server batches
// padded to powers of two, and the record says so; other scenarios and other models are not.
TEST(Runner, ServerPadsBatchesForModelsThatSetUpPerShape) {
  auto server = quick(Scenario::server);
  server.target_qps = 200;
  server.latency_bound_ms = 1000;
  server.repeat = 1;
  const auto per_shape = fake_params(8, {{"per_shape_setup", "on"}});
  const auto automatic = run_benchmark("fake", "fake", per_shape, server).record;
  EXPECT_EQ(automatic.status, "ok") << automatic.error;
  EXPECT_NE(automatic.effective_settings.find("pad_batches_pow2=auto"), std::string::npos)
      << automatic.effective_settings;
  const auto plain = run_benchmark("fake", "fake", fake_params(8), server).record;
  EXPECT_EQ(plain.effective_settings.find("pad_batches_pow2"), std::string::npos)
      << plain.effective_settings;
  auto asked = server;
  asked.pad_batches_pow2 = true;
  const auto requested = run_benchmark("fake", "fake", fake_params(8), asked).record;
  EXPECT_NE(requested.effective_settings.find("pad_batches_pow2=on"), std::string::npos)
      << requested.effective_settings;
  const auto offline = run_benchmark("fake", "fake", per_shape, quick(Scenario::offline)).record;
  EXPECT_EQ(offline.effective_settings.find("pad_batches_pow2"), std::string::npos)
      << "offline batches are full: nothing to pad";
  // The fake fails a batch whose row count is not a power of two: the server run above passed
  // because its batches were padded, and unpadded batches of 3 rows do fail.
  auto threes = quick(Scenario::multi_stream);
  threes.samples_per_query = 3;
  const auto unpadded = run_benchmark("fake", "fake", per_shape, threes).record;
  EXPECT_EQ(unpadded.status, "failed");
  EXPECT_NE(unpadded.error.find("3 rows, not a power of two"), std::string::npos) << unpadded.error;
}

TEST(Runner, FailureMidRunIsRecordedWithItsPhase) {
  const auto warm = run_benchmark("fake", "fake", fake_params(2, {{"fault_at_batch", "1"}}),
                                  quick(Scenario::offline));
  EXPECT_EQ(warm.record.status, "failed");
  EXPECT_EQ(warm.record.error_phase, "warmup");
  const auto measure = run_benchmark("fake", "fake", fake_params(2, {{"fault_at_batch", "10"}}),
                                     quick(Scenario::offline));
  EXPECT_EQ(measure.record.status, "failed");
  EXPECT_EQ(measure.record.error_phase, "measure");
  EXPECT_NE(measure.record.error.find("failed on batch 10"), std::string::npos);
}

TEST(Runner, InterruptStopsTheRunAndKeepsWhatWasMeasured) {
  auto config = quick(Scenario::offline);
  config.min_duration_s = 30;
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    interrupt_flag() = true;
  });
  const auto r = run_benchmark("fake", "fake", fake_params(1, {{"delay_ms", "2"}}), config).record;
  stopper.join();
  interrupt_flag() = false;
  EXPECT_EQ(r.status, "interrupted");
  EXPECT_GT(r.queries_completed, 0);
  EXPECT_LT(r.duration_s, 10);
}

TEST(Runner, InterruptBeforeTheFirstInferenceIsAnInterruptionNotAFailure) {
  interrupt_flag() = true;
  const auto r =
      run_benchmark("fake", "fake", fake_params(1, {{"delay_ms", "2"}}), quick(Scenario::offline))
          .record;
  interrupt_flag() = false;
  EXPECT_EQ(r.status, "interrupted");
  EXPECT_EQ(r.error_phase, "warmup");
  EXPECT_EQ(r.error, "interrupted during first inference");
}

TEST(Runner, NonsenseConfigurationIsRefused) {
  auto config = quick(Scenario::server);
  EXPECT_THROW(run_benchmark("fake", "fake", fake_params(1), config), Error);  // no target QPS
  config.find_peak = true;
  EXPECT_THROW(run_benchmark("fake", "fake", fake_params(1), config), Error);  // no latency bound
  auto offline = quick(Scenario::offline);
  offline.repeat = 0;
  EXPECT_THROW(run_benchmark("fake", "fake", fake_params(1), offline), Error);
  EXPECT_THROW(parse_scenario("fastest"), Error);
}

TEST(Report, JsonCarriesEveryFieldAndNullForNotMeasured) {
  const auto result = run_benchmark("fake", "fake", fake_params(2), quick(Scenario::offline));
  const auto json = to_json(result);
  EXPECT_EQ(json["schema_version"], kRecordSchemaVersion);
  int fields = 0;
  visit_fields(result.record, [&](const char* name, const auto&) {
    ++fields;
    EXPECT_TRUE(json["record"].contains(name)) << name;
  });
  EXPECT_EQ(static_cast<int>(json["record"].size()), fields);
  EXPECT_TRUE(json["record"]["target_qps"].is_null());  // not a server run: not measured
  EXPECT_EQ(json["latencies_ms"].size(), result.latencies_ms.size());
  EXPECT_NE(console_summary(result).find("throughput"), std::string::npos);
}

}  // namespace
}  // namespace infbench
