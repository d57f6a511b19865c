#include "kubelet/server_auth.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/grpc_status.h"
#include "pki/certificate.h"
#include "spdlog/spdlog.h"

namespace minik8s::kubelet {

namespace {

// Kubernetes' isSubpath: `path` is `prefix` or below it.
bool IsSubpath(absl::string_view path, absl::string_view prefix) {
  absl::ConsumeSuffix(&prefix, "/");
  return path == prefix || (absl::StartsWith(path, prefix) && path.size() > prefix.size() &&
                            path[prefix.size()] == '/');
}

std::string Describe(const KubeletUser& user, const KubeletRequestAttributes& attributes) {
  return absl::StrCat("(user=", user.name, ", verb=", attributes.verb,
                      ", resource=nodes, subresource(s)=[",
                      absl::StrJoin(attributes.subresources, " "), "])");
}

}  // namespace

std::string KubeletApiVerb(absl::string_view method) {
  if (method == "GET") return "get";
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return "delete";
  return "";
}

KubeletRequestAttributes GetKubeletRequestAttributes(absl::string_view method,
                                                     absl::string_view path,
                                                     absl::string_view node) {
  KubeletRequestAttributes attributes;
  attributes.verb = KubeletApiVerb(method);
  attributes.name = std::string(node);
  attributes.path = std::string(path);
  // The fine-grained subresource first, then the coarse one.
  if (IsSubpath(path, "/pods") || IsSubpath(path, "/runningpods/")) {
    attributes.subresources.push_back("pods");
  } else if (IsSubpath(path, "/healthz")) {
    attributes.subresources.push_back("healthz");
  } else if (IsSubpath(path, "/configz")) {
    attributes.subresources.push_back("configz");
  }
  if (IsSubpath(path, "/stats/")) {
    attributes.subresources.push_back("stats");
  } else if (IsSubpath(path, "/metrics")) {
    attributes.subresources.push_back("metrics");
  } else if (IsSubpath(path, "/logs/")) {
    attributes.subresources.push_back("log");  // as pods/log
  } else if (IsSubpath(path, "/spec/")) {
    attributes.subresources.push_back("spec");
  } else if (IsSubpath(path, "/checkpoint/")) {
    attributes.subresources.push_back("checkpoint");
  } else {
    attributes.subresources.push_back("proxy");
  }
  return attributes;
}

std::string KubeletForbiddenMessage(const KubeletUser& user,
                                    const KubeletRequestAttributes& attributes) {
  return absl::StrCat("Forbidden ", Describe(user, attributes));
}

absl::StatusOr<KubeletUser> UserFromCertificatePem(absl::string_view pem) {
  absl::StatusOr<pki::Certificate> cert = pki::Certificate::FromPem(pem);
  if (!cert.ok()) return absl::UnauthenticatedError("Unauthorized");
  KubeletUser user;
  user.name = cert->CommonName();
  if (user.name.empty()) return absl::UnauthenticatedError("Unauthorized");
  user.groups = cert->Organizations();
  user.groups.push_back(kAuthenticatedGroup);
  return user;
}

std::string BearerToken(absl::string_view authorization) {
  authorization = absl::StripAsciiWhitespace(authorization);
  std::vector<absl::string_view> parts = absl::StrSplit(authorization, absl::MaxSplits(' ', 2));
  if (parts.size() < 2 || !absl::EqualsIgnoreCase(parts[0], "bearer")) return "";
  return std::string(parts[1]);
}

absl::StatusOr<KubeletUser> AuthenticateKubeletCaller(const grpc::ServerContext& context,
                                                      KubeletTokenAuthenticator* tokens,
                                                      bool anonymous) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  std::vector<grpc::string_ref> pems =
      auth != nullptr ? auth->FindPropertyValues("x509_pem_cert") : std::vector<grpc::string_ref>{};
  if (!pems.empty()) {
    return UserFromCertificatePem(absl::string_view(pems.front().data(), pems.front().size()));
  }
  if (tokens != nullptr) {
    const auto& metadata = context.client_metadata();
    auto it = metadata.find("authorization");
    const std::string token =
        it == metadata.end() ? ""
                             : BearerToken(absl::string_view(it->second.data(), it->second.size()));
    if (!token.empty()) {
      absl::StatusOr<std::optional<KubeletUser>> user = tokens->Authenticate(token);
      if (!user.ok()) {
        spdlog::warn("kubelet API: unable to authenticate the request due to an error: {}",
                     user.status().ToString());
        return absl::UnauthenticatedError("Unauthorized");
      }
      if (!user->has_value()) return absl::UnauthenticatedError("Unauthorized");
      return **std::move(user);
    }
  }
  if (!anonymous) return absl::UnauthenticatedError("Unauthorized");
  return KubeletUser{.name = kAnonymousUser, .groups = {kUnauthenticatedGroup}};
}

absl::Status KubeletAuth::Authorize(const KubeletUser& user, absl::string_view method,
                                    absl::string_view path) const {
  if (authorizer_ == nullptr) return absl::OkStatus();
  const KubeletRequestAttributes attributes = GetKubeletRequestAttributes(method, path, node_name_);
  for (const std::string& subresource : attributes.subresources) {
    absl::StatusOr<bool> allowed = authorizer_->Authorize(
        user, {.verb = attributes.verb, .subresource = subresource, .name = attributes.name});
    if (!allowed.ok()) {
      spdlog::error("kubelet API: authorization error {}: {}", Describe(user, attributes),
                    allowed.status().ToString());
      return absl::InternalError(absl::StrCat("Authorization error ", Describe(user, attributes)));
    }
    if (*allowed) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(KubeletForbiddenMessage(user, attributes));
}

grpc::Status KubeletAuth::AuthorizeCall(const grpc::ServerContext& context,
                                        absl::string_view method, absl::string_view path) const {
  if (authorizer_ == nullptr && tokens_ == nullptr) return grpc::Status::OK;
  absl::StatusOr<KubeletUser> user = AuthenticateKubeletCaller(context, tokens_, anonymous_);
  if (!user.ok()) return ToGrpcStatus(user.status());
  return ToGrpcStatus(Authorize(*user, method, path));
}

}  // namespace minik8s::kubelet
