// A bounded queue between one producer thread and one consumer thread: the producer waits
// while `capacity` items wait (memory stays bounded and the faster side waits for the slower),
// the consumer waits for the next item. Either side can end it: the producer closes it (the
// consumer drains what is left), the consumer abandons it (what waits is dropped, the producer's
// next Push answers false). Used where a bulk read and a bulk write overlap (COPY pipelines).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>

namespace cak::common {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Producer: waits for room; false when the consumer abandoned the queue (the item is dropped).
  bool Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < capacity_ || abandoned_; });
    if (abandoned_) return false;
    queue_.push_back(std::move(item));
    cv_.notify_all();
    return true;
  }
  // Producer: nothing more comes.
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  // Consumer: the next item; false once closed and drained (or abandoned).
  bool Pop(T* item) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !queue_.empty() || closed_ || abandoned_; });
    if (queue_.empty()) return false;
    *item = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    return true;
  }
  // Consumer: takes no more; what waits is dropped and a waiting or later Push answers false.
  void Abandon() {
    std::lock_guard<std::mutex> lock(mu_);
    abandoned_ = true;
    queue_.clear();
    cv_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> queue_;
  bool closed_ = false, abandoned_ = false;
};

}  // namespace cak::common
