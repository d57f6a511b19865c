// Defaulting and validation of core/v1 Secrets.
#include "api/validation/validation_secret.h"

#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "api/validation/validation.h"
#include "api/validation/validation_internal.h"
#include "google/protobuf/util/message_differencer.h"

namespace minik8s::validation {

using internal::Append;
using internal::kImmutableMsg;
using internal::ValidateConfigKey;
using minik8s::core::v1::Secret;

namespace internal {

constexpr int kMaxConfigKeyLength = 253;

void ValidateConfigKey(const std::string& key, const FieldPath& path, FieldErrors* errs) {
  if (key.size() > kMaxConfigKeyLength) {
    errs->push_back(Invalid(path, key, "must be no more than 253 characters"));
  }
  bool valid = !key.empty();
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      valid = false;
    }
  }
  if (!valid) {
    errs->push_back(Invalid(path, key,
                            "a valid config key must consist of alphanumeric characters, '-', '_' "
                            "or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used "
                            "for validation is '[-._a-zA-Z0-9]+')"));
  }
  if (key == ".") {
    errs->push_back(Invalid(path, key, "must not be '.'"));
  } else if (key == "..") {
    errs->push_back(Invalid(path, key, "must not be '..'"));
  } else if (absl::StartsWith(key, "..")) {
    errs->push_back(Invalid(path, key, "must not start with '..'"));
  }
}

}  // namespace internal

namespace {

constexpr char kImmutableWhenSetMsg[] = "field is immutable when `immutable` is set";

bool HasData(const Secret& secret, std::string_view key) {
  return secret.data().contains(std::string(key));
}

void RequireKey(const Secret& secret, std::string_view key, FieldErrors* errs) {
  if (!HasData(secret, key)) errs->push_back(Required(FieldPath("data").Key(key), ""));
}

// The keys each built-in type needs.
void ValidateSecretType(const Secret& secret, FieldErrors* errs) {
  const std::string& type = secret.type();
  if (type == "kubernetes.io/service-account-token") {
    if (!secret.metadata().annotations().contains("kubernetes.io/service-account.name")) {
      errs->push_back(Required(
          FieldPath("metadata").Child("annotations").Key("kubernetes.io/service-account.name"),
          ""));
    }
  } else if (type == "kubernetes.io/dockercfg") {
    RequireKey(secret, ".dockercfg", errs);
  } else if (type == "kubernetes.io/dockerconfigjson") {
    RequireKey(secret, ".dockerconfigjson", errs);
  } else if (type == "kubernetes.io/basic-auth") {
    auto empty = [&](const char* key) {
      auto it = secret.data().find(key);
      return it == secret.data().end() || it->second.empty();
    };
    if (empty("username") && empty("password")) {
      errs->push_back(Required(FieldPath("data").Key("username"), ""));
      errs->push_back(Required(FieldPath("data").Key("password"), ""));
    }
  } else if (type == "kubernetes.io/ssh-auth") {
    auto it = secret.data().find("ssh-privatekey");
    if (it == secret.data().end() || it->second.empty()) {
      errs->push_back(Required(FieldPath("data").Key("ssh-privatekey"), ""));
    }
  } else if (type == "kubernetes.io/tls") {
    RequireKey(secret, "tls.crt", errs);
    RequireKey(secret, "tls.key", errs);
  }
}

}  // namespace

void SetSecretDefaults(Secret* secret) {
  if (secret->type().empty()) secret->set_type(kSecretTypeOpaque);
  for (const auto& [key, value] : secret->string_data()) (*secret->mutable_data())[key] = value;
  secret->clear_string_data();
}

FieldErrors ValidateSecret(const Secret& secret) {
  FieldErrors errs = ValidateObjectMeta(secret.metadata(), true, NameRule::kDNS1123Subdomain,
                                        FieldPath("metadata"));
  const FieldPath data("data");
  int64_t total = 0;
  for (const auto& [key, value] : secret.data()) {
    ValidateConfigKey(key, data.Key(key), &errs);
    total += static_cast<int64_t>(value.size());
  }
  if (total > kMaxSecretSize) errs.push_back(TooLong(data, kMaxSecretSize));
  ValidateSecretType(secret, &errs);
  return errs;
}

FieldErrors ValidateSecretUpdate(const Secret& secret, const Secret& old) {
  FieldErrors errs =
      ValidateObjectMetaUpdate(secret.metadata(), old.metadata(), FieldPath("metadata"));
  if (secret.type() != old.type()) {
    errs.push_back(Invalid(FieldPath("type"), secret.type(), kImmutableMsg));
  }
  if (old.has_immutable() && old.immutable()) {
    if (!secret.has_immutable() || !secret.immutable()) {
      errs.push_back(Forbidden(FieldPath("immutable"), kImmutableWhenSetMsg));
    }
    Secret a, b;
    *a.mutable_data() = secret.data();
    *b.mutable_data() = old.data();
    if (!google::protobuf::util::MessageDifferencer::Equals(a, b)) {
      errs.push_back(Forbidden(FieldPath("data"), kImmutableWhenSetMsg));
    }
  }
  Append(&errs, ValidateSecret(secret));
  return errs;
}

}  // namespace minik8s::validation
