// The fake backend called directly, batch after batch: the baseline that isolates the harness's own
// per-batch cost. The fake backend's time per batch is exact (it spins to its deadline), so unlike
// the real frameworks' loops this one has almost no run-to-run noise of its own.
#include <chrono>

#include "hand_loops.hpp"
#include "infbench/model.hpp"

namespace infbench::bench {

HandLoopResult hand_loop_fake(int batch, int per_sample_us, int features, double seconds) {
  Params params;
  params.batch_size = batch;
  params.options = {{"per_sample_us", std::to_string(per_sample_us)},
                    {"spin", "on"},
                    {"features", std::to_string(features)}};
  auto model = Model::load("fake", "fake", params);
  const Tensor x(DType::float32, {batch, features});
  const TensorView input = x.view();
  for (int i = 0; i < 2; ++i) model.run_batch({&input, 1});
  const auto start = std::chrono::steady_clock::now();
  HandLoopResult result;
  double elapsed = 0;
  while (elapsed < seconds) {
    const auto out = model.run_batch({&input, 1});
    ++result.batches;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  result.samples_per_s = static_cast<double>(result.batches * batch) / elapsed;
  return result;
}

}  // namespace infbench::bench
