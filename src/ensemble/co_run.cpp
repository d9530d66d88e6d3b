// Interference: members (every instance of each) run free, each in a loop over one batch, and
// each one's completion rate is measured (see Ensemble::co_run in ensemble.hpp).
#include <atomic>

#include "engine_parts.hpp"

namespace infbench {

// Batches each member completes before a co-run's measurement starts (besides warmup_s).
constexpr std::size_t kCoRunWarmupBatches = 5;

CoRunRates Ensemble::co_run(const std::vector<bool>& active, std::span<const TensorView> inputs,
                            double warmup_s, double duration_s) {
  if (!in_flight_.empty())
    throw Error(ErrorKind::invalid_argument, "co_run() with batches in flight");
  // Each instance of each active member loops until `stop`; completions stamped inside
  // [measuring) are kept. A member's rate is the sum of its instances' rates.
  struct Lane {
    std::size_t member = 0;
    std::vector<Clock::time_point> completions;  // written by the member's thread only
    std::atomic<std::size_t> measured = 0;       // completions.size(), for the coordinator
    std::atomic<std::size_t> total = 0;          // all completions, warm-up included
    std::exception_ptr error;
  };
  std::size_t lane_count = 0;
  for (std::size_t m = 0; m < members_.size(); ++m) {
    if (active.at(m)) lane_count += members_[m].instances.size();
  }
  std::vector<Lane> lanes(lane_count);
  std::atomic<bool> measuring = false, stop = false;
  const std::vector<TensorView> batch(inputs.begin(), inputs.end());
  std::vector<std::future<void>> running;
  std::size_t next_lane = 0;
  for (std::size_t m = 0; m < members_.size(); ++m) {
    if (!active[m]) continue;
    for (auto& worker : members_[m].instances) {
      auto& lane = lanes[next_lane++];
      lane.member = m;
      running.push_back(worker->post([&, m] {
        try {
          while (!stop) {
            run_member(*worker->model, batch, spec_.members[m].name);
            ++lane.total;
            if (measuring) {
              lane.completions.push_back(Clock::now());
              ++lane.measured;
            }
          }
        } catch (...) {
          lane.error = std::current_exception();
          stop = true;
        }
      }));
    }
  }
  // Warm-up by time and by count: a member's first calls can be far slower than the rest
  // (TorchScript's profiling executor optimises after its first runs, cuDNN autotunes, CUDA graphs
  // are captured); measuring before every member is past them would count that as interference.
  const auto warmup_start = Clock::now();
  const auto warmed = [&] {
    for (const auto& lane : lanes) {
      if (lane.total < kCoRunWarmupBatches && !stop) return false;
    }
    return true;
  };
  while (!stop && (std::chrono::duration<double>(Clock::now() - warmup_start).count() < warmup_s ||
                   !warmed())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  measuring = true;
  // At least duration_s, and until every active member completed 3 batches (rates need 2 gaps),
  // bounded at 20x duration_s for members too slow to get there.
  const auto start = Clock::now();
  const auto enough = [&] {
    for (const auto& lane : lanes) {
      if (lane.measured < 3 && !stop) return false;
    }
    return true;
  };
  while (!stop) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if ((elapsed >= duration_s && enough()) || elapsed >= 20 * duration_s) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  for (auto& f : running) f.get();
  CoRunRates rates{active, std::vector<double>(members_.size(), 0.0)};
  const auto rows = static_cast<double>(inputs.front().batch());
  for (const auto& lane : lanes) {
    if (lane.error) std::rethrow_exception(lane.error);
    const auto& c = lane.completions;
    if (c.size() < 2) continue;
    const double span_s = std::chrono::duration<double>(c.back() - c.front()).count();
    if (span_s > 0)
      rates.samples_per_s[lane.member] += rows * static_cast<double>(c.size() - 1) / span_s;
  }
  return rates;
}

}  // namespace infbench
