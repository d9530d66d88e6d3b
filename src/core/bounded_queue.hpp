#pragma once
// A blocking FIFO with a capacity, close() (consumers drain what is left, then get nullopt) and
// cancel() (everyone wakes up at once and gets nullopt/false). A consumer wakes a blocked producer
// only once the queue has drained to `wake_producer_at` items: a deeper queue then costs one
// wake-up per few items instead of one per item (a wake-up of a thread on another core is a
// system call plus, in a VM, an interrupt to that core: ~10 us each on the development VM).
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace infbench {

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity)
      : BoundedQueue(capacity, capacity > 0 ? capacity - 1 : 0) {}
  BoundedQueue(std::size_t capacity, std::size_t wake_producer_at)
      : capacity_(capacity),
        wake_producer_at_(capacity > 0 ? std::min(wake_producer_at, capacity - 1) : 0) {}

  bool push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || closed_ || cancelled_; });
    if (closed_ || cancelled_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_ || cancelled_; });
    if (cancelled_ || items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    if (items_.size() <= wake_producer_at_) not_full_.notify_one();
    return item;
  }

  // Never waits: nullopt when nothing is queued (or cancelled).
  std::optional<T> try_pop() {
    std::lock_guard lock(mutex_);
    if (cancelled_ || items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    if (items_.size() <= wake_producer_at_) not_full_.notify_one();
    return item;
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  void cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::size_t capacity_;
  std::size_t wake_producer_at_;
  std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> items_;
  bool closed_ = false;
  bool cancelled_ = false;
};

}  // namespace infbench
