// Ensembles: spec files, combination rules, the engine in every mode, and the ensemble backend,
// with fake members whose outputs are known exactly (src/backends/fake.cpp; `shift` makes members
// disagree).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numeric>

#include "ensemble/helpers.hpp"
#include "error_of.hpp"
#include "infbench/ensemble.hpp"
#include "infbench/registry.hpp"
#include "infbench/runner.hpp"

namespace infbench {
namespace {

std::filesystem::path write_spec(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "infbench_ensemble_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / (name + ".yaml");
  std::ofstream(path) << text;
  return path;
}

// Three fake members that rank the classes differently; `extra` goes into every member's settings.
std::string fake_spec(const std::string& mode, const std::string& combine,
                      const std::string& extra = "") {
  std::string text = "name: fakes\nmode: " + mode + "\ncombine: " + combine + "\nkeep: [b]\n";
  text += "members:\n";
  const char* names[] = {"a", "b", "c"};
  for (int i = 0; i < 3; ++i) {
    text += "  - name: " + std::string(names[i]) + "\n    framework: fake\n    model: m" +
            std::to_string(i) + "\n    weight: " + std::to_string(i + 1) +
            "\n    output: y\n    settings: {shift: " + std::to_string(i) + extra + "}\n";
  }
  return text;
}

using test_support::error_of;

Tensor batch_of(std::int64_t rows, float base) {
  Tensor x(DType::float32, {rows, 4});
  auto v = x.values<float>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = base + 0.25f * static_cast<float>(i % 7) - 0.6f;
  return x;
}

// What the combination rule gives when applied to each member's own output (loaded alone).
Tensor expected_combination(const EnsembleSpec& spec, const Tensor& x) {
  std::vector<Tensor> outputs;
  std::vector<TensorView> views;
  std::vector<double> weights;
  std::vector<bool> probabilities;
  for (const auto& member : spec.members) {
    auto params = member.params;
    params.batch_size = static_cast<int>(x.shape()[0]);
    auto model = Model::load(member.framework, member.model, params);
    const TensorView in = x.view();
    outputs.push_back(std::move(model.run_batch({&in, 1}).front()));
    weights.push_back(member.weight);
    probabilities.push_back(member.probabilities);
  }
  for (const auto& t : outputs) views.push_back(t.view());
  return combine_outputs(spec.combine, views, weights, probabilities);
}

void expect_same(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  const auto av = a.values<float>();
  const auto bv = b.values<float>();
  for (std::size_t i = 0; i < av.size(); ++i) EXPECT_FLOAT_EQ(av[i], bv[i]) << "at " << i;
}

TEST(EnsembleSpec, ReadsMembersAndResolvesPathsAgainstTheSpecFolder) {
  const auto path = write_spec("paths",
                               "members:\n"
                               "  - {name: r, framework: onnxruntime, model: ../m/r.onnx, "
                               "settings: {threads: 2, optimization: all, intra_op: 1}}\n"
                               "  - {framework: libtorch, model: /abs/d.ts, weight: 2.5}\n");
  const auto spec = load_ensemble_spec(path);
  EXPECT_EQ(spec.name, "paths");
  EXPECT_EQ(spec.combine, CombineRule::mean_softmax);
  EXPECT_EQ(spec.mode, EnsembleMode::concurrent);
  ASSERT_EQ(spec.members.size(), 2U);
  EXPECT_EQ(spec.members[0].model, (path.parent_path() / "../m/r.onnx").lexically_normal());
  EXPECT_EQ(spec.members[0].params.threads, 2);
  EXPECT_EQ(spec.members[0].params.optimization, "all");
  EXPECT_EQ(spec.members[0].params.options.at("intra_op"), "1");
  EXPECT_EQ(spec.members[1].name, "d");  // the model file's stem
  EXPECT_EQ(spec.members[1].weight, 2.5);
}

TEST(EnsembleSpec, BatchPlaceholderPicksTheFileCompiledForEachBatchSize) {
  const auto path = write_spec("per_batch",
                               "members:\n"
                               "  - {name: r, framework: onnxruntime, model: \"r.b{batch}.onnx\"}\n"
                               "  - {name: s, framework: onnxruntime, model: s.onnx}\n");
  const auto spec = load_ensemble_spec(path);
  EXPECT_EQ(member_model(spec.members[0], 8), path.parent_path() / "r.b8.onnx");
  EXPECT_EQ(member_model(spec.members[0], 64), path.parent_path() / "r.b64.onnx");
  // The ensemble loads the batch size's file: the error names it. The fake backend reads no
  // file, so this needs ONNX Runtime (absent from the TSan build, which has no framework).
  const auto table = backend_table();
  if (std::none_of(table.begin(), table.end(),
                   [](const auto& e) { return e.name == "onnxruntime"; })) {
    GTEST_SKIP() << "onnxruntime is not built in: the error's file name is not checked";
  }
  EnsembleOptions options;
  options.batch_size = 8;
  const auto error = error_of([&] { Ensemble(spec, options); });
  EXPECT_NE(error.find("member 'r'"), std::string::npos) << error;
  EXPECT_NE(error.find("r.b8.onnx"), std::string::npos) << error;
}

TEST(EnsembleSpec, SharedMemberDeviceIsTheGpuOnlyWhenEveryMemberUsesIt) {
  const auto on_gpu = [](const std::string& name, const std::string& second_settings) {
    return load_ensemble_spec(
        write_spec(name,
                   "members:\n"
                   "  - {name: a, framework: libtorch, model: a.ts, settings: {device: 1}}\n"
                   "  - {name: b, framework: libtorch, model: b.ts" +
                       second_settings + "}\n"));
  };
  EXPECT_EQ(shared_member_device(on_gpu("same_gpu", ", settings: {device: 1}")), 1);
  EXPECT_EQ(shared_member_device(on_gpu("other_gpu", ", settings: {device: 0}")), -1);
  EXPECT_EQ(shared_member_device(on_gpu("one_on_cpu", "")), -1);
}

// placement: member i on devices[i mod n], instead of each member's settings.device; the name
// says where, so that studies of two placements keep apart in one database.
TEST(EnsembleSpec, PlacementPutsMembersOnDevicesInTurn) {
  auto spec = load_ensemble_spec(write_spec(
      "placed",
      "name: p\nplacement: {devices: [0, 1]}\nmembers:\n"
      "  - {name: a, framework: fake, model: a}\n  - {name: b, framework: fake, model: b}\n"
      "  - {name: c, framework: fake, model: c}\n"));
  ASSERT_EQ(spec.members.size(), 3U);
  EXPECT_EQ(spec.members[0].params.device, 0);
  EXPECT_EQ(spec.members[1].params.device, 1);
  EXPECT_EQ(spec.members[2].params.device, 0);
  EXPECT_EQ(spec.name, "p@0,1");
  EXPECT_EQ(spec.placement, (std::vector<int>{0, 1}));
  EXPECT_EQ(shared_member_device(spec), -1);
  place_members(spec, {1});  // what --placement 1 does: all on GPU 1
  EXPECT_EQ(shared_member_device(spec), 1);
  EXPECT_EQ(spec.name, "p@1");
  EXPECT_EQ(parse_placement("2,0", "--placement"), (std::vector<int>{2, 0}));
  EXPECT_NE(error_of([] { parse_placement("0,x", "--placement"); }).find("--placement '0,x'"),
            std::string::npos);
  const auto both = write_spec("placed_twice",
                               "placement: {devices: [0]}\nmembers:\n"
                               "  - {framework: fake, model: a, settings: {device: 1}}\n"
                               "  - {framework: fake, model: b}\n");
  EXPECT_NE(error_of([&] { load_ensemble_spec(both); })
                .find("placed_twice.yaml:3: members[0].settings.device: placement places every "
                      "member"),
            std::string::npos)
      << error_of([&] { load_ensemble_spec(both); });
  const auto bad = write_spec("placed_bad",
                              "placement: [0, 1]\nmembers:\n  - {framework: fake, model: a}\n"
                              "  - {framework: fake, model: b}\n");
  EXPECT_NE(error_of([&] { load_ensemble_spec(bad); }).find("placement: expected {devices:"),
            std::string::npos)
      << error_of([&] { load_ensemble_spec(bad); });
}

TEST(EnsembleSpec, ErrorsNameFileLineFieldAndFix) {
  const auto unknown = write_spec("unknown",
                                  "members:\n  - {framework: fake, model: a}\n"
                                  "  - {framework: fake, model: b, wieght: 2}\n");
  EXPECT_EQ(error_of([&] { load_ensemble_spec(unknown); }),
            unknown.string() +
                ":3: members[1].wieght: unknown field; valid: framework, instances, model, name, "
                "output, probabilities, settings, weight");
  const auto one = write_spec("one", "members:\n  - {framework: fake, model: a}\n");
  EXPECT_NE(
      error_of([&] { load_ensemble_spec(one); }).find("members: expected a list of at least two"),
      std::string::npos);
  const auto twice = write_spec("twice",
                                "members:\n  - {framework: fake, model: a}\n"
                                "  - {framework: fake, model: a}\n");
  EXPECT_NE(error_of([&] { load_ensemble_spec(twice); }).find("'a' is used twice"),
            std::string::npos);
  const auto mode = write_spec("mode",
                               "mode: fastest\nmembers:\n  - {framework: fake, model: a}\n"
                               "  - {framework: fake, model: b}\n");
  EXPECT_NE(error_of([&] {
              load_ensemble_spec(mode);
            }).find(":1: mode: ensemble mode 'fastest' is unknown; valid: sequential"),
            std::string::npos);
  const auto keep = write_spec("keep",
                               "keep: [z]\nmembers:\n  - {framework: fake, model: a}\n"
                               "  - {framework: fake, model: b}\n");
  EXPECT_NE(error_of([&] { load_ensemble_spec(keep); }).find("keep: 'z' is not a member"),
            std::string::npos);
  EXPECT_NE(error_of([&] { load_ensemble_spec("/no/such/spec.yaml"); }).find("not found"),
            std::string::npos);
  // Found by fuzz/ensemble_spec_fuzz.cpp: yaml-cpp's exception used to escape unnamed.
  const auto list_key = write_spec("list_key",
                                   "members:\n  - {framework: fake, model: a}\n"
                                   "  - {framework: fake, model: b, settings: {[x]: 1}}\n");
  EXPECT_EQ(error_of([&] { load_ensemble_spec(list_key); }).find(list_key.string() + ":3: "), 0U);
}

TEST(EnsembleCombine, MeanOfSoftmaxWeightedMeanAndVotes) {
  // Two members, two rows, three classes.
  const float a[] = {0, 1, 2, 5, 0, 0};
  const float b[] = {2, 1, 0, 0, 0, 9};
  const auto ta = Tensor::from_values<float>({2, 3}, a);
  const auto tb = Tensor::from_values<float>({2, 3}, b);
  const std::vector<TensorView> outs = {ta.view(), tb.view()};
  const std::vector<double> weights = {1, 3};
  const std::vector<bool> logits = {false, false};
  auto softmax = [](const float* row, int c) {
    double total = 0;
    for (int k = 0; k < 3; ++k) total += std::exp(row[k]);
    return std::exp(row[c]) / total;
  };
  const auto mean = combine_outputs(CombineRule::mean_softmax, outs, weights, logits);
  const auto weighted = combine_outputs(CombineRule::weighted_mean, outs, weights, logits);
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 3; ++c) {
      const auto i = static_cast<std::size_t>(r * 3 + c);
      EXPECT_NEAR(mean.values<float>()[i], (softmax(a + r * 3, c) + softmax(b + r * 3, c)) / 2,
                  1e-6);
      EXPECT_NEAR(weighted.values<float>()[i],
                  (1 * softmax(a + r * 3, c) + 3 * softmax(b + r * 3, c)) / 4, 1e-6);
    }
  }
  // Votes: row 0 a->2, b->0 (weights 1 and 3): class 0 gets 3/4, class 2 gets 1/4.
  const auto votes = combine_outputs(CombineRule::majority_vote, outs, weights, logits);
  EXPECT_FLOAT_EQ(votes.values<float>()[0], 0.75f);
  EXPECT_FLOAT_EQ(votes.values<float>()[2], 0.25f);
  EXPECT_EQ(argmax_rows(votes.view()), (std::vector<std::int64_t>{0, 2}));
  // Outputs already probabilities are averaged as they are.
  const float p[] = {0.5f, 0.25f, 0.25f, 0, 1, 0};
  const auto tp = Tensor::from_values<float>({2, 3}, p);
  const std::vector<TensorView> probs = {tp.view(), tp.view()};
  const auto same = combine_outputs(CombineRule::mean_softmax, probs, weights, {true, true});
  for (std::size_t i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(same.values<float>()[i], p[i]);
  // Members at fp16/bf16 may return their scores so (XLA's fp16 programs): widened, not refused.
  std::vector<std::uint16_t> b_half, b_bf16;
  for (const float v : b) {
    b_half.push_back(float_to_half(v));
    b_bf16.push_back(float_to_bfloat16(v));
  }
  Tensor th(DType::float16, {2, 3}), tbf(DType::bfloat16, {2, 3});
  std::memcpy(th.data(), b_half.data(), th.byte_size());
  std::memcpy(tbf.data(), b_bf16.data(), tbf.byte_size());
  for (const auto* narrow : {&th, &tbf}) {
    const std::vector<TensorView> mixed = {ta.view(), narrow->view()};
    const auto from_narrow = combine_outputs(CombineRule::mean_softmax, mixed, weights, logits);
    for (std::size_t i = 0; i < 6; ++i)
      EXPECT_NEAR(from_narrow.values<float>()[i], mean.values<float>()[i], 1e-6)
          << to_string(narrow->dtype());  // 2, 1, 0 and 9 are exact in both
  }
  // Mismatched shapes are refused with the fix.
  const auto t3 = Tensor(DType::float32, {3, 3});
  const std::vector<TensorView> bad = {ta.view(), t3.view()};
  EXPECT_NE(error_of([&] {
              combine_outputs(CombineRule::mean_softmax, bad, weights, logits);
            }).find("member 2's output is float32 [3,3]"),
            std::string::npos);
}

TEST(EnsembleBudget, SplitsThreadsOutsideSequentialMode) {
  EnsembleSpec spec;
  spec.members.resize(3);
  EXPECT_EQ(member_thread_budget(spec, EnsembleMode::sequential, 8), (std::vector<int>{8, 8, 8}));
  EXPECT_EQ(member_thread_budget(spec, EnsembleMode::concurrent, 8), (std::vector<int>{3, 3, 2}));
  EXPECT_EQ(member_thread_budget(spec, EnsembleMode::pipelined, 2), (std::vector<int>{1, 1, 1}));
  spec.members[1].params.threads = 5;
  EXPECT_EQ(member_thread_budget(spec, EnsembleMode::concurrent, 8), (std::vector<int>{3, 5, 2}));
}

// The combined output equals the rule applied to the members' own outputs, in every mode and for
// every rule, through the unified API (partial last batch included), and kept outputs are the
// member's own.
TEST(EnsembleBackend, CombinedOutputIsTheRuleAppliedToMemberOutputs) {
  for (const std::string mode : {"sequential", "concurrent", "pipelined"}) {
    for (const std::string rule : {"mean_softmax", "weighted_mean", "majority_vote"}) {
      SCOPED_TRACE(mode + " " + rule);
      const auto path = write_spec("rule_" + mode + "_" + rule, fake_spec(mode, rule));
      const auto spec = load_ensemble_spec(path);
      Params params;
      params.batch_size = 4;
      auto model = Model::load("ensemble", path, params);
      ASSERT_EQ(model.signature().outputs.size(), 3U);  // combined, b/y, b/positives
      EXPECT_EQ(model.signature().outputs[1].name, "b/y");
      const auto x = batch_of(10, 0.1f);  // 4 + 4 + a partial batch of 2
      const auto outputs = model.predict({{"x0", Tensor(x.view())}});
      expect_same(outputs.at(0).tensor, expected_combination(spec, x));
      auto b_params = spec.members[1].params;
      b_params.batch_size = 10;
      auto b = Model::load("fake", "m1", b_params);
      const TensorView in = x.view();
      expect_same(outputs.at(1).tensor, b.run_batch({&in, 1}).front());
    }
  }
}

TEST(EnsembleEngine, PipelinedBatchesComeBackInOrder) {
  auto spec = load_ensemble_spec(
      write_spec("stream", fake_spec("pipelined", "mean_softmax", ", per_sample_us: 300")));
  // Member c is slower, so a and b run ahead of it.
  spec.members[2].params.options["delay_ms"] = "3";
  EnsembleOptions options;
  options.mode = EnsembleMode::pipelined;
  options.batch_size = 2;
  options.queue_depth = 3;
  Ensemble ensemble(spec, options);
  std::vector<Tensor> inputs;
  for (int i = 0; i < 6; ++i) inputs.push_back(batch_of(2, static_cast<float>(i)));
  std::vector<TensorView> views;
  for (const auto& t : inputs) views.push_back(t.view());
  std::vector<Tensor> collected;
  for (std::size_t i = 0; i < views.size(); ++i) {
    ensemble.submit({&views[i], 1});
    if (i >= 2) collected.push_back(std::move(ensemble.collect().front()));
  }
  while (collected.size() < views.size())
    collected.push_back(std::move(ensemble.collect().front()));
  for (std::size_t i = 0; i < views.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same(collected[i], expected_combination(spec, inputs[i]));
  }
}

// A slow member with several instances: batches alternate between its copies, which run at the
// same time, and still come back in order and combined exactly.
TEST(EnsembleEngine, InstancesOfASlowMemberRunTogetherAndKeepOrder) {
  auto spec = load_ensemble_spec(
      write_spec("instances", fake_spec("pipelined", "mean_softmax", ", per_sample_us: 100")));
  spec.members[2].params.options["delay_ms"] = "300";
  spec.members[2].instances = 3;
  EnsembleOptions options;
  options.mode = EnsembleMode::pipelined;
  options.batch_size = 2;
  options.queue_depth = 1;
  Ensemble ensemble(spec, options);
  EXPECT_EQ(ensemble.batches_in_flight(), 3U);  // queue_depth x the most instances
  EXPECT_EQ(ensemble.member_loads()[2].instances, 3);
  const auto settings = ensemble.effective_settings();
  EXPECT_NE(std::find(settings.begin(), settings.end(),
                      std::pair<std::string, std::string>{"c.instances", "3"}),
            settings.end());
  std::vector<Tensor> inputs;
  for (int i = 0; i < 6; ++i) inputs.push_back(batch_of(2, static_cast<float>(i)));
  std::vector<TensorView> views;
  for (const auto& t : inputs) views.push_back(t.view());
  std::vector<Tensor> collected;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < views.size(); ++i) {
    ensemble.submit({&views[i], 1});
    if (i >= 2) collected.push_back(std::move(ensemble.collect().front()));
  }
  while (collected.size() < views.size())
    collected.push_back(std::move(ensemble.collect().front()));
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (std::size_t i = 0; i < views.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same(collected[i], expected_combination(spec, inputs[i]));
  }
  // Six 300 ms batches: 1.8 s on one instance, 0.6 s on three; 1.2 s leaves room for a busy host.
  EXPECT_LT(elapsed_s, 1.2);
}

// Copies beyond the first see only every n-th batch, so each copy runs a few batches at load;
// a copy that fails there fails the load, naming the member.
TEST(EnsembleEngine, InstancesAreWarmedAtLoad) {
  auto spec = load_ensemble_spec(write_spec("warm", fake_spec("pipelined", "mean_softmax")));
  spec.members[1].params.options["fault_at_batch"] = "3";
  EnsembleOptions options;
  options.mode = EnsembleMode::pipelined;
  EXPECT_NO_THROW(Ensemble(spec, options));  // one copy: nothing runs at load
  spec.members[1].instances = 2;
  const auto error = error_of([&] { Ensemble(spec, options); });
  EXPECT_NE(error.find("ensemble member 'b': fake"), std::string::npos) << error;
}

TEST(EnsembleSpec, InstancesMustBeAPositiveCount) {
  const auto path = write_spec("bad_instances",
                               "members:\n"
                               "  - {framework: fake, model: a}\n"
                               "  - {framework: fake, model: b, instances: 0}\n");
  const auto error = error_of([&] { load_ensemble_spec(path); });
  EXPECT_NE(error.find("bad_instances.yaml:3"), std::string::npos) << error;
  EXPECT_NE(error.find("members[1].instances: must be 1..64"), std::string::npos) << error;
}

TEST(EnsembleEngine, MemberFailureNamesTheMemberAndLeavesTheEngineUsable) {
  auto spec = load_ensemble_spec(write_spec("fail", fake_spec("concurrent", "mean_softmax")));
  spec.members[1].params.options["fault_at_batch"] = "2";
  EnsembleOptions options;
  options.batch_size = 2;
  Ensemble ensemble(spec, options);
  const auto x = batch_of(2, 0);
  const TensorView in = x.view();
  ensemble.run_batch({&in, 1});
  EXPECT_NE(error_of([&] {
              ensemble.run_batch({&in, 1});
            }).find("ensemble member 'b': fake"),
            std::string::npos);
  EXPECT_EQ(ensemble.run_batch({&in, 1}).front().shape(), (Shape{2, 3}));
}

// Pipelined mode streams through the measurement engine (several batches in flight) and an
// offline run completes every query.
TEST(EnsembleBackend, OfflineBenchmarkInEveryModeAndAuto) {
  for (const std::string mode : {"sequential", "concurrent", "pipelined", "auto"}) {
    SCOPED_TRACE(mode);
    const auto path = write_spec("bench_" + mode, fake_spec(mode, "mean_softmax", ", delay_ms: 1"));
    Params params;
    params.batch_size = 4;
    params.threads = 3;
    params.options["auto_probe_s"] = "0";
    RunConfig config;
    config.min_duration_s = 0.2;
    config.warmup_s = 0.05;
    config.min_queries = 20;
    const auto result = run_benchmark("ensemble", path, params, config);
    ASSERT_EQ(result.record.status, "ok") << result.record.error;
    EXPECT_GE(result.record.queries_completed, 20);
    EXPECT_GT(result.record.throughput_samples_per_s, 0);
    const auto& settings = result.record.effective_settings;
    if (mode == "auto") {
      EXPECT_NE(settings.find("auto.pipelined_samples_per_s="), std::string::npos) << settings;
    } else {
      EXPECT_NE(settings.find("mode=" + mode), std::string::npos) << settings;
    }
  }
}

// Members that take float16 (fp16 AOTInductor packages) or uint8 (pixel-input models): the auto
// probe and the benchmark feed data of that type.
TEST(EnsembleBackend, AutoModeFeedsTheMembersInputType) {
  const auto path = write_spec(
      "bench_fp16", fake_spec("auto", "mean_softmax", ", delay_ms: 1, input_dtype: float16"));
  Params params;
  params.batch_size = 4;
  params.threads = 3;
  params.options["auto_probe_s"] = "0";
  RunConfig config;
  config.min_duration_s = 0.1;
  config.warmup_s = 0.05;
  config.min_queries = 10;
  const auto result = run_benchmark("ensemble", path, params, config);
  ASSERT_EQ(result.record.status, "ok") << result.record.error;
  EXPECT_EQ(result.record.input_spec.substr(result.record.input_spec.find(':')), ":float16[4]");
  EXPECT_NE(result.record.effective_settings.find("auto.pipelined_samples_per_s="),
            std::string::npos);
}

TEST(EnsembleEngine, CoRunMeasuresEachActiveMember) {
  auto spec = load_ensemble_spec(write_spec("corun", fake_spec("concurrent", "mean_softmax")));
  spec.members[0].params.options["delay_ms"] = "4";
  spec.members[1].params.options["delay_ms"] = "8";
  EnsembleOptions options;
  options.batch_size = 2;
  Ensemble ensemble(spec, options);
  const auto x = batch_of(2, 0);
  const TensorView in = x.view();
  const auto rates = ensemble.co_run({true, true, false}, {&in, 1}, 0.02, 0.2);
  // Sleeping members barely interfere: about 2 / 4 ms and 2 / 8 ms, loosely (a busy machine).
  EXPECT_GT(rates.samples_per_s[0], 250);
  EXPECT_LT(rates.samples_per_s[0], 520);
  EXPECT_GT(rates.samples_per_s[1], 125);
  EXPECT_LT(rates.samples_per_s[1], 260);
  EXPECT_EQ(rates.samples_per_s[2], 0);
}

}  // namespace
}  // namespace infbench

namespace infbench {
namespace {

// Pipelined mode is a streaming backend (queue_depth batches in flight); a single-stream run,
// which issues the next query only after a completion, must not wait on a batch never sent.
TEST(EnsembleBackend, PipelinedStreamsAndServesSingleStream) {
  const auto path = write_spec("single", fake_spec("pipelined", "mean_softmax", ", delay_ms: 1"));
  Params params;
  params.batch_size = 2;
  params.options["queue_depth"] = "3";
  EXPECT_EQ(Model::load("ensemble", path, params).batches_in_flight(), 3U);
  params.options["mode"] = "concurrent";
  EXPECT_EQ(Model::load("ensemble", path, params).batches_in_flight(), 1U);
  params.options.erase("mode");
  RunConfig config;
  config.scenario = Scenario::single_stream;
  config.min_duration_s = 0.1;
  config.warmup_s = 0.02;
  config.min_queries = 10;
  const auto result = run_benchmark("ensemble", path, params, config);
  ASSERT_EQ(result.record.status, "ok") << result.record.error;
  EXPECT_GE(result.record.queries_completed, 10);
}

}  // namespace
}  // namespace infbench
