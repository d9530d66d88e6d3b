// The fake backend: outputs are a pure function of each sample, so batching, ordering and
// partial-batch handling can be checked exactly; the delay lets timing code be tested.
//   inputs : x0 [N, features] float32 (and x1 when inputs=2)
//   outputs: y [N, 3] float32 with y[i][(k + shift) % 3] = (k + 1) * sum of sample i over all
//   inputs
//            (with noise=r, column c is then scaled by 1 + r or 1 - r, alternately: accuracy
//            gate tests)
//            positives [N] int64 = count of elements > 0 in sample i

#include "infbench/backend.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace infbench {
namespace {

int option_int(const Params& p, const std::string& key, int fallback) {
  const auto it = p.options.find(key);
  return it == p.options.end() ? fallback : std::stoi(it->second);
}

double option_double(const Params& p, const std::string& key, double fallback) {
  const auto it = p.options.find(key);
  if (it == p.options.end()) return fallback;
  try {
    std::size_t used = 0;
    const double value = std::stod(it->second, &used);
    if (used == it->second.size() && value >= 0) return value;
  } catch (const std::exception&) {
  }
  throw Error(ErrorKind::invalid_argument,
              "option " + key + "=" + it->second + ": give a number >= 0, e.g. 0.01");
}

// Sleeps most of the way and spins the rest: sleep_for alone overshoots by tens of microseconds,
// which would bias timing tests against a known delay.
// spin_only: never sleep (a VM's sleep can overshoot the window; harness-overhead runs).
void wait_precisely(std::chrono::nanoseconds delay, bool spin_only) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + delay;
  const auto spin_window = std::chrono::microseconds(200);
  if (!spin_only && delay > spin_window) std::this_thread::sleep_until(deadline - spin_window);
  while (Clock::now() < deadline) {
  }
}

class FakeBackend final : public Backend {
 public:
  BackendInfo info() const override {
    BackendInfo info;
    info.name = "fake";
    info.framework_version = "1";
    info.model_format = "none (the path is only a label)";
    info.precisions = {"fp32"};
    info.optimization_levels = {"none"};
    info.needs_model_file = false;
    info.options = {
        {"delay_ms", "fixed time per batch, milliseconds", "0", {}, true},
        {"per_sample_us", "extra time per sample in a batch, microseconds", "0", {}, true},
        {"features", "values per sample of each input", "4", {}, true},
        {"spin",
         "off: sleep most of the delay, spin the last 200 us; on: spin all of it (exact even "
         "where sleeps overshoot, at the cost of a busy core)",
         "off",
         {"off", "on"},
         false},
        {"shift",
         "rotates y's classes: y[i][(k + shift) % 3] (ensemble members that disagree)",
         "0",
         {},
         true},
        {"inputs", "number of inputs (x0, x1)", "1", {"1", "2"}, false},
        {"noise",
         "relative error put into y (columns scaled by 1 + noise, 1 - noise, ...), for tests of "
         "the accuracy gate; a number >= 0",
         "0",
         {},
         false},
        {"fault",
         "what happens at fault_at_batch: throw an error, abort the process, hang, or "
         "kill_parent (SIGKILL to the parent process: in an MPI sweep, the worker rank; for "
         "tests of a rank dying)",
         "throw",
         {"throw", "abort", "hang", "kill_parent"},
         false},
        {"fault_at_batch",
         "batch number (1-based) at which the fault happens; 0 = never",
         "0",
         {},
         true},
        {"slow_batches",
         "the first N batches each take 50 x delay_ms (a framework that autotunes or captures "
         "graphs in its first calls), for tests of what a warm-up understates",
         "0",
         {},
         true},
        {"slow_after_ms",
         "every batch after this many milliseconds since load takes 3 x its time (a GPU that "
         "heats into its power cap), for tests of a rate that holds briefly but not for long; "
         "0 = never",
         "0",
         {},
         true},
        {"per_shape_setup",
         "claim a set-up per input shape on first use (as LibTorch cuda_graph=on): server runs "
         "then pad partial batches to powers of two; a batch of another row count (not the "
         "batch size) fails, so that tests see the padding",
         "off",
         {"off", "on"},
         false},
        {"alloc_mb",
         "MiB allocated and touched by every batch and kept until unload: a point whose memory "
         "runs away, for tests of the sweep's memory limit",
         "0",
         {},
         true},
        {"input_dtype",
         "the inputs' recorded type (float16: as an fp16 AOTInductor package), for tests of "
         "the conversion of float data",
         "float32",
         {"float32", "float16"},
         false},
    };
    info.notes = "for harness tests; computes y = (k+1) * sum(sample)";
    // Tests of multi-device code (data-parallel predict) need devices on machines without a GPU:
    // INFBENCH_FAKE_SIMULATED_GPUS=N declares N simulated GPUs. Nothing runs on a GPU; timings
    // with them measure this CPU and must never be reported as GPU figures.
    if (const char* n = std::getenv("INFBENCH_FAKE_SIMULATED_GPUS"); n != nullptr) {
      for (int k = 0; k < std::atoi(n); ++k) info.gpus.push_back(k);
      info.notes += "; SIMULATED GPUs (INFBENCH_FAKE_SIMULATED_GPUS, tests only)";
    }
    return info;
  }

  LoadResult load(const std::filesystem::path&, const Params& params,
                  PhaseMarker& phases) override {
    phases.mark("read");
    delay_ms_ = option_int(params, "delay_ms", 0);
    per_sample_us_ = option_int(params, "per_sample_us", 0);
    const auto spin = params.options.find("spin");
    spin_only_ = spin != params.options.end() && spin->second == "on";
    shift_ = option_int(params, "shift", 0);
    noise_ = option_double(params, "noise", 0);
    fault_at_batch_ = option_int(params, "fault_at_batch", 0);
    const auto fault = params.options.find("fault");
    fault_ = fault == params.options.end() ? "throw" : fault->second;
    alloc_mb_ = option_int(params, "alloc_mb", 0);
    slow_batches_ = option_int(params, "slow_batches", 0);
    slow_after_ = std::chrono::milliseconds(option_int(params, "slow_after_ms", 0));
    loaded_at_ = std::chrono::steady_clock::now();
    held_.clear();
    const int features = option_int(params, "features", 4);
    const int inputs = option_int(params, "inputs", 1);
    if (features < 1) throw Error(ErrorKind::invalid_argument, "option features must be >= 1");
    signature_ = {};
    const auto dtype = params.options.find("input_dtype");
    input_dtype_ = dtype != params.options.end() && dtype->second == "float16" ? DType::float16
                                                                               : DType::float32;
    for (int i = 0; i < inputs; ++i) {
      signature_.inputs.push_back({"x" + std::to_string(i), input_dtype_, {-1, features}});
    }
    signature_.outputs = {{"y", DType::float32, {-1, 3}}, {"positives", DType::int64, {-1}}};
    settings_ = {{"batch_size", std::to_string(params.batch_size)},
                 {"device", params.device >= 0 ? "simulated-gpu" + std::to_string(params.device)
                                               : std::string("-1")},
                 {"delay_ms", std::to_string(delay_ms_)},
                 {"per_sample_us", std::to_string(per_sample_us_)},
                 {"spin", spin_only_ ? "on" : "off"},
                 {"shift", std::to_string(shift_)},
                 {"noise", std::to_string(noise_)},
                 {"features", std::to_string(features)},
                 {"inputs", std::to_string(inputs)}};
    batches_ = 0;
    LoadResult result;
    const auto shapes = params.options.find("per_shape_setup");
    result.per_shape_setup = shapes != params.options.end() && shapes->second == "on";
    per_shape_setup_ = result.per_shape_setup;
    full_rows_ = params.batch_size;
    return result;
  }

  const Signature& signature() const override { return signature_; }
  Settings effective_settings() const override { return settings_; }

  std::vector<Tensor> run_batch(std::span<const TensorView> inputs) override {
    ++batches_;
    if (fault_at_batch_ > 0 && batches_ == fault_at_batch_) {
      // Stand-ins for a framework that throws, crashes the process, or never returns.
      if (fault_ == "abort") std::abort();
      if (fault_ == "kill_parent") {
        ::kill(::getppid(), SIGKILL);
        std::abort();
      }
      if (fault_ == "hang") std::this_thread::sleep_for(std::chrono::hours(24));
      throw Error(ErrorKind::framework, "fake backend failed on batch " + std::to_string(batches_) +
                                            " as asked (fault_at_batch)");
    }
    if (alloc_mb_ > 0) {
      // Filled with a non-zero byte so that every page is resident, not just reserved.
      held_.emplace_back(static_cast<std::size_t>(alloc_mb_) << 20, std::uint8_t{1});
    }
    const auto rows = inputs.front().batch();
    if (per_shape_setup_ && rows != full_rows_ && (rows & (rows - 1)) != 0) {
      throw Error(ErrorKind::framework, "fake backend (per_shape_setup): a batch of " +
                                            std::to_string(rows) +
                                            " rows, not a power of two nor the batch size: it "
                                            "was not padded");
    }
    const bool heated =
        slow_after_.count() > 0 && std::chrono::steady_clock::now() - loaded_at_ > slow_after_;
    const int slowdown = batches_ <= slow_batches_ ? 50 : heated ? 3 : 1;
    wait_precisely(std::chrono::milliseconds(delay_ms_) * slowdown +
                       std::chrono::microseconds(per_sample_us_) * rows,
                   spin_only_);
    Tensor y(DType::float32, {rows, 3});
    Tensor positives(DType::int64, {rows});
    auto y_values = y.values<float>();
    auto positive_values = positives.values<std::int64_t>();
    for (std::int64_t i = 0; i < rows; ++i) {
      double sum = 0;
      std::int64_t count = 0;
      for (const auto& in : inputs) {
        if (in.dtype != input_dtype_) {
          throw Error(ErrorKind::invalid_argument, "fake backend: input is " +
                                                       std::string(to_string(in.dtype)) + ", not " +
                                                       std::string(to_string(input_dtype_)));
        }
        const auto per_row = static_cast<std::size_t>(in.shape[1]);
        const auto first = static_cast<std::size_t>(i) * per_row;
        for (std::size_t j = first; j < first + per_row; ++j) {
          const float x = input_dtype_ == DType::float16
                              ? half_to_float(reinterpret_cast<const std::uint16_t*>(in.data)[j])
                              : reinterpret_cast<const float*>(in.data)[j];
          sum += x;
          count += x > 0 ? 1 : 0;
        }
      }
      for (int k = 0; k < 3; ++k)
        y_values[static_cast<std::size_t>(i * 3 + (k + shift_) % 3)] =
            static_cast<float>((k + 1) * sum * (1 + (k % 2 == 0 ? noise_ : -noise_)));
      positive_values[static_cast<std::size_t>(i)] = count;
    }
    return {std::move(y), std::move(positives)};
  }

 private:
  Signature signature_;
  Settings settings_;
  int delay_ms_ = 0;
  int per_sample_us_ = 0;
  bool spin_only_ = false;
  int shift_ = 0;
  double noise_ = 0;
  int fault_at_batch_ = 0;
  std::string fault_;
  int batches_ = 0;
  bool per_shape_setup_ = false;
  DType input_dtype_ = DType::float32;
  std::int64_t full_rows_ = 0;
  int alloc_mb_ = 0;
  int slow_batches_ = 0;
  std::chrono::milliseconds slow_after_{0};
  std::chrono::steady_clock::time_point loaded_at_;
  std::vector<std::vector<std::uint8_t>> held_;  // alloc_mb per batch so far
};

}  // namespace

std::unique_ptr<Backend> make_fake_backend() { return std::make_unique<FakeBackend>(); }

}  // namespace infbench
