#include "apiserver/authn/authenticator.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/errors.h"
#include "apiserver/authn/bootstrap_token.h"
#include "apiserver/authn/service_account_token.h"

namespace minik8s::apiserver::authn {
namespace {

// One CSV record: fields split on commas, a field in double quotes may hold
// commas ("" is a quote inside one); spaces before a field are dropped, as
// Go's csv.Reader with TrimLeadingSpace.
absl::StatusOr<std::vector<std::string>> ParseCsvLine(absl::string_view line) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        field += line[i++];
      }
      if (!closed) return absl::InvalidArgumentError("a quoted field is not closed");
      if (i < line.size() && line[i] != ',') {
        return absl::InvalidArgumentError("extraneous text after a quoted field");
      }
    } else {
      while (i < line.size() && line[i] != ',') field += line[i++];
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

}  // namespace

UserInfo Anonymous() { return {.name = kAnonymousUser, .groups = {kUnauthenticatedGroup}}; }

absl::StatusOr<TokenFile> TokenFile::Parse(absl::string_view text, absl::string_view source) {
  TokenFile file;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    absl::ConsumeSuffix(&line, "\r");
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    auto where = [&] { return absl::StrCat("token file ", source, " line ", number, ": "); };
    absl::StatusOr<std::vector<std::string>> fields = ParseCsvLine(line);
    if (!fields.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where(), fields.status().message()));
    }
    if (fields->size() < 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "needs at least 3 columns (token, user name, user uid), found ",
                       fields->size()));
    }
    const std::string& token = (*fields)[0];
    UserInfo user{.name = (*fields)[1], .uid = (*fields)[2]};
    if (token.empty()) return absl::InvalidArgumentError(where() + "the token is empty");
    if (user.name.empty()) return absl::InvalidArgumentError(where() + "the user name is empty");
    if (fields->size() > 3) {
      for (absl::string_view group : absl::StrSplit((*fields)[3], ',', absl::SkipWhitespace())) {
        user.groups.emplace_back(absl::StripAsciiWhitespace(group));
      }
    }
    // As Kubernetes: a repeated token keeps its last line.
    file.users_[token] = std::move(user);
  }
  return file;
}

absl::StatusOr<TokenFile> TokenFile::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

const UserInfo* TokenFile::Find(absl::string_view token) const {
  auto it = users_.find(token);
  return it == users_.end() ? nullptr : &it->second;
}

namespace {

void AddAuthenticatedGroup(UserInfo* user) {
  bool has_group = false;
  for (const std::string& g : user->groups) has_group |= g == kAuthenticatedGroup;
  if (!has_group) user->groups.push_back(kAuthenticatedGroup);
}

}  // namespace

Authenticator::Result Authenticator::Authenticate(absl::string_view authorization,
                                                  const CertificateIdentity* certificate) const {
  Result result{.outcome = Outcome::kAnonymous, .user = Anonymous()};
  if (client_certificates_ && certificate != nullptr && !certificate->common_name.empty()) {
    result.outcome = Outcome::kAuthenticated;
    result.user = UserInfo{.name = certificate->common_name, .groups = certificate->organizations};
    AddAuthenticatedGroup(&result.user);
    return result;
  }
  authorization = absl::StripAsciiWhitespace(authorization);
  if (authorization.empty() ||
      (!tokens_.has_value() && bootstrap_ == nullptr && service_accounts_ == nullptr)) {
    return result;
  }
  // The scheme is case-insensitive; the token follows one or more spaces.
  const size_t space = authorization.find(' ');
  if (space == absl::string_view::npos ||
      !absl::EqualsIgnoreCase(authorization.substr(0, space), "bearer")) {
    result.outcome = Outcome::kRejected;
    return result;
  }
  absl::string_view token = absl::StripLeadingAsciiWhitespace(authorization.substr(space));
  TokenResult found = AuthenticateToken(token, {});
  if (!found.authenticated) {
    result.outcome = Outcome::kRejected;
    return result;
  }
  result.outcome = Outcome::kAuthenticated;
  result.user = std::move(found.user);
  return result;
}

Authenticator::TokenResult Authenticator::AuthenticateToken(
    absl::string_view token, const std::vector<std::string>& audiences) const {
  TokenResult result;
  if (token.empty()) return result;
  // The tokens that name no audience count for the apiserver's own: with
  // audiences asked for, only for those of them that are its own
  // (kube-apiserver's audience-agnostic authenticators).
  std::vector<std::string> agnostic;
  for (const std::string& audience : audiences) {
    if (std::find(api_audiences_.begin(), api_audiences_.end(), audience) != api_audiences_.end()) {
      agnostic.push_back(audience);
    }
  }
  const bool agnostic_ok = audiences.empty() || !agnostic.empty();
  const UserInfo* user = agnostic_ok && tokens_.has_value() ? tokens_->Find(token) : nullptr;
  if (user != nullptr) {
    result.authenticated = true;
    result.user = *user;
    AddAuthenticatedGroup(&result.user);
    result.audiences = std::move(agnostic);
    return result;
  }
  std::optional<UserInfo> bootstrap_user =
      agnostic_ok && bootstrap_ != nullptr ? bootstrap_->Authenticate(token) : std::nullopt;
  if (bootstrap_user.has_value()) {
    result.authenticated = true;
    result.user = *std::move(bootstrap_user);
    result.audiences = std::move(agnostic);
    return result;
  }
  if (service_accounts_ != nullptr) {
    std::optional<ServiceAccountTokenAuthenticator::Authenticated> account =
        service_accounts_->AuthenticateFor(token, audiences);
    if (account.has_value()) {
      result.authenticated = true;
      result.user = std::move(account->user);
      // Asked without audiences, a request names none.
      if (!audiences.empty()) result.audiences = std::move(account->audiences);
    }
  }
  return result;
}

absl::Status UnauthorizedError() {
  return api::NewApiError(absl::StatusCode::kUnauthenticated, "Unauthorized", 401, "Unauthorized");
}

bool IsPublicPath(absl::string_view path) {
  absl::ConsumeSuffix(&path, "/");
  if (path == "/version") return true;
  for (absl::string_view probe : {"/healthz", "/livez", "/readyz"}) {
    if (path == probe || absl::StartsWith(path, absl::StrCat(probe, "/"))) return true;
  }
  return false;
}

}  // namespace minik8s::apiserver::authn
