// The fake backend called directly, batch after batch: the baseline that isolates the harness's own
// per-batch cost. The fake backend's time per batch is exact (it spins to its deadline), so unlike
// the real frameworks' loops this one has almost no run-to-run noise of its own.

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
  return time_batches(batch, seconds, [&] { const auto out = model.run_batch({&input, 1}); });
}

}  // namespace infbench::bench
