#include "pipeline.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>

namespace infbench {

Pipeline::Pipeline(Model& model, const SamplePool& pool, PipelineConfig config,
                   OnComplete on_complete, OnOutputs on_outputs)
    : model_(model),
      pool_(pool),
      config_(config),
      on_complete_(std::move(on_complete)),
      on_outputs_(std::move(on_outputs)),
      // The batcher is woken when half the assembled batches are used up, not after each one.
      ready_(std::max<std::size_t>(1, config.queue_depth), config.queue_depth / 2),
      free_buffers_(config.queue_depth + 1 + model.batches_in_flight()) {
  const int device = model_.requested().device;
  if (device >= 0 && config_.prepare) {
    staging_note_ = "a prepare function changes the host batch: the framework copies it itself";
  } else if (device >= 0) {
    if (model_.info().device_inputs) {
      staging_ = make_device_staging(device, staging_note_);
      if (staging_) staging_->set_source(pool_.tensors());
    } else {
      staging_note_ = model_.info().name + " takes host inputs only: it copies them itself";
    }
  }
  // Buffers are allocated (and staged buffers page-locked) once, before any timing, and recycled.
  // One more set per batch a streaming backend may hold beyond the first.
  all_buffers_.resize(config_.queue_depth + 1 + model_.batches_in_flight());
  for (auto& buffers : all_buffers_) {
    buffers.host = pool_.make_batch(config_.batch_size);
    if (staging_) buffers.slot = staging_->add_slot(buffers.host);
    free_buffers_.push(&buffers);
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
    if (config_.overlap && model_.batches_in_flight() > 1) {
      run_streaming();
    } else if (config_.overlap) {
      while (auto job = ready_.pop()) compute(*job);
    } else {
      while (auto job = next_job()) {
        prepare(*job);
        if (job->buffers == nullptr) break;  // cancelled while waiting for a buffer
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
  // Room for blocked submitters; as for ready_, only once half the pending queries are taken.
  if (config_.max_pending == 0 || pending_.size() <= config_.max_pending / 2) {
    pending_changed_.notify_all();
  }
  return job;
}

std::int64_t Pipeline::rows_of(const Job& job) const {
  const auto rows = static_cast<std::int64_t>(job.indices.size());
  const auto batch = static_cast<std::int64_t>(config_.batch_size);
  if (config_.pad_to_batch) return batch;
  if (!config_.pad_pow2) return rows;
  std::int64_t padded = 1;
  while (padded < rows) padded *= 2;
  return std::min(padded, batch);
}

void Pipeline::prepare(Job& job) {
  auto buffers = free_buffers_.pop();
  if (!buffers) return;
  job.buffers = *buffers;
  // Staged runs gather on the device side (the copy engine reads the pinned pool): see below.
  if (!staging_) pool_.gather(job.indices, job.buffers->host);
  if (config_.prep_us_per_sample > 0) {
    // Stands in for decoding/resizing: busy time, as real preprocessing is.
    const auto until =
        Clock::now() +
        std::chrono::nanoseconds(static_cast<std::int64_t>(
            config_.prep_us_per_sample * 1000.0 * static_cast<double>(job.indices.size())));
    while (Clock::now() < until) {
    }
  }
  if (config_.prepare)
    config_.prepare(job.buffers->host, static_cast<std::int64_t>(job.indices.size()));
  if (staging_) {
    auto copy = staging_->upload(job.buffers->slot, job.indices, rows_of(job));
    job.device_views = std::move(copy.device_views);
    copies_.push_back({copy.start, copy.start + std::chrono::duration_cast<Clock::duration>(
                                                    std::chrono::duration<double>(copy.seconds))});
  }
}

std::vector<TensorView> Pipeline::views_of(const Job& job) const {
  if (staging_) return job.device_views;
  const auto rows = rows_of(job);
  std::vector<TensorView> views;
  views.reserve(job.buffers->host.size());
  for (const auto& b : job.buffers->host) views.push_back(b.view().slice_batch(0, rows));
  return views;
}

void Pipeline::compute(Job& job) {
  const auto views = views_of(job);
  const auto start = Clock::now();
  auto outputs = model_.run_batch(views);
  const auto done = Clock::now();
  compute_s_ += std::chrono::duration<double>(done - start).count();
  if (staging_) computes_.push_back({start, done});
  complete(job, outputs, done);
}

void Pipeline::complete(Job& job, std::vector<Tensor>& outputs, Clock::time_point done) {
  ++batches_;
  if (on_outputs_) on_outputs_(job.indices, outputs);
  for (const auto& piece : job.pieces) {
    if (piece.last) on_complete_({piece.query, piece.query_samples, piece.issued, done});
  }
  free_buffers_.push(job.buffers);
}

// A streaming backend (an ensemble in pipelined mode) holds up to batches_in_flight() batches:
// submit while there is room and a batch is ready, otherwise collect the oldest, so that a query
// never waits for a later one (single-stream issues the next query only after a completion).
// compute_seconds() is then the time with at least one batch in flight. Every submitted batch is
// collected before returning, also after an error: the backend still reads their buffers.
void Pipeline::run_streaming() {
  const auto depth = model_.batches_in_flight();
  std::deque<Job> in_flight;
  Clock::time_point busy_since;
  auto collect_oldest = [&] {
    auto outputs = model_.collect_batch();
    const auto done = Clock::now();
    Job job = std::move(in_flight.front());
    in_flight.pop_front();
    if (in_flight.empty()) compute_s_ += std::chrono::duration<double>(done - busy_since).count();
    complete(job, outputs, done);
  };
  try {
    while (true) {
      std::optional<Job> job;
      if (in_flight.empty()) {
        job = ready_.pop();
        if (!job) break;
      } else if (in_flight.size() < depth) {
        job = ready_.try_pop();
      }
      if (!job) {
        collect_oldest();
        continue;
      }
      if (in_flight.empty()) busy_since = Clock::now();
      model_.submit_batch(views_of(*job));
      in_flight.push_back(std::move(*job));
    }
  } catch (...) {
    while (!in_flight.empty()) {
      try {
        model_.collect_batch();
      } catch (...) {
      }
      in_flight.pop_front();
    }
    throw;
  }
}

void Pipeline::batcher_loop() {
  if (config_.idle_priority_batcher) {
    sched_param batch{};
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch);
  }
  try {
    while (auto job = next_job()) {
      prepare(*job);
      if (job->buffers == nullptr) break;  // cancelled while waiting for a buffer
      if (!ready_.push(std::move(*job))) break;
    }
  } catch (...) {
    fail(std::current_exception());
  }
  ready_.close();
}

}  // namespace infbench

namespace infbench {

double Pipeline::copy_seconds() const {
  double total = 0;
  for (const auto& c : copies_) total += std::chrono::duration<double>(c.end - c.begin).count();
  return total;
}

// Both interval lists are in time order (each is written by one thread, one interval after the
// other), so one forward walk over the framework calls finds every overlap.
double Pipeline::copy_hidden_seconds() const {
  double hidden = 0;
  std::size_t k = 0;
  for (const auto& c : copies_) {
    while (k < computes_.size() && computes_[k].end <= c.begin) ++k;
    for (std::size_t j = k; j < computes_.size() && computes_[j].begin < c.end; ++j) {
      const auto begin = std::max(c.begin, computes_[j].begin);
      const auto end = std::min(c.end, computes_[j].end);
      if (end > begin) hidden += std::chrono::duration<double>(end - begin).count();
    }
  }
  return hidden;
}

}  // namespace infbench
