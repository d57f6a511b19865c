#include "apiserver/authn/bootstrap_token.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

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

constexpr size_t kIdLength = 6;
constexpr size_t kSecretLength = 16;
constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

bool IsTokenChars(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

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

std::optional<BootstrapToken> ParseBootstrapToken(absl::string_view token) {
  if (token.size() != kIdLength + 1 + kSecretLength || token[kIdLength] != '.') return std::nullopt;
  BootstrapToken parsed{std::string(token.substr(0, kIdLength)),
                        std::string(token.substr(kIdLength + 1))};
  if (!IsTokenChars(parsed.id) || !IsTokenChars(parsed.secret)) return std::nullopt;
  return parsed;
}

absl::StatusOr<BootstrapToken> GenerateBootstrapToken() {
  // Bytes below 252 (7 × 36) map evenly onto the 36 characters; the rest
  // are drawn again.
  std::string chars;
  while (chars.size() < kIdLength + kSecretLength) {
    unsigned char random[32];
    if (RAND_bytes(random, sizeof(random)) != 1) {
      return absl::InternalError("cannot generate a bootstrap token: no random bytes");
    }
    for (unsigned char b : random) {
      if (b < 252 && chars.size() < kIdLength + kSecretLength) chars.push_back(kAlphabet[b % 36]);
    }
  }
  return BootstrapToken{chars.substr(0, kIdLength), chars.substr(kIdLength)};
}

std::optional<UserInfo> BootstrapTokenAuthenticator::Authenticate(absl::string_view token) const {
  std::optional<BootstrapToken> parsed = ParseBootstrapToken(token);
  if (!parsed.has_value()) return std::nullopt;
  const std::string& id = parsed->id;
  std::optional<core::v1::Secret> secret =
      lookup_(kBootstrapTokenNamespace, absl::StrCat(kBootstrapTokenSecretPrefix, id));
  if (!secret.has_value()) {
    Refuse(id, "no such Secret");
    return std::nullopt;
  }
  if (secret->metadata().has_deletion_timestamp()) {
    Refuse(id, "its Secret is being deleted");
    return std::nullopt;
  }
  if (secret->type() != kBootstrapTokenSecretType) {
    Refuse(id, absl::StrCat("its Secret has type ", secret->type()));
    return std::nullopt;
  }
  const std::string* stored = DataOf(*secret, kBootstrapTokenSecretKey);
  if (stored == nullptr || stored->size() != parsed->secret.size() ||
      CRYPTO_memcmp(stored->data(), parsed->secret.data(), stored->size()) != 0) {
    Refuse(id, "the secret does not match");
    return std::nullopt;
  }
  if (const std::string* stored_id = DataOf(*secret, kBootstrapTokenIdKey);
      stored_id != nullptr && *stored_id != id) {
    Refuse(id, "its Secret names another token id");
    return std::nullopt;
  }
  if (const std::string* expiration = DataOf(*secret, kBootstrapTokenExpirationKey);
      expiration != nullptr) {
    absl::StatusOr<absl::Time> when = api::ParseRfc3339(*expiration);
    if (!when.ok() || *when <= now_()) {
      Refuse(id, "expired");
      return std::nullopt;
    }
  }
  const std::string* usage = DataOf(*secret, kBootstrapTokenUsageAuthenticationKey);
  if (usage == nullptr || *usage != "true") {
    Refuse(id, "not marked for authentication");
    return std::nullopt;
  }
  UserInfo user{.name = absl::StrCat(kBootstrapUserPrefix, id), .groups = {kBootstrappersGroup}};
  if (const std::string* extra = DataOf(*secret, kBootstrapTokenExtraGroupsKey); extra != nullptr) {
    for (absl::string_view group : absl::StrSplit(*extra, ',', absl::SkipWhitespace())) {
      group = absl::StripAsciiWhitespace(group);
      if (!IsBootstrapGroup(group)) {
        Refuse(id, absl::StrCat("auth-extra-groups holds ", group));
        return std::nullopt;
      }
      if (group != kBootstrappersGroup) user.groups.emplace_back(group);
    }
  }
  user.groups.push_back(kAuthenticatedGroup);
  return user;
}

}  // namespace minik8s::apiserver::authn
