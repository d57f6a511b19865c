// Fuzzes the apiserver's HTTP request path without a socket: raw request
// bytes go through the server's parser and conversion (rest::ParseHttpRequest:
// Beast, target and query decoding, headers), then the steps the API router
// takes before it asks the store (rest/api_router.cc): the path's
// RequestInfo, the resource's strategy, content negotiation, the query
// parameters (selectors, limit, continue token, booleans), and the body
// decoded into the resource's type as JSON, YAML or Kubernetes protobuf
// (fieldValidation=Warn), then defaulted, prepared and validated as a
// create, or applied as a PATCH of the content type's kind to a fresh
// object. The Authorization header goes through the bearer-token
// authenticator, and the body is also read as a --token-auth-file.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "api/codec.h"
#include "api/k8s_protobuf.h"
#include "api/scheme.h"
#include "api/selector/fields.h"
#include "api/selector/labels.h"
#include "api/validation/defaults.h"
#include "api/validation/validation.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/continue_token.h"
#include "apiserver/merge_patch.h"
#include "apiserver/registry/registry.h"
#include "apiserver/rest/encoding.h"
#include "apiserver/rest/http_server.h"
#include "apiserver/rest/negotiation.h"
#include "apiserver/rest/request_info.h"
#include "fuzz/fuzz_util.h"

namespace {

namespace rest = minik8s::apiserver::rest;

void DecodeBody(const rest::HttpRequest& request, const minik8s::apiserver::Strategy& strategy,
                const std::string& verb) {
  const std::string media = rest::BodyMediaType(request.Header("content-type"));
  std::unique_ptr<google::protobuf::Message> object = strategy.kind().New();
  if (verb == "patch") {
    (void)minik8s::apiserver::ApplyPatch(*object, media, request.body);
    return;
  }
  if (verb == "delete" || verb == "deletecollection") {
    absl::StatusOr<YAML::Node> node = rest::ParseJsonBody(request.body);
    if (node.ok() && node->IsMap()) {
      minik8s::meta::v1::DeleteOptions options;
      node->remove("apiVersion");
      node->remove("kind");
      (void)minik8s::api::DecodeNode(*node, &options);
    }
    return;
  }
  if (verb != "create" && verb != "update") return;
  absl::Status status;
  if (media == rest::kProtobufType) {
    status = minik8s::api::DecodeK8sProtobufInto(request.body, object.get());
  } else {
    std::vector<std::string> unknown;
    minik8s::api::DecodeOptions options{.allow_unknown_fields = true, .unknown_fields = &unknown};
    status = minik8s::api::DecodeInto(request.body, object.get(), options);
  }
  if (!status.ok()) return;
  minik8s::validation::SetDefaults(object.get());
  strategy.PrepareForCreate(object.get());
  (void)minik8s::validation::ValidateObject(*object);
  (void)rest::ObjectJson(*object);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const minik8s::apiserver::Registry* const registry =
      new minik8s::apiserver::Registry(minik8s::api::Scheme::Default());
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<rest::HttpRequest> request = rest::ParseHttpRequest(bytes);
  if (!request.ok()) return 0;
  static const minik8s::apiserver::authn::Authenticator* const authenticator =
      new minik8s::apiserver::authn::Authenticator(
          *minik8s::apiserver::authn::TokenFile::Parse("good,alice,u1,\"a,b\"\n", "fuzz"));
  (void)authenticator->Authenticate(request->Header("authorization"));
  (void)minik8s::apiserver::authn::IsPublicPath(request->path);
  if (auto tokens = minik8s::apiserver::authn::TokenFile::Parse(request->body, "body");
      tokens.ok()) {
    (void)tokens->Find(request->Header("authorization"));
  }

  std::optional<rest::RequestInfo> info = rest::ParseRequestInfo(*request);
  if (!info.has_value()) return 0;
  const bool read = info->verb == "get" || info->verb == "list" || info->verb == "watch";
  (void)rest::NegotiateResponse(request->Header("accept"), read);
  (void)rest::CheckTableOptions(*request);
  (void)rest::ParseBoolParam(request->Query("watch"));
  (void)minik8s::api::LabelSelector::Parse(std::string(request->Query("labelSelector")));
  (void)minik8s::api::FieldSelector::Parse(std::string(request->Query("fieldSelector")));
  (void)minik8s::apiserver::DecodeContinueToken(request->Query("continue"));
  int64_t n = 0;
  (void)absl::SimpleAtoi(request->Query("limit"), &n);

  absl::StatusOr<const minik8s::apiserver::Strategy*> strategy = registry->Find(info->resource);
  if (!strategy.ok() || request->body.empty()) return 0;
  DecodeBody(*request, **strategy, info->verb);
  return 0;
}
