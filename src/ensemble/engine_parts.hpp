#pragma once
// The ensemble engine's private parts, shared by engine.cpp (loading, batches, modes) and
// co_run.cpp (interference): a batch on its way through the members, a member instance's worker
// thread, a member with its instances.
#include <condition_variable>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/bounded_queue.hpp"
#include "helpers.hpp"

namespace infbench {

using Clock = std::chrono::steady_clock;

// One batch on its way through the members. Members fill their slot of `outputs`.
struct Ensemble::Batch {
  std::vector<TensorView> inputs;
  std::vector<std::vector<Tensor>> outputs;
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t done = 0;
  std::exception_ptr error;

  void finish_member(std::size_t member, std::vector<Tensor> result, std::exception_ptr failure) {
    std::lock_guard lock(mutex);
    outputs[member] = std::move(result);
    if (failure && !error) error = std::move(failure);
    ++done;
    changed.notify_all();
  }
  void wait_until_done(std::size_t count) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return done >= count; });
  }
};

// A member instance's own thread: runs the tasks posted to it, in order. The instance's model lives
// and runs here only (OpenMP pools are per calling thread).
struct Ensemble::Worker {
  explicit Worker(std::size_t depth) : tasks(depth) {
    thread = std::jthread([this] {
      while (auto task = tasks.pop()) (*task)();
    });
  }
  // Runs `fn` on the worker and waits for it; its exception reaches the caller.
  template <class F>
  void call(F fn) {
    std::packaged_task<void()> task(std::move(fn));
    auto result = task.get_future();
    tasks.push([&task] { task(); });
    result.get();
  }
  // Queues `fn` on the worker; the future reports its end (and its exception).
  template <class F>
  std::future<void> post(F fn) {
    auto task = std::make_shared<std::packaged_task<void()>>(std::move(fn));
    auto done = task->get_future();
    tasks.push([task] { (*task)(); });
    return done;
  }
  ~Worker() {
    tasks.close();
    thread.join();
  }

  std::optional<Model> model;
  BoundedQueue<std::function<void()>> tasks;
  std::jthread thread;
};

// A member: its instances, each a worker with its own copy of the model; batch k goes to instance
// k mod n, so a slow member with n instances works on n batches at once (pipelined mode).
struct Ensemble::Member {
  std::vector<std::unique_ptr<Worker>> instances;
  std::size_t next = 0;             // the instance that takes the next batch
  std::size_t combined_output = 0;  // index of the output the rule combines
  Worker& take_next() { return *instances[next++ % instances.size()]; }
  Model& model() const { return *instances.front()->model; }
};

// One framework call of a member; errors name the member.
std::vector<Tensor> run_member(Model& model, const std::vector<TensorView>& inputs,
                               const std::string& name);

}  // namespace infbench
