#include "apiserver/authn/bootstrap_token.h"

#include <openssl/crypto.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/time.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver::authn {
namespace {

namespace api = ::minik8s::api;

// system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]
bool IsBootstrapGroup(absl::string_view group) {
  if (!absl::ConsumePrefix(&group, "system:bootstrappers:")) return false;
  if (group.empty() || group.size() > 256) return false;
  for (char c : group) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != ':' && c != '-') {
      return false;
    }
  }
  const char last = group.back();
  return last != ':' && last != '-';
}

const std::string* DataOf(const core::v1::Secret& secret, const char* key) {
  auto it = secret.data().find(key);
  return it == secret.data().end() ? nullptr : &it->second;
}

bool Refuse(const std::string& id, absl::string_view why) {
  spdlog::debug("bootstrap token {}: {}", id, std::string(why));
  return false;
}

}  // namespace

std::optional<UserInfo> BootstrapTokenAuthenticator::Authenticate(absl::string_view token) const {
  std::optional<BootstrapToken> parsed = ParseBootstrapToken(token);
  if (!parsed.has_value()) return std::nullopt;
  const std::string& id = parsed->id;
  std::optional<core::v1::Secret> secret =
      lookup_(api::kBootstrapTokenNamespace, absl::StrCat(api::kBootstrapTokenSecretPrefix, id));
  if (!secret.has_value()) {
    Refuse(id, "no such Secret");
    return std::nullopt;
  }
  if (secret->metadata().has_deletion_timestamp()) {
    Refuse(id, "its Secret is being deleted");
    return std::nullopt;
  }
  if (secret->type() != api::kBootstrapTokenSecretType) {
    Refuse(id, absl::StrCat("its Secret has type ", secret->type()));
    return std::nullopt;
  }
  const std::string* stored = DataOf(*secret, api::kBootstrapTokenSecretKey);
  if (stored == nullptr || stored->size() != parsed->secret.size() ||
      CRYPTO_memcmp(stored->data(), parsed->secret.data(), stored->size()) != 0) {
    Refuse(id, "the secret does not match");
    return std::nullopt;
  }
  if (const std::string* stored_id = DataOf(*secret, api::kBootstrapTokenIdKey);
      stored_id != nullptr && *stored_id != id) {
    Refuse(id, "its Secret names another token id");
    return std::nullopt;
  }
  if (const std::string* expiration = DataOf(*secret, api::kBootstrapTokenExpirationKey);
      expiration != nullptr) {
    absl::StatusOr<absl::Time> when = ::minik8s::api::ParseRfc3339(*expiration);
    if (!when.ok() || *when <= now_()) {
      Refuse(id, "expired");
      return std::nullopt;
    }
  }
  const std::string* usage = DataOf(*secret, api::kBootstrapTokenUsageAuthenticationKey);
  if (usage == nullptr || *usage != "true") {
    Refuse(id, "not marked for authentication");
    return std::nullopt;
  }
  UserInfo user{.name = absl::StrCat(api::kBootstrapUserPrefix, id),
                .groups = {api::kBootstrappersGroup}};
  if (const std::string* extra = DataOf(*secret, api::kBootstrapTokenExtraGroupsKey);
      extra != nullptr) {
    for (absl::string_view group : absl::StrSplit(*extra, ',', absl::SkipWhitespace())) {
      group = absl::StripAsciiWhitespace(group);
      if (!IsBootstrapGroup(group)) {
        Refuse(id, absl::StrCat("auth-extra-groups holds ", group));
        return std::nullopt;
      }
      if (group != api::kBootstrappersGroup) user.groups.emplace_back(group);
    }
  }
  user.groups.push_back(kAuthenticatedGroup);
  return user;
}

}  // namespace minik8s::apiserver::authn
