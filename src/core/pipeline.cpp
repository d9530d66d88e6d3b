#include "pipeline.hpp"

#include <pthread.h>
#include <sched.h>

namespace infbench {

Pipeline::Pipeline(Model& model, const SamplePool& pool, PipelineConfig config,
                   OnComplete on_complete, OnOutputs on_outputs)
    : model_(model),
      pool_(pool),
      config_(config),
      on_complete_(std::move(on_complete)),
      on_outputs_(std::move(on_outputs)),
      ready_(std::max<std::size_t>(1, config.queue_depth)),
      free_buffers_(config.queue_depth + 2) {
  // Buffers are allocated once, before any timing, and recycled.
  for (std::size_t i = 0; i < config_.queue_depth + 2; ++i) {
    free_buffers_.push(pool_.make_batch(config_.batch_size));
  }
  if (config_.overlap) batcher_ = std::jthread([this] { batcher_loop(); });
}

Pipeline::~Pipeline() {
  cancel();
  if (batcher_.joinable()) batcher_.join();
}

bool Pipeline::submit(Query query) {
  std::unique_lock lock(mutex_);
  pending_changed_.wait(lock, [&] {
    return config_.max_pending == 0 || pending_.size() < config_.max_pending || cancelled_;
  });
  if (cancelled_ || closing_) return false;
  if (query.issued == Clock::time_point{}) query.issued = Clock::now();  // issued when accepted
  pending_.push_back(std::move(query));
  pending_changed_.notify_all();
  return true;
}

void Pipeline::close() {
  std::lock_guard lock(mutex_);
  closing_ = true;
  pending_changed_.notify_all();
}

void Pipeline::cancel() {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    pending_changed_.notify_all();
  }
  ready_.cancel();
  free_buffers_.cancel();
}

void Pipeline::run() {
  try {
    if (config_.overlap) {
      while (auto job = ready_.pop()) compute(*job);
    } else {
      while (auto job = next_job()) {
        prepare(*job);
        if (job->buffers.empty()) break;  // cancelled while waiting for a buffer
        compute(*job);
      }
    }
  } catch (...) {
    fail(std::current_exception());
  }
  if (batcher_.joinable()) batcher_.join();
  if (error_) std::rethrow_exception(error_);
}

void Pipeline::fail(std::exception_ptr error) {
  {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = error;
    failed_ = true;
    cancelled_ = true;
    pending_changed_.notify_all();
  }
  ready_.cancel();
  free_buffers_.cancel();
}

// Packs the next batch from the pending queries: up to batch_size samples, from one query or
// (merge_queries) from as many as are waiting. Never waits for more queries to fill a batch.
std::optional<Pipeline::Job> Pipeline::next_job() {
  Job job;
  std::unique_lock lock(mutex_);
  pending_changed_.wait(lock, [&] { return !pending_.empty() || closing_ || cancelled_; });
  if (cancelled_ || pending_.empty()) return std::nullopt;
  const auto capacity = static_cast<std::size_t>(config_.batch_size);
  while (!pending_.empty() && job.indices.size() < capacity) {
    Query& q = pending_.front();
    const std::size_t take =
        std::min(capacity - job.indices.size(), q.samples.size() - front_offset_);
    job.indices.insert(job.indices.end(),
                       q.samples.begin() + static_cast<std::ptrdiff_t>(front_offset_),
                       q.samples.begin() + static_cast<std::ptrdiff_t>(front_offset_ + take));
    front_offset_ += take;
    const bool last = front_offset_ == q.samples.size();
    job.pieces.push_back({q.id, static_cast<std::int64_t>(q.samples.size()), q.issued, last});
    if (last) {
      pending_.pop_front();
      front_offset_ = 0;
    }
    if (!config_.merge_queries) break;
  }
  pending_changed_.notify_all();  // room for blocked submitters
  return job;
}

void Pipeline::prepare(Job& job) {
  auto buffers = free_buffers_.pop();
  if (!buffers) return;
  job.buffers = std::move(*buffers);
  pool_.gather(job.indices, job.buffers);
  if (config_.prep_us_per_sample > 0) {
    // Stands in for decoding/resizing: busy time, as real preprocessing is.
    const auto until =
        Clock::now() +
        std::chrono::nanoseconds(static_cast<std::int64_t>(
            config_.prep_us_per_sample * 1000.0 * static_cast<double>(job.indices.size())));
    while (Clock::now() < until) {
    }
  }
}

void Pipeline::compute(Job& job) {
  const auto rows = config_.pad_to_batch ? static_cast<std::int64_t>(config_.batch_size)
                                         : static_cast<std::int64_t>(job.indices.size());
  std::vector<TensorView> views;
  views.reserve(job.buffers.size());
  for (const auto& b : job.buffers) views.push_back(b.view().slice_batch(0, rows));
  const auto start = Clock::now();
  auto outputs = model_.run_batch(views);
  const auto done = Clock::now();
  compute_s_ += std::chrono::duration<double>(done - start).count();
  ++batches_;
  if (on_outputs_) on_outputs_(job.indices, outputs);
  for (const auto& piece : job.pieces) {
    if (piece.last) on_complete_({piece.query, piece.query_samples, piece.issued, done});
  }
  free_buffers_.push(std::move(job.buffers));
}

void Pipeline::batcher_loop() {
  if (config_.idle_priority_batcher) {
    sched_param batch{};
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch);
  }
  try {
    while (auto job = next_job()) {
      prepare(*job);
      if (job->buffers.empty()) break;  // cancelled while waiting for a buffer
      if (!ready_.push(std::move(*job))) break;
    }
  } catch (...) {
    fail(std::current_exception());
  }
  ready_.close();
}

}  // namespace infbench
