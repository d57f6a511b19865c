#include "kubelet/token_manager.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/time.h"

namespace minik8s::kubelet {

using minik8s::authentication::v1::TokenRequest;

namespace {

constexpr absl::Duration kMaxTtl = absl::Hours(24);
constexpr int kMaxJitterSeconds = 10;

std::string KeyOf(const std::string& ns, const std::string& sa, const TokenRequest& r) {
  return absl::StrCat(r.spec().bound_object_ref().uid(), "/", ns, "/", sa, "/",
                      r.spec().has_expiration_seconds() ? r.spec().expiration_seconds() : -1, "/",
                      absl::StrJoin(r.spec().audiences(), ","), "/",
                      r.spec().bound_object_ref().kind(), "/", r.spec().bound_object_ref().name());
}

absl::Time ExpiryOf(const TokenRequest& t) {
  return api::FromProtoTime(t.status().expiration_timestamp());
}

}  // namespace

bool TokenManager::RequiresRefresh(const TokenRequest& token, absl::Time now,
                                   absl::Duration jitter) {
  if (!token.spec().has_expiration_seconds()) return false;  // Kubernetes logs and keeps it
  const absl::Time exp = ExpiryOf(token);
  const int64_t seconds = token.spec().expiration_seconds();
  const absl::Time issued = exp - absl::Seconds(seconds);
  if (now > issued + kMaxTtl - jitter) return true;
  return now > exp - absl::Seconds(seconds * 20 / 100) - jitter;
}

absl::StatusOr<TokenRequest> TokenManager::GetServiceAccountToken(const std::string& ns,
                                                                  const std::string& sa,
                                                                  const TokenRequest& request) {
  const std::string key = KeyOf(ns, sa, request);
  std::optional<TokenRequest> cached;
  absl::Duration jitter;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) cached = it->second;
    jitter = jitter_ != nullptr ? jitter_()
                                : absl::Seconds(absl::Uniform(random_, 0, kMaxJitterSeconds));
  }
  const absl::Time now = clock_->Now();
  if (cached.has_value() && !RequiresRefresh(*cached, now, jitter)) return *cached;
  absl::StatusOr<TokenRequest> got = requester_->Request(ns, sa, request);
  if (!got.ok()) {
    if (cached.has_value() && now < ExpiryOf(*cached)) return *cached;
    return got.status();
  }
  // The answer's spec is what the apiserver made of the request (defaults
  // filled in); keep the asked lifetime when it left it out.
  if (!got->spec().has_expiration_seconds() && request.spec().has_expiration_seconds()) {
    got->mutable_spec()->set_expiration_seconds(request.spec().expiration_seconds());
  }
  absl::MutexLock lock(&mu_);
  cache_[key] = *got;
  return *got;
}

void TokenManager::DeleteServiceAccountTokens(const std::string& pod_uid) {
  const std::string prefix = pod_uid + "/";
  absl::MutexLock lock(&mu_);
  for (auto it = cache_.lower_bound(prefix);
       it != cache_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    it = cache_.erase(it);
  }
}

size_t TokenManager::size() const {
  absl::MutexLock lock(&mu_);
  return cache_.size();
}

}  // namespace minik8s::kubelet
