// GPU parts: input staging, LibTorch on a GPU in every precision and mode, AOTInductor packages,
// the NVML probe and the pipeline's copy-hiding figure. Each test skips with the reason where this
// machine or build lacks what it needs (CI and the development machine have no GPU), so the file
// compiles and runs everywhere; on the GPU machine they all run (scripts/gpu/run_paper_gpu.sh).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "backends/zoo_helpers.hpp"
#include "core/staging.hpp"
#include "infbench/model.hpp"
#include "infbench/npy.hpp"
#include "infbench/probe.hpp"
#include "infbench/registry.hpp"
#include "infbench/runner.hpp"

namespace infbench {
namespace {

using testing_zoo::models_dir;
using testing_zoo::relative_error;

bool built_in(std::string_view framework) {
  for (const auto& entry : backend_table()) {
    if (entry.name == framework) return true;
  }
  return false;
}

// Why `framework` cannot run on GPU 0 here, or empty when it can.
std::string gpu_unavailable(std::string_view framework) {
  if (!built_in(framework)) return std::string(framework) + " is not built into this binary";
  if (create_backend(framework)->info().gpus.empty()) {
    return std::string(framework) + " sees no GPU (CPU-only build or no GPU on this machine)";
  }
  return {};
}

TEST(GpuStaging, RefusesADeviceThatDoesNotExist) {
  std::string why;
  EXPECT_EQ(make_device_staging(99, why), nullptr);
  EXPECT_FALSE(why.empty());
}

TEST(GpuStaging, CopiesRowsToTheDeviceAndTimesThem) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU here (or CUDA not built in)";
  std::string why;
  auto staging = make_device_staging(0, why);
  ASSERT_NE(staging, nullptr) << why;
  const std::vector<Tensor> pool{Tensor(DType::float32, {16, 3, 224, 224})};
  staging->set_source(pool);
  const int slot = staging->add_slot({Tensor(DType::float32, {8, 3, 224, 224})});
  const auto copy = staging->upload(slot, {3, 4, 5, 9, 0}, 5);
  ASSERT_EQ(copy.device_views.size(), 1u);
  EXPECT_EQ(copy.device_views[0].device, 0);
  EXPECT_EQ(copy.device_views[0].shape[0], 5);
  EXPECT_GT(copy.seconds, 0);
}

struct GpuCase {
  std::string precision;
  std::map<std::string, std::string> options;
  double tolerance;  // max|a-b| / max|ref| against the zoo's float32 PyTorch reference
};

TEST(LibTorchGpu, EveryPrecisionAndModeMatchesTheReference) {
  if (const auto why = gpu_unavailable("libtorch"); !why.empty()) GTEST_SKIP() << why;
  const auto dir = models_dir() / "resnet18";
  const Tensor x = read_npy(dir / "resnet18.sample_input.npy");
  const Tensor ref = read_npy(dir / "resnet18.sample_output.npy");
  const std::vector<GpuCase> cases = {
      {"fp32", {{"tf32", "off"}}, 3e-3},  // cuDNN's algorithms differ from the CPU's
      {"fp32", {{"tf32", "on"}}, 2e-2},
      {"fp16", {}, 5e-2},
      {"bf16", {}, 2e-1},
      {"fp16", {{"cuda_graph", "on"}}, 5e-2},
      {"fp16", {{"channels_last", "on"}, {"cuda_graph", "on"}}, 5e-2},
  };
  for (const auto& c : cases) {
    Params p;
    p.device = 0;
    p.batch_size = static_cast<int>(x.shape()[0]);
    p.precision = c.precision;
    p.options = c.options;
    auto model = Model::load("libtorch", dir / "resnet18.ts", p);
    // The traced file's cuDNN flags are this load's (cudnn_benchmark off, tf32 as asked).
    const auto settings = model.effective_settings();
    const auto traced = std::find_if(settings.begin(), settings.end(), [](const auto& kv) {
      return kv.first == "traced_convolutions";
    });
    ASSERT_NE(traced, settings.end());
    EXPECT_EQ(traced->second, "20 given these cudnn flags");
    for (int call = 0; call < 2; ++call) {  // the second call replays the captured graph
      const auto out = model.predict({{"", x}}).front().tensor;
      EXPECT_EQ(out.dtype(), DType::float32);
      EXPECT_LE(relative_error(out, ref), c.tolerance) << c.precision << " call " << call;
    }
  }
}

TEST(LibTorchGpu, RefusesHalfPrecisionOnTheCpu) {
  if (const auto why = gpu_unavailable("libtorch"); !why.empty()) GTEST_SKIP() << why;
  Params p;
  p.precision = "fp16";
  EXPECT_THROW(Model::load("libtorch", models_dir() / "resnet18" / "resnet18.ts", p), Error);
}

// The pipeline stages inputs on a copy stream: at batch 64 the copies hide behind compute.
TEST(LibTorchGpu, OfflineRunHidesInputCopiesAndRecordsGpuTelemetry) {
  if (const auto why = gpu_unavailable("libtorch"); !why.empty()) GTEST_SKIP() << why;
  Params p;
  p.device = 0;
  p.batch_size = 64;
  p.precision = "fp16";
  RunConfig config;
  config.min_duration_s = 2;
  config.warmup_s = 0.5;
  config.idle_power_s = 0.3;
  const auto result =
      run_benchmark("libtorch", models_dir() / "resnet18" / "resnet18.ts", p, config);
  const auto& r = result.record;
  ASSERT_EQ(r.status, "ok") << r.error;
  ASSERT_TRUE(r.copy_hidden_fraction.has_value()) << r.warnings;
  EXPECT_GT(*r.copy_hidden_fraction, 0.5);
  EXPECT_GT(r.h2d_copy_mean_ms.value_or(0), 0);
  EXPECT_GT(r.gpu_alloc_reserved_peak_bytes.value_or(0), 0);
  EXPECT_GE(r.gpu_alloc_reserved_peak_bytes.value_or(0),
            r.gpu_alloc_allocated_peak_bytes.value_or(0));
  if (r.power_source == "nvml") {
    EXPECT_GT(r.energy_j.value_or(0), 0);
    EXPECT_GT(r.gpu_memory_used_peak_bytes.value_or(0), 0);
    EXPECT_GT(r.gpu_sm_clock_mean_mhz.value_or(0), 0);
  }
}

TEST(AotInductor, PackageMatchesTheReference) {
  if (const auto why = gpu_unavailable("aotinductor"); !why.empty()) GTEST_SKIP() << why;
  std::filesystem::path package;
  std::string model;
  for (const std::string name : {"resnet18", "resnet50"}) {
    const auto candidate = models_dir() / name / (name + ".fp16.b1.pt2");
    if (std::filesystem::exists(candidate)) {
      package = candidate;
      model = name;
      break;
    }
  }
  if (package.empty())
    GTEST_SKIP() << "no fp16 batch-1 package: python3 tools/aoti_zoo.py packages";
  Params p;
  p.device = 0;
  p.batch_size = 1;
  p.precision = "fp16";
  auto m = Model::load("aotinductor", package, p);
  const Tensor x = read_npy(models_dir() / model / (model + ".sample_input.npy"));
  const Tensor ref = read_npy(models_dir() / model / (model + ".sample_output.npy"));
  const auto out = m.predict({{"", x}}).front().tensor;  // split into batches of 1
  EXPECT_LE(relative_error(out, ref), 5e-2);             // fp16 through ResNet-50 measured 3.6e-2
  EXPECT_GT(m.load_result().ahead_of_time_optimize_s.value_or(0), 0);
}

TEST(Nvml, ProbeMeasuresEnergyPowerClockAndMemory) {
  auto probes = available_power_probes(0);
  if (probes.empty() || probes.front()->name() != "nvml") {
    GTEST_SKIP() << "NVML not available here (no NVIDIA driver)";
  }
  auto& probe = *probes.front();
  probe.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto values = probe.stop();
  auto value = [&](const std::string& key) {
    for (const auto& [k, v] : values) {
      if (k == key) return v;
    }
    return -1.0;
  };
  EXPECT_GT(value("energy_j"), 0);
  EXPECT_GT(value("power_mean_w"), 0);
  EXPECT_GE(value("power_max_w"), value("power_mean_w"));
  EXPECT_GT(value("gpu_memory_used_bytes"), 0);
  EXPECT_GT(value("gpu_sm_clock_mhz"), 0);
  EXPECT_GE(value("gpu_throttle_reasons"), 0);
}

}  // namespace
}  // namespace infbench
