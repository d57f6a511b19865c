// Rate limiters for retrying work-queue items (client-go util/workqueue
// default_rate_limiters semantics).
//
//   When(item)        → how long to wait before the item may be retried; each
//                        call counts as one more failure of the item.
//   Forget(item)      → the item succeeded: reset its failure count.
//   NumRequeues(item) → failures counted since the last Forget.
//
// DefaultControllerRateLimiter() = max(per-item exponential 5 ms · 2^n capped
// at 1000 s, overall token bucket 10 qps with burst 100): a single failing
// item backs off exponentially, and a storm of failures across many items
// is held to 10 retries per second after the first 100.
//
// Thread safety: all limiters are safe for concurrent use. A limiter borrows
// its common::Clock, which must outlive it.
#ifndef MINIK8S_CLIENT_RATE_LIMITER_H_
#define MINIK8S_CLIENT_RATE_LIMITER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace minik8s::client {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  virtual absl::Duration When(const std::string& item) = 0;
  virtual void Forget(const std::string& item) = 0;
  virtual int NumRequeues(const std::string& item) = 0;
};

// base · 2^failures, capped at max_delay.
class ItemExponentialFailureRateLimiter : public RateLimiter {
 public:
  ItemExponentialFailureRateLimiter(absl::Duration base_delay, absl::Duration max_delay);
  absl::Duration When(const std::string& item) override;
  void Forget(const std::string& item) override;
  int NumRequeues(const std::string& item) override;

 private:
  const absl::Duration base_delay_;
  const absl::Duration max_delay_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> failures_ ABSL_GUARDED_BY(mu_);
};

// A token bucket shared by all items: `burst` tokens, refilled at `qps`.
// When() reserves a token and answers how long until it is available (0 while
// tokens remain). It keeps no per-item state: Forget is a no-op and
// NumRequeues is 0.
class BucketRateLimiter : public RateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, common::Clock* clock = common::RealClock::Get());
  absl::Duration When(const std::string& item) override;
  void Forget(const std::string& item) override {}
  int NumRequeues(const std::string& item) override { return 0; }

 private:
  const double qps_;
  const double burst_;
  common::Clock* const clock_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

// The longest delay of its limiters; NumRequeues is the largest count.
class MaxOfRateLimiter : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  absl::Duration When(const std::string& item) override;
  void Forget(const std::string& item) override;
  int NumRequeues(const std::string& item) override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

std::unique_ptr<RateLimiter> DefaultControllerRateLimiter(
    common::Clock* clock = common::RealClock::Get());

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_RATE_LIMITER_H_
