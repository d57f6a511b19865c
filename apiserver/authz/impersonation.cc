#include "apiserver/authz/impersonation.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/validation/names.h"

namespace minik8s::apiserver::authz {
namespace {

constexpr absl::string_view kUserHeader = "impersonate-user";
constexpr absl::string_view kGroupHeader = "impersonate-group";
constexpr absl::string_view kUidHeader = "impersonate-uid";
constexpr absl::string_view kExtraPrefix = "impersonate-extra-";
constexpr char kServiceAccountPrefix[] = "system:serviceaccount:";
constexpr char kAuthenticationGroup[] = "authentication.k8s.io";

// Go's url.PathUnescape; a malformed escape leaves the key as it is.
std::string PathUnescape(absl::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] != '%') {
      out.push_back(key[i]);
      continue;
    }
    if (i + 2 >= key.size() || !absl::ascii_isxdigit(key[i + 1]) ||
        !absl::ascii_isxdigit(key[i + 2])) {
      return std::string(key);
    }
    auto hex = [](char c) { return absl::ascii_isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10; };
    out.push_back(static_cast<char>(hex(key[i + 1]) * 16 + hex(key[i + 2])));
    i += 2;
  }
  return out;
}

// serviceaccount.SplitUsername: `system:serviceaccount:<ns>:<name>` with a
// valid namespace and account name.
bool SplitServiceAccount(absl::string_view user, std::string* ns, std::string* name) {
  if (!absl::ConsumePrefix(&user, kServiceAccountPrefix)) return false;
  std::vector<std::string> parts = absl::StrSplit(user, ':');
  if (parts.size() != 2) return false;
  if (!validation::IsDNS1123Label(parts[0]).empty()) return false;
  if (!validation::IsDNS1123Subdomain(parts[1]).empty()) return false;
  *ns = std::move(parts[0]);
  *name = std::move(parts[1]);
  return true;
}

// Go's %v of the v1.ObjectReference Kubernetes builds for a request:
// {Kind Namespace Name UID APIVersion ResourceVersion FieldPath}.
std::string GoFormat(const ImpersonationRequest& r) {
  using Kind = ImpersonationRequest::Kind;
  const char* kind = "User";
  std::string api_version;
  switch (r.kind) {
    case Kind::kUser:
      break;
    case Kind::kServiceAccount:
      kind = "ServiceAccount";
      break;
    case Kind::kGroup:
      kind = "Group";
      break;
    case Kind::kUserExtra:
      kind = "UserExtra";
      api_version = "authentication.k8s.io/v1";
      break;
    case Kind::kUid:
      kind = "UID";
      api_version = "authentication.k8s.io/v1";
      break;
  }
  return absl::StrCat("{", kind, " ", r.namespace_, " ", r.name, "  ", api_version, "  ",
                      r.extra_key, "}");
}

}  // namespace

bool IsImpersonationHeader(absl::string_view name) {
  return absl::StartsWith(name, "impersonate-");
}

absl::StatusOr<std::vector<ImpersonationRequest>> ParseImpersonation(const HeaderLines& headers) {
  using Kind = ImpersonationRequest::Kind;
  std::vector<ImpersonationRequest> requests;
  const std::string* user = nullptr;
  const std::string* uid = nullptr;
  for (const auto& [name, value] : headers) {
    if (name == kUserHeader && user == nullptr) user = &value;
    if (name == kUidHeader && uid == nullptr) uid = &value;
  }
  const bool has_user = user != nullptr && !user->empty();
  if (has_user) {
    ImpersonationRequest r;
    if (SplitServiceAccount(*user, &r.namespace_, &r.name)) {
      r.kind = Kind::kServiceAccount;
    } else {
      r.name = *user;
    }
    requests.push_back(std::move(r));
  }
  bool has_groups = false;
  for (const auto& [name, value] : headers) {
    if (name != kGroupHeader) continue;
    has_groups = true;
    requests.push_back({.kind = Kind::kGroup, .name = value});
  }
  bool has_extra = false;
  for (const auto& [name, value] : headers) {
    if (!absl::StartsWith(name, kExtraPrefix)) continue;
    has_extra = true;
    requests.push_back({.kind = Kind::kUserExtra,
                        .name = value,
                        .extra_key = PathUnescape(name.substr(kExtraPrefix.size()))});
  }
  const bool has_uid = uid != nullptr && !uid->empty();
  if (has_uid) requests.push_back({.kind = Kind::kUid, .name = *uid});
  if ((has_groups || has_extra || has_uid) && !has_user) {
    std::vector<std::string> items;
    for (const auto& r : requests) items.push_back(GoFormat(r));
    return absl::InternalError(
        absl::StrCat("requested [", absl::StrJoin(items, " "), "] without impersonating a user"));
  }
  return requests;
}

absl::StatusOr<std::optional<authn::UserInfo>> Impersonate(const Authorizer* authorizer,
                                                           const authn::UserInfo& requestor,
                                                           const HeaderLines& headers) {
  using Kind = ImpersonationRequest::Kind;
  absl::StatusOr<std::vector<ImpersonationRequest>> requests = ParseImpersonation(headers);
  if (!requests.ok()) return requests.status();
  if (requests->empty()) return std::nullopt;
  const bool groups_specified = std::any_of(headers.begin(), headers.end(),
                                            [](const auto& h) { return h.first == kGroupHeader; });
  authn::UserInfo user;
  for (const ImpersonationRequest& r : *requests) {
    Attributes attributes;
    attributes.user = &requestor;
    attributes.verb = "impersonate";
    attributes.resource_request = true;
    attributes.namespace_ = r.namespace_;
    attributes.name = r.name;
    switch (r.kind) {
      case Kind::kServiceAccount:
        attributes.resource = "serviceaccounts";
        user.name = absl::StrCat(kServiceAccountPrefix, r.namespace_, ":", r.name);
        if (!groups_specified) {
          user.groups = {"system:serviceaccounts",
                         absl::StrCat("system:serviceaccounts:", r.namespace_)};
        }
        break;
      case Kind::kUser:
        attributes.resource = "users";
        user.name = r.name;
        break;
      case Kind::kGroup:
        attributes.resource = "groups";
        user.groups.push_back(r.name);
        break;
      case Kind::kUserExtra:
        attributes.api_group = kAuthenticationGroup;
        attributes.api_version = "v1";
        attributes.resource = "userextras";
        attributes.subresource = r.extra_key;
        user.extra[r.extra_key].push_back(r.name);
        break;
      case Kind::kUid:
        attributes.api_group = kAuthenticationGroup;
        attributes.api_version = "v1";
        attributes.resource = "uids";
        user.uid = r.name;
        break;
    }
    const Result result =
        authorizer != nullptr ? authorizer->Authorize(attributes) : Result{Decision::kAllow, ""};
    if (result.decision != Decision::kAllow) return ForbiddenError(attributes, result.reason);
  }
  auto has = [&user](absl::string_view group) {
    return std::find(user.groups.begin(), user.groups.end(), group) != user.groups.end();
  };
  if (user.name != authn::kAnonymousUser) {
    if (!has(authn::kAuthenticatedGroup) && !has(authn::kUnauthenticatedGroup)) {
      user.groups.push_back(authn::kAuthenticatedGroup);
    }
  } else if (!has(authn::kUnauthenticatedGroup)) {
    user.groups.push_back(authn::kUnauthenticatedGroup);
  }
  return std::optional<authn::UserInfo>(std::move(user));
}

}  // namespace minik8s::apiserver::authz
