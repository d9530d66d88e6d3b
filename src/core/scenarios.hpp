#pragma once
// The scenario drivers (LoadGen's meanings, docs/metrics.md): each issues queries into a fresh
// pipeline until its limits are met and returns what it measured.
#include <random>
#include <string>
#include <vector>

#include "infbench/runner.hpp"
#include "pipeline.hpp"

namespace infbench {

// Seeded, shuffled walk over the pool (LoadGen picks samples at random from its loaded set).
class SampleSequence {
 public:
  SampleSequence(std::int64_t pool_size, std::uint64_t seed);
  std::vector<std::int64_t> next(std::int64_t count);

 private:
  std::vector<std::int64_t> order_;
  std::size_t position_ = 0;
  std::mt19937_64 rng_;
};

struct PhaseLimits {
  double min_duration_s = 0;
  std::int64_t min_queries = 1;
  double max_duration_s = 60;
  // Mean framework time per batch measured in warm-up (0 = not known): sizes the offline queue.
  double warm_batch_s = 0;
};

struct PhaseResult {
  std::vector<double> latencies_ms;            // per query, completion order
  std::vector<Clock::time_point> completions;  // per query
  std::vector<std::int64_t> completion_samples;
  std::int64_t samples = 0;
  std::int64_t queries = 0;
  Clock::time_point start, end;  // first issue (scheduled), last completion
  std::int64_t batches = 0;
  double compute_s = 0;
  bool staged = false;       // GPU input staging was used (pipeline.hpp)
  double copy_s = 0;         // host-to-device input copies, summed
  double copy_hidden_s = 0;  // ... of which inside framework calls
  std::string staging_note;  // why a GPU run was not staged
  double issued_qps = 0;     // server: realised arrival rate
  double gap_cv = 0;  // server: coefficient of variation of inter-arrival gaps (1 if Poisson)
  bool overloaded = false;
  bool interrupted = false;
  double duration_s() const;
};

PhaseResult run_phase(Model& model, const SamplePool& pool, const RunConfig& config,
                      const PhaseLimits& limits, double target_qps, SampleSequence& samples,
                      std::uint64_t seed);

}  // namespace infbench
