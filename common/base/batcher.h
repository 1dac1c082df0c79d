// Group commit for hot write paths: concurrent callers hand in one item each and block; a few
// worker threads take whatever has queued up (at most max_batch) and execute it as one batch,
// e.g. one database transaction with one commit. Under load batches grow by themselves; a lone
// request runs at once as a batch of one, so nothing waits for a timer.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace cak::common {

template <typename In, typename Out>
class Batcher {
 public:
  // Executes a batch; returns one result per input, in order. Must not throw.
  using Execute = std::function<std::vector<Out>(const std::vector<const In*>&)>;

  Batcher(int workers, size_t max_batch, Execute execute) : max_batch_(max_batch), execute_(std::move(execute)) {
    for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
  }

  // Finishes what is queued, then stops the workers.
  ~Batcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Blocks until the batch holding `input` has been executed; `input` must stay valid until then.
  Out Run(const In& input) {
    Pending p{&input, {}};
    std::future<Out> result = p.promise.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(&p);
    }
    cv_.notify_one();
    return result.get();
  }

 private:
  struct Pending {
    const In* input;
    std::promise<Out> promise;
  };

  void Work() {
    while (true) {
      std::vector<Pending*> batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        while (!queue_.empty() && batch.size() < max_batch_) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      std::vector<const In*> inputs;
      inputs.reserve(batch.size());
      for (Pending* p : batch) inputs.push_back(p->input);
      std::vector<Out> outs = execute_(inputs);
      for (size_t i = 0; i < batch.size(); ++i) batch[i]->promise.set_value(std::move(outs[i]));
    }
  }

  const size_t max_batch_;
  Execute execute_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending*> queue_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace cak::common
