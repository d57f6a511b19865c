// The tokencleaner controller (Kubernetes' pkg/controller/bootstrap
// TokenCleaner): deletes bootstrap token Secrets — kube-system Secrets of
// type bootstrap.kubernetes.io/token (api/bootstrap_token.h) — once their
// `expiration` has passed.
//
// The Secret informer (kube-system) enqueues "namespace/name" on add and
// update of a bootstrap token Secret; other types are never queued. A worker
// takes a key, reads the Secret from the cache and decides with
// EvaluateTokenSecret:
//   - expired: deleted with preconditions on the cached uid and
//     resourceVersion, so a Secret replaced (new uid) or changed (say, its
//     expiration extended) since the cache saw it is not deleted; NotFound
//     and Conflict end the sync (a changed Secret comes back through the
//     watch and is decided again);
//   - not yet expired: queued again for the time left (AddAfter);
//   - no expiration: kept.
// A failed delete is retried rate-limited.
//
// Differences from Kubernetes: its precondition is the uid only; it logs a
// failed delete and drops it where minik8s retries.
//
// Thread safety: handlers and Sync are safe from any thread; the work queue
// keeps one key on one worker at a time. The lister's informer, the client
// and the clock are borrowed and must outlive the controller.
#ifndef MINIK8S_CONTROLLERS_TOKENCLEANER_TOKEN_CLEANER_H_
#define MINIK8S_CONTROLLERS_TOKENCLEANER_TOKEN_CLEANER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/informer.h"
#include "client/lister.h"
#include "client/workqueue.h"
#include "common/clock.h"
#include "controllers/tokencleaner/token_secret_client.h"
#include "controllers/util/worker.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

// What the tokencleaner does with one Secret at time `now` (Kubernetes'
// cluster-bootstrap GetExpiration).
struct TokenSecretDecision {
  enum class Action {
    kIgnore,   // not a bootstrap token Secret of kube-system
    kKeep,     // no expiration
    kDelete,   // expired, or its expiration is not RFC 3339
    kRequeue,  // expires in `remaining`
  };
  Action action = Action::kIgnore;
  absl::Duration remaining = absl::ZeroDuration();  // kRequeue only
  // Why, for the log (never the token secret).
  std::string reason;
};

// An expiration at or before `now` has passed. One that does not parse as
// RFC 3339 counts as passed, as in Kubernetes (the apiserver already
// refuses such a token: apiserver/authn/bootstrap_token.h).
TokenSecretDecision EvaluateTokenSecret(const core::v1::Secret& secret, absl::Time now);

struct TokenCleanerOptions {
  // Borrowed; null = the real clock. Also the work queue's clock.
  common::Clock* clock = nullptr;
};

class TokenCleaner {
 public:
  using Secret = core::v1::Secret;
  using SecretPtr = std::shared_ptr<const Secret>;

  TokenCleaner(client::Lister<Secret> lister, TokenSecretClient* client,
               TokenCleanerOptions options = {});
  ~TokenCleaner();  // Stop()
  TokenCleaner(const TokenCleaner&) = delete;
  TokenCleaner& operator=(const TokenCleaner&) = delete;

  // Adds the handlers to the informer (which must outlive the controller).
  void RegisterHandlers(client::Informer<Secret>* informer);
  // Starts `workers` threads (Kubernetes runs one); Stop() shuts the queue
  // down and joins them.
  void Run(int workers = 1);
  void Stop();

  // One reconcile of the Secret named `key` ("namespace/name").
  absl::Status Sync(const std::string& key);

  client::WorkQueue* queue() { return &queue_; }

 private:
  void Enqueue(const Secret& secret);

  client::Lister<Secret> lister_;
  TokenSecretClient* const client_;
  common::Clock* const clock_;
  client::WorkQueue queue_;
  WorkerPool workers_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_TOKENCLEANER_TOKEN_CLEANER_H_
