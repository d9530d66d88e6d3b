#pragma once
// The asynchronous batching pipeline. Queries (lists of pool samples) go in from any thread; a
// batcher thread packs them into batches of up to batch_size samples and gathers the samples into
// reusable buffers (plus an optional synthetic preparation cost) while run() calls the framework on
// the previous batch. Completions are reported in order, from the thread that called run().
// With overlap off, run() gathers and computes in turn, so the effect of the overlap can be
// measured.
//
// GPU runs (params.device >= 0, a backend with info().device_inputs, a CUDA build): the batcher
// also copies each batch to the GPU (src/core/staging.hpp), so the host-to-device copy of batch
// N+1 runs on its own stream while the framework computes batch N. The pipeline records each
// copy's interval and each framework call's interval, and reports how much of the copy time lay
// inside framework calls (copy_hidden_seconds; docs/metrics.md, copy_hidden_fraction).
//
// Why the framework runs on the caller's thread: OpenMP runtimes (LibTorch, OpenCV) keep one worker
// pool per calling thread, and libgomp stops spinning once pools outnumber the cores. Calling the
// framework from the thread that loaded the model keeps one pool: a fresh compute thread measured
// 20-35 % slower on ResNet-18 with LibTorch at 2 threads (bench/harness_overhead).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "bounded_queue.hpp"
#include "infbench/model.hpp"
#include "sample_pool.hpp"
#include "staging.hpp"

namespace infbench {

using Clock = std::chrono::steady_clock;

struct Query {
  std::int64_t id = 0;
  std::vector<std::int64_t> samples;  // indices into the sample pool
  // When the query was (or was scheduled to be) issued; left default, submit() stamps the moment
  // the pipeline accepts it (after any wait for room), so back-pressure is not counted as latency.
  Clock::time_point issued;
};

struct QueryCompletion {
  std::int64_t id = 0;
  std::int64_t samples = 0;
  Clock::time_point issued;
  Clock::time_point done;
};

struct PipelineConfig {
  int batch_size = 1;
  bool overlap = true;
  bool merge_queries = false;     // let several queries share a batch (server scenario)
  std::size_t queue_depth = 1;    // assembled batches that may wait for the framework
  std::size_t max_pending = 0;    // submitted queries not yet batched; 0 = unbounded
  double prep_us_per_sample = 0;  // synthetic preparation cost, busy-waited in the batcher
  // The caller's own preparation of each assembled batch (decoding, normalising...), run in place
  // on the batch's host buffers by the batcher (so overlapped with compute when overlap is on).
  // `rows` are the batch's real samples. With it, inputs are not staged on the GPU by the
  // pipeline: the framework copies the prepared host buffers itself.
  std::function<void(std::vector<Tensor>& batch, std::int64_t rows)> prepare;
  bool pad_to_batch = false;  // static-batch models: always pass batch_size rows
  // Otherwise a batch of n rows runs padded to the next power of two (at most batch_size) rows:
  // frameworks that capture a CUDA graph or autotune per input shape (LibTorch) then meet
  // log2(batch_size) + 1 shapes, not one per row count the server's batcher happens to form.
  bool pad_pow2 = false;
  // Throughput runs: the batcher runs as SCHED_BATCH, so its wake-ups do not preempt the
  // framework's workers (a preempted worker of an OpenMP team stalls the whole team at its next
  // barrier: measured 0.81 of a hand-written loop for LibTorch ResNet-18 batch 8 without this).
  // Off for latency scenarios, where the batcher is on the critical path.
  bool idle_priority_batcher = false;
};

class Pipeline {
 public:
  using OnComplete = std::function<void(const QueryCompletion&)>;
  // Optional: sees the pool indices of each batch's rows and the framework's outputs.
  using OnOutputs = std::function<void(const std::vector<std::int64_t>&, std::vector<Tensor>&)>;

  Pipeline(Model& model, const SamplePool& pool, PipelineConfig config, OnComplete on_complete,
           OnOutputs on_outputs = {});
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Thread-safe. Blocks while max_pending queries wait; returns false once cancelled.
  bool submit(Query query);
  // Thread-safe: no more queries; run() returns once the submitted ones are computed.
  void close();
  // Thread-safe: stop as soon as possible; queries not yet computed never complete.
  void cancel();
  // Computes batches on the calling thread until close() and every query is done, or cancel().
  // Rethrows the first framework error (after cancelling the rest).
  void run();

  bool failed() const { return failed_; }
  std::int64_t batches() const { return batches_; }
  double compute_seconds() const { return compute_s_; }  // inside run_batch, summed
  // Host-to-device input copies (GPU staging only; 0 otherwise), summed over batches, and the part
  // of them that overlapped a framework call. Valid after run().
  double copy_seconds() const;
  double copy_hidden_seconds() const;
  bool staged() const { return staging_ != nullptr; }
  const std::string& staging_note() const { return staging_note_; }  // why not staged

 private:
  struct Piece {
    std::int64_t query = 0;
    std::int64_t query_samples = 0;
    Clock::time_point issued;
    bool last = false;  // this piece completes its query
  };
  struct Buffers {
    std::vector<Tensor> host;
    int slot = -1;  // staging slot of these host buffers (GPU runs)
  };
  struct Job {
    std::vector<std::int64_t> indices;
    std::vector<Piece> pieces;
    Buffers* buffers = nullptr;            // from free_buffers_, returned after compute
    std::vector<TensorView> device_views;  // staged inputs (GPU runs)
  };
  struct Interval {
    Clock::time_point begin, end;
  };

  std::optional<Job> next_job();
  void prepare(Job& job);
  void compute(Job& job);
  void complete(Job& job, std::vector<Tensor>& outputs, Clock::time_point done);
  std::vector<TensorView> views_of(const Job& job) const;
  void run_streaming();
  void batcher_loop();
  void fail(std::exception_ptr error);
  std::int64_t rows_of(const Job& job) const;

  Model& model_;
  const SamplePool& pool_;
  PipelineConfig config_;
  OnComplete on_complete_;
  OnOutputs on_outputs_;

  std::mutex mutex_;  // guards pending_, front_offset_, closing_, cancelled_
  std::condition_variable pending_changed_;
  std::deque<Query> pending_;
  std::size_t front_offset_ = 0;
  bool closing_ = false;
  bool cancelled_ = false;

  std::vector<Buffers> all_buffers_;        // owned here so staged host memory never moves
  std::unique_ptr<DeviceStaging> staging_;  // declared after the buffers: released before them
  std::string staging_note_;
  BoundedQueue<Job> ready_;
  BoundedQueue<Buffers*> free_buffers_;
  std::vector<Interval> copies_;    // batcher thread (or run() without overlap)
  std::vector<Interval> computes_;  // run() thread
  std::exception_ptr error_;
  std::atomic<bool> failed_ = false;
  std::int64_t batches_ = 0;
  double compute_s_ = 0;
  std::jthread batcher_;
};

}  // namespace infbench
