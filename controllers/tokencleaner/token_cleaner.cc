#include "controllers/tokencleaner/token_cleaner.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "api/bootstrap_token.h"
#include "api/errors.h"
#include "api/time.h"
#include "client/resource.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

using Action = TokenSecretDecision::Action;

bool IsTokenSecret(const core::v1::Secret& secret) {
  return secret.type() == api::kBootstrapTokenSecretType &&
         secret.metadata().namespace_() == api::kBootstrapTokenNamespace;
}

client::WorkQueueOptions QueueOptions(common::Clock* clock) {
  client::WorkQueueOptions o;
  o.name = "token_cleaner";  // Kubernetes' queue name
  o.clock = clock;
  return o;
}

}  // namespace

TokenSecretDecision EvaluateTokenSecret(const core::v1::Secret& secret, absl::Time now) {
  if (!IsTokenSecret(secret)) return {.action = Action::kIgnore, .reason = "not a token Secret"};
  auto it = secret.data().find(api::kBootstrapTokenExpirationKey);
  if (it == secret.data().end() || it->second.empty()) {
    return {.action = Action::kKeep, .reason = "no expiration"};
  }
  absl::StatusOr<absl::Time> expiration = api::ParseRfc3339(it->second);
  if (!expiration.ok()) {
    return {.action = Action::kDelete,
            .reason = absl::StrCat("unparsable expiration \"", it->second,
                                   "\" (not RFC 3339), treated as expired")};
  }
  const absl::Duration remaining = *expiration - now;
  if (remaining <= absl::ZeroDuration()) {
    return {.action = Action::kDelete, .reason = absl::StrCat("expired at ", it->second)};
  }
  return {.action = Action::kRequeue,
          .remaining = remaining,
          .reason = absl::StrCat("expires at ", it->second)};
}

TokenCleaner::TokenCleaner(client::Lister<Secret> lister, TokenSecretClient* client,
                           TokenCleanerOptions options)
    : lister_(lister),
      client_(client),
      clock_(options.clock != nullptr ? options.clock : common::RealClock::Get()),
      queue_(QueueOptions(clock_)) {}

TokenCleaner::~TokenCleaner() { Stop(); }

void TokenCleaner::Enqueue(const Secret& secret) {
  if (IsTokenSecret(secret)) queue_.Add(client::KeyOf(secret));
}

void TokenCleaner::RegisterHandlers(client::Informer<Secret>* informer) {
  // No delete handler: a deleted Secret needs nothing (Kubernetes' too).
  informer->AddEventHandler({
      .on_add = [this](const SecretPtr& s) { Enqueue(*s); },
      .on_update = [this](const SecretPtr&, const SecretPtr& s) { Enqueue(*s); },
  });
}

void TokenCleaner::Run(int workers) {
  workers_.Start(
      &queue_, workers, [this](const std::string& key) { return Sync(key); }, "tokencleaner",
      "Secret");
}

void TokenCleaner::Stop() {
  queue_.ShutDown();
  workers_.Join();
}

absl::Status TokenCleaner::Sync(const std::string& key) {
  SecretPtr secret = lister_.GetByKey(key);
  if (secret == nullptr) return absl::OkStatus();  // deleted
  const TokenSecretDecision decision = EvaluateTokenSecret(*secret, clock_->Now());
  switch (decision.action) {
    case Action::kIgnore:
    case Action::kKeep:
      return absl::OkStatus();
    case Action::kRequeue:
      spdlog::debug("tokencleaner: Secret {} {}, checked again in {}", key, decision.reason,
                    absl::FormatDuration(decision.remaining));
      queue_.AddAfter(key, decision.remaining);
      return absl::OkStatus();
    case Action::kDelete:
      break;
  }
  const auto& meta = secret->metadata();
  spdlog::info("tokencleaner: deleting bootstrap token Secret {}: {}", key, decision.reason);
  absl::Status deleted =
      client_->DeleteSecret(meta.namespace_(), meta.name(), meta.uid(), meta.resource_version());
  if (deleted.ok() || absl::IsNotFound(deleted)) return absl::OkStatus();
  if (absl::IsAborted(deleted) || api::IsConflict(deleted)) {
    // Replaced or changed since the cache saw it: the watch brings the new
    // version, which is decided again.
    spdlog::info("tokencleaner: Secret {} changed before it was deleted: {}", key,
                 std::string(deleted.message()));
    return absl::OkStatus();
  }
  return deleted;
}

}  // namespace minik8s::controllers
