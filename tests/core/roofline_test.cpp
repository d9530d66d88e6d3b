// Roofline arithmetic, throttle-reason names, the idle baseline with a fake power probe, and the
// CPU peak probe on this machine (docs/metrics.md).
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/idle_baseline.hpp"
#include "core/phase_summary.hpp"
#include "core/roofline.hpp"

namespace infbench {
namespace {

TEST(Roofline, SharesOfPeakAndCopyBound) {
  RunRecord r;
  r.device = 0;
  r.throughput_samples_per_s = 1000;
  // ResNet-50-like: 8.2 GFLOP and one 3x224x224 float32 image (602,112 bytes) per sample.
  fill_roofline(r, 8'200'000'000, 602'112, {800.0, "probe"}, {50e9, "copy"});
  EXPECT_DOUBLE_EQ(*r.achieved_tflops, 8.2);
  EXPECT_DOUBLE_EQ(*r.peak_tflops, 800);
  EXPECT_DOUBLE_EQ(*r.peak_compute_share, 8.2 / 800);
  EXPECT_DOUBLE_EQ(*r.copy_bound_samples_per_s, 50e9 / 602'112);
  EXPECT_DOUBLE_EQ(*r.copy_bound_share, 1000 / (50e9 / 602'112));
  EXPECT_EQ(r.peak_probe, "probe");
  EXPECT_EQ(
      roofline_line(r),
      "compute: 8.2 TFLOP/s = 1.0 % of peak 800 (probe); copy bound: 83041 samples/s (1.2 %)");
}

TEST(Roofline, NotMeasuredStaysEmpty) {
  RunRecord r;
  r.device = -1;
  r.throughput_samples_per_s = 50;
  fill_roofline(r, std::nullopt, 100, {std::nullopt, "not measured: x"}, {std::nullopt, "n/a"});
  EXPECT_FALSE(r.achieved_tflops || r.peak_tflops || r.peak_compute_share ||
               r.copy_bound_samples_per_s || r.copy_bound_share);
  EXPECT_EQ(roofline_line(r),
            "compute: not measured (no flops_per_sample for this model in a zoo manifest); "
            "copy bound: not measured (CPU run)");
  fill_roofline(r, 2'000'000'000, 100, {std::nullopt, "not measured: x"}, {std::nullopt, "n/a"});
  EXPECT_DOUBLE_EQ(*r.achieved_tflops, 0.1);
  EXPECT_FALSE(r.peak_compute_share);
}

TEST(Roofline, PeakPrecisionFollowsTf32) {
  EXPECT_EQ(peak_precision("fp32", "threads=1;tf32=on;cudnn_benchmark=off"), "tf32");
  EXPECT_EQ(peak_precision("fp32", "tf32=off"), "fp32");
  EXPECT_EQ(peak_precision("fp16", "tf32=n/a"), "fp16");
  EXPECT_FALSE(device_peak_tflops(-1, "bf16", 1).value);  // the CPU probe is fp32 only
}

TEST(Roofline, CpuSgemmProbeMeasuresHere) {
  const auto m = measure_cpu_sgemm_tflops(1);
  if (!m.value) GTEST_SKIP() << m.how;
  EXPECT_GT(*m.value, 1e-3);  // > 1 GFLOP/s on any CPU that runs this suite
  EXPECT_LT(*m.value, 100);
  EXPECT_NE(m.how.find("OpenBLAS sgemm 2048^3, 1 threads"), std::string::npos) << m.how;
}

TEST(Throttle, ReasonNames) {
  EXPECT_EQ(throttle_reason_names(0), "none");
  EXPECT_EQ(throttle_reason_names(0x4 | 0x8), "sw_power_cap,hw_slowdown");
  EXPECT_EQ(throttle_reason_names(0x1 | (1ULL << 20)), "gpu_idle,bit20");
}

TEST(Throttle, PowerCappedSamplesAddUpOverRepeats) {
  MeasuredPhases m;
  m.add_probe_values({{"gpu_throttle_samples", 10}, {"gpu_power_capped_samples", 3}});
  m.add_probe_values({{"gpu_throttle_samples", 30}, {"gpu_power_capped_samples", 5}});
  EXPECT_DOUBLE_EQ(m.power_capped_samples / m.throttle_samples, 8.0 / 40);
}

class FakePowerProbe final : public Probe {
 public:
  std::string name() const override { return "fake-power"; }
  void start() override { ++starts; }
  ProbeValues stop() override { return {{"energy_j", 600}, {"duration_s", 5}}; }
  int starts = 0;
};

TEST(IdleBaseline, MeasuredWithTheProbeOverItsDuration) {
  FakePowerProbe probe;
  const auto b = measure_idle_baseline(&probe, 0.01, "");
  ASSERT_TRUE(b.watts);
  EXPECT_DOUBLE_EQ(*b.watts, 120);
  EXPECT_EQ(b.source, "fake-power");
  EXPECT_EQ(probe.starts, 1);
  const auto skipped = measure_idle_baseline(&probe, 0, "");
  EXPECT_FALSE(skipped.watts);
  EXPECT_EQ(skipped.note, "idle power not measured: idle_power_s is 0");
  EXPECT_EQ(probe.starts, 1);
  const auto absent = measure_idle_baseline(nullptr, 5, "power not measured: no RAPL here");
  EXPECT_FALSE(absent.watts);
  EXPECT_EQ(absent.note, "power not measured: no RAPL here");
}

TEST(IdleBaseline, InheritedFromTheSweepParent) {
  // Device 7 has no probe in any test machine: the value can only come from the environment.
  ::setenv("INFBENCH_IDLE_BASELINE", "-1=none|rapl|0;7=123.5|nvml|5", 1);
  const auto b = idle_baseline(7, 5);
  ::unsetenv("INFBENCH_IDLE_BASELINE");
  ASSERT_TRUE(b.watts);
  EXPECT_DOUBLE_EQ(*b.watts, 123.5);
  EXPECT_EQ(b.source, "nvml");
  EXPECT_NE(idle_baselines_for_workers().find("7=123.5|nvml|5"), std::string::npos);
}

}  // namespace
}  // namespace infbench
