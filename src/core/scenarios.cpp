#include "scenarios.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "core/stats.hpp"

namespace infbench {
namespace {

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Collects completions from the compute thread; closed-loop drivers wait on it.
class CompletionLog {
 public:
  explicit CompletionLog(PhaseResult& result) : result_(result) {}
  void add(const QueryCompletion& c) {
    std::lock_guard lock(mutex_);
    result_.latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(c.done - c.issued).count());
    result_.completions.push_back(c.done);
    result_.completion_samples.push_back(c.samples);
    result_.samples += c.samples;
    ++result_.queries;
    changed_.notify_all();
  }
  std::int64_t completed() {
    std::lock_guard lock(mutex_);
    return result_.queries;
  }
  // Returns false if the pipeline failed before the queries completed.
  bool wait_for(std::int64_t queries, const Pipeline& pipeline) {
    std::unique_lock lock(mutex_);
    while (result_.queries < queries) {
      if (pipeline.failed() || stop_) return false;
      changed_.wait_for(lock, std::chrono::milliseconds(10));
    }
    return true;
  }
  void stop() {
    std::lock_guard lock(mutex_);
    stop_ = true;
    changed_.notify_all();
  }

 private:
  PhaseResult& result_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;
};

bool limits_met(const PhaseLimits& limits, Clock::time_point start, std::int64_t completed) {
  const double elapsed = seconds_between(start, Clock::now());
  return (elapsed >= limits.min_duration_s && completed >= limits.min_queries) ||
         elapsed >= limits.max_duration_s;
}

PipelineConfig pipeline_config(const Model& model, const RunConfig& config) {
  PipelineConfig p;
  p.batch_size = model.batch_size();
  p.overlap = config.overlap;
  p.prep_us_per_sample = config.prep_us_per_sample;
  p.pad_to_batch = model.signature().static_batch() > 0;
  p.pad_pow2 = config.pad_batches_pow2;
  return p;
}

// Offline: batches issued back to back; the pipeline's bounded queue paces the issuer.
void offline(Pipeline& pipeline, CompletionLog& log, const PhaseLimits& limits, int batch_size,
             SampleSequence& samples, PhaseResult& result) {
  // The issuer's timing does not matter offline (a query's issue time is when the pipeline accepts
  // it): like the batcher, it runs as SCHED_BATCH so that its wake-ups never preempt the
  // framework's workers (pipeline.hpp).
  sched_param batch{};
  pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch);
  result.start = Clock::now();
  for (std::int64_t id = 0; !limits_met(limits, result.start, log.completed()); ++id) {
    if (interrupt_flag()) {
      result.interrupted = true;
      break;
    }
    if (!pipeline.submit({id, samples.next(batch_size), {}})) break;
  }
}

// Single- and multi-stream: the next query is issued when the previous one completed.
void closed_loop(Pipeline& pipeline, CompletionLog& log, const PhaseLimits& limits,
                 std::int64_t query_samples, SampleSequence& samples, PhaseResult& result) {
  result.start = Clock::now();
  for (std::int64_t id = 0; !limits_met(limits, result.start, id); ++id) {
    if (interrupt_flag()) {
      result.interrupted = true;
      break;
    }
    if (!pipeline.submit({id, samples.next(query_samples), {}})) break;
    if (!log.wait_for(id + 1, pipeline)) break;
  }
}

// Server: single-sample queries with Poisson arrivals. Latency runs from the scheduled arrival,
// so time spent queued behind earlier queries counts. A backlog of more than a second of arrivals
// means the target rate cannot be served: the phase stops instead of queueing forever.
void server(Pipeline& pipeline, CompletionLog& log, const PhaseLimits& limits, double qps,
            int batch_size, SampleSequence& samples, std::uint64_t seed, PhaseResult& result) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap_s(qps);
  const auto max_backlog = std::max<std::int64_t>(4L * batch_size, static_cast<std::int64_t>(qps));
  result.start = Clock::now() + std::chrono::milliseconds(1);
  auto scheduled = result.start;
  std::vector<double> gaps;
  std::int64_t issued = 0;
  while (true) {
    if (interrupt_flag()) {
      result.interrupted = true;
      break;
    }
    const double elapsed = seconds_between(result.start, scheduled);
    if ((elapsed >= limits.min_duration_s && issued >= limits.min_queries) ||
        elapsed >= limits.max_duration_s) {
      break;
    }
    std::this_thread::sleep_until(scheduled);
    if (!pipeline.submit({issued, samples.next(1), scheduled})) break;
    ++issued;
    if (issued - log.completed() > max_backlog) {
      result.overloaded = true;
      break;
    }
    const double gap = gap_s(rng);
    gaps.push_back(gap);
    scheduled += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap));
  }
  if (gaps.size() > 1) {
    gaps.pop_back();  // the last gap was drawn but never waited for
    const double m = mean(gaps);
    result.issued_qps = 1.0 / m;
    result.gap_cv = stddev(gaps) / m;
  }
}

}  // namespace

double PhaseResult::duration_s() const {
  return completions.empty() ? 0 : seconds_between(start, end);
}

SampleSequence::SampleSequence(std::int64_t pool_size, std::uint64_t seed) : rng_(seed) {
  order_.resize(static_cast<std::size_t>(pool_size));
  for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<std::int64_t>(i);
  std::shuffle(order_.begin(), order_.end(), rng_);
}

std::vector<std::int64_t> SampleSequence::next(std::int64_t count) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(count));
  for (auto& index : out) {
    if (position_ == order_.size()) {
      std::shuffle(order_.begin(), order_.end(), rng_);
      position_ = 0;
    }
    index = order_[position_++];
  }
  return out;
}

PhaseResult run_phase(Model& model, const SamplePool& pool, const RunConfig& config,
                      const PhaseLimits& limits, double target_qps, SampleSequence& samples,
                      std::uint64_t seed) {
  PhaseResult result;
  CompletionLog log(result);
  PipelineConfig pc = pipeline_config(model, config);
  const bool is_server = config.scenario == Scenario::server;
  pc.merge_queries = is_server;
  pc.idle_priority_batcher = config.scenario == Scenario::offline;
  pc.max_pending = is_server ? 0 : pc.queue_depth;
  if (config.scenario == Scenario::offline) {
    // Offline keeps more batches assembled where batches are sub-millisecond, so the batcher and
    // the issuer are woken once per few batches (bounded_queue.hpp): up to 4 batches, while they
    // take at most 64 MiB. Slower batches need only the next one ready to keep the framework
    // busy; a deeper queue there only adds batches issued after the stop.
    std::size_t batch_bytes = 0;
    for (const auto& t : pool.tensors()) {
      batch_bytes += t.sample_bytes() * static_cast<std::size_t>(model.batch_size());
    }
    constexpr std::size_t kAssembledBytes = std::size_t{64} << 20;
    constexpr double kSlowBatchS = 1e-3;
    pc.queue_depth = limits.warm_batch_s >= kSlowBatchS
                         ? 1
                         : std::clamp<std::size_t>(
                               kAssembledBytes / std::max<std::size_t>(1, batch_bytes), 1, 4);
    pc.max_pending = 2 * pc.queue_depth;
  }
  Pipeline pipeline(model, pool, pc, [&log](const QueryCompletion& c) { log.add(c); });
  // The issuer runs on its own thread; the framework runs on this one (see pipeline.hpp).
  std::exception_ptr driver_error;
  std::jthread driver([&] {
    try {
      switch (config.scenario) {
        case Scenario::offline:
          offline(pipeline, log, limits, model.batch_size(), samples, result);
          break;
        case Scenario::single_stream: closed_loop(pipeline, log, limits, 1, samples, result); break;
        case Scenario::multi_stream:
          closed_loop(pipeline, log, limits, config.samples_per_query, samples, result);
          break;
        case Scenario::server:
          server(pipeline, log, limits, target_qps, model.batch_size(), samples, seed, result);
          break;
      }
    } catch (...) {
      driver_error = std::current_exception();
      pipeline.cancel();
    }
    if (result.overloaded || (is_server && result.interrupted)) {
      pipeline.cancel();  // a backlog would take long to drain and measure nothing useful
    }
    // Offline: once the limits are met, the batches still queued (up to 4 assembled and 8
    // pending) are dropped instead of drained: they are not needed for the measurement, whose
    // window ends at the last completion, and at a few seconds a batch (VGG-19 on 2 cores) they
    // made each point ~3x longer.
    if (config.scenario == Scenario::offline && !driver_error) pipeline.cancel();
    pipeline.close();
  });
  try {
    pipeline.run();
  } catch (...) {
    log.stop();
    pipeline.cancel();
    driver.join();
    throw;
  }
  driver.join();
  if (driver_error) std::rethrow_exception(driver_error);
  result.end = result.completions.empty() ? result.start : result.completions.back();
  result.batches = pipeline.batches();
  result.compute_s = pipeline.compute_seconds();
  result.staged = pipeline.staged();
  result.copy_s = pipeline.copy_seconds();
  result.copy_hidden_s = pipeline.copy_hidden_seconds();
  result.staging_note = pipeline.staging_note();
  return result;
}

}  // namespace infbench
