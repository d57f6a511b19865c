#include "client/workqueue.h"

namespace minik8s::client {

WorkQueue::WorkQueue(WorkQueueOptions options)
    : name_(std::move(options.name)),
      clock_(options.clock != nullptr ? options.clock : RealClock()),
      rate_limiter_(options.rate_limiter != nullptr ? std::move(options.rate_limiter)
                                                    : DefaultControllerRateLimiter(clock_)) {
  timer_ = std::thread([this] { TimerLoop(); });
}

WorkQueue::~WorkQueue() {
  ShutDown();
  if (timer_.joinable()) timer_.join();
}

void WorkQueue::AddLocked(const std::string& item) {
  if (shutting_down_) return;
  if (dirty_.contains(item)) return;
  dirty_.insert(item);
  if (processing_.contains(item)) return;
  queue_.push_back(item);
}

void WorkQueue::Add(const std::string& item) {
  absl::MutexLock lock(&mu_);
  AddLocked(item);
}

bool WorkQueue::Get(std::string* item) {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](WorkQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return !q->queue_.empty() || q->shutting_down_;
      },
      this));
  if (queue_.empty()) return false;  // shut down and drained
  *item = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(*item);
  dirty_.erase(*item);
  return true;
}

void WorkQueue::Done(const std::string& item) {
  absl::MutexLock lock(&mu_);
  processing_.erase(item);
  if (dirty_.contains(item)) queue_.push_back(item);
}

void WorkQueue::AddAfter(const std::string& item, absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return;
  if (delay <= absl::ZeroDuration()) {
    AddLocked(item);
    return;
  }
  absl::Time ready_at = clock_->Now() + delay;
  auto it = waiting_ready_.find(item);
  if (it != waiting_ready_.end() && it->second <= ready_at) return;
  waiting_ready_[item] = ready_at;
  waiting_.push(Waiting{ready_at, seq_++, item});
  ++waiting_generation_;
}

void WorkQueue::AddRateLimited(const std::string& item) {
  AddAfter(item, rate_limiter_->When(item));
}

void WorkQueue::Forget(const std::string& item) { rate_limiter_->Forget(item); }

int WorkQueue::NumRequeues(const std::string& item) { return rate_limiter_->NumRequeues(item); }

void WorkQueue::ShutDown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
}

void WorkQueue::ShutDownWithDrain() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  mu_.Await(absl::Condition(
      +[](WorkQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS { return q->processing_.empty(); },
      this));
}

bool WorkQueue::ShuttingDown() const {
  absl::MutexLock lock(&mu_);
  return shutting_down_;
}

int WorkQueue::Len() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

int WorkQueue::NumWaiting() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(waiting_ready_.size());
}

void WorkQueue::TimerLoop() {
  absl::MutexLock lock(&mu_);
  while (!shutting_down_) {
    // Move every due item to the queue.
    absl::Time now = clock_->Now();
    while (!waiting_.empty() && waiting_.top().ready_at <= now) {
      Waiting w = waiting_.top();
      waiting_.pop();
      auto it = waiting_ready_.find(w.item);
      if (it == waiting_ready_.end() || it->second != w.ready_at) continue;  // stale entry
      waiting_ready_.erase(it);
      AddLocked(w.item);
    }
    absl::Time deadline = waiting_.empty() ? absl::InfiniteFuture() : waiting_.top().ready_at;
    uint64_t generation = waiting_generation_;
    struct Args {
      WorkQueue* q;
      uint64_t generation;
    } args{this, generation};
    clock_->AwaitWithDeadline(
        &mu_,
        absl::Condition(
            +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return a->q->shutting_down_ || a->q->waiting_generation_ != a->generation;
            },
            &args),
        deadline);
  }
  waiting_ = {};
  waiting_ready_.clear();
}

}  // namespace minik8s::client
