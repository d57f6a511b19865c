#include "client/workqueue.h"

#include "spdlog/spdlog.h"

namespace minik8s::client {

std::optional<WorkQueue::Metrics> WorkQueue::MetricsFor(const std::string& name) {
  if (name.empty()) return std::nullopt;
  struct Families {
    metrics::GaugeFamily* depth = nullptr;
    metrics::CounterFamily* adds = nullptr;
    metrics::HistogramFamily* queue_duration = nullptr;
    metrics::HistogramFamily* work_duration = nullptr;
    metrics::CounterFamily* retries = nullptr;
  };
  static const Families* const families = [] {
    metrics::Registry& r = metrics::Registry::Default();
    // client-go's buckets: 10ns .. 10s by powers of ten.
    const std::vector<double> buckets = *metrics::ExponentialBuckets(10e-9, 10, 10);
    auto* f = new Families;
    auto depth = metrics::NewGauge(r, "workqueue_depth", "Current depth of workqueue", {"name"});
    auto adds = metrics::NewCounter(r, "workqueue_adds_total",
                                    "Total number of adds handled by workqueue", {"name"});
    auto queue = metrics::NewHistogram(
        r, "workqueue_queue_duration_seconds",
        "How long in seconds an item stays in workqueue before being requested.", {"name"},
        buckets);
    auto work = metrics::NewHistogram(r, "workqueue_work_duration_seconds",
                                      "How long in seconds processing an item from workqueue "
                                      "takes.",
                                      {"name"}, buckets);
    auto retries = metrics::NewCounter(r, "workqueue_retries_total",
                                       "Total number of retries handled by workqueue", {"name"});
    if (!depth.ok() || !adds.ok() || !queue.ok() || !work.ok() || !retries.ok()) {
      spdlog::error("workqueue metrics cannot be registered; queues go uncounted");
      return static_cast<const Families*>(f);
    }
    *f = Families{*depth, *adds, *queue, *work, *retries};
    return static_cast<const Families*>(f);
  }();
  if (families->depth == nullptr) return std::nullopt;
  return Metrics{&families->depth->WithLabelValues({name}),
                 &families->adds->WithLabelValues({name}),
                 &families->queue_duration->WithLabelValues({name}),
                 &families->work_duration->WithLabelValues({name}),
                 &families->retries->WithLabelValues({name})};
}

WorkQueue::WorkQueue(WorkQueueOptions options)
    : name_(std::move(options.name)),
      clock_(options.clock != nullptr ? options.clock : common::RealClock::Get()),
      metrics_(MetricsFor(name_)),
      rate_limiter_(options.rate_limiter != nullptr ? std::move(options.rate_limiter)
                                                    : DefaultControllerRateLimiter(clock_)) {
  timer_ = std::thread([this] { TimerLoop(); });
}

WorkQueue::~WorkQueue() {
  ShutDown();
  if (timer_.joinable()) timer_.join();
  if (metrics_) {
    absl::MutexLock lock(&mu_);
    metrics_->depth->Add(-static_cast<double>(queue_.size()));  // shared with same-named queues
  }
}

void WorkQueue::AddLocked(const std::string& item) {
  if (shutting_down_) return;
  if (dirty_.contains(item)) return;
  if (metrics_) metrics_->adds->Inc();
  dirty_.insert(item);
  if (processing_.contains(item)) return;
  PushLocked(item);
}

void WorkQueue::PushLocked(const std::string& item) {
  queue_.push_back(item);
  if (metrics_) {
    metrics_->depth->Inc();
    added_at_.try_emplace(item, clock_->Now());
  }
}

void WorkQueue::Add(const std::string& item) {
  absl::MutexLock lock(&mu_);
  AddLocked(item);
}

bool WorkQueue::Get(std::string* item) {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](WorkQueue* q)
           ABSL_NO_THREAD_SAFETY_ANALYSIS { return !q->queue_.empty() || q->shutting_down_; },
      this));
  if (queue_.empty()) return false;  // shut down and drained
  *item = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(*item);
  dirty_.erase(*item);
  if (metrics_) {
    const absl::Time now = clock_->Now();
    metrics_->depth->Dec();
    if (auto it = added_at_.find(*item); it != added_at_.end()) {
      metrics_->queue_duration->Observe(absl::ToDoubleSeconds(now - it->second));
      added_at_.erase(it);
    }
    started_at_[*item] = now;
  }
  return true;
}

void WorkQueue::Done(const std::string& item) {
  absl::MutexLock lock(&mu_);
  processing_.erase(item);
  if (metrics_) {
    if (auto it = started_at_.find(item); it != started_at_.end()) {
      metrics_->work_duration->Observe(absl::ToDoubleSeconds(clock_->Now() - it->second));
      started_at_.erase(it);
    }
  }
  if (dirty_.contains(item)) PushLocked(item);
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
  if (metrics_) metrics_->retries->Inc();
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
      +[](WorkQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS { return q->processing_.empty(); }, this));
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
    clock_->AwaitWithDeadline(&mu_,
                              absl::Condition(
                                  +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                    return a->q->shutting_down_ ||
                                           a->q->waiting_generation_ != a->generation;
                                  },
                                  &args),
                              deadline);
  }
  waiting_ = {};
  waiting_ready_.clear();
}

}  // namespace minik8s::client
