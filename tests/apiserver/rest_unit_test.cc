// Unit tests of the HTTP API's pure parts: path → RequestInfo, content
// negotiation, target parsing and error encoding.
#include "absl/status/status.h"
#include "api/errors.h"
#include "apiserver/rest/encoding.h"
#include "apiserver/rest/http_server.h"
#include "apiserver/rest/negotiation.h"
#include "apiserver/rest/request_info.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::apiserver::rest {
namespace {

RequestInfo Parse(const std::string& method, const std::string& target) {
  HttpRequest request;
  request.method = method;
  ParseTarget(target, &request);
  std::optional<RequestInfo> info = ParseRequestInfo(request);
  EXPECT_TRUE(info.has_value()) << target;
  return info.value_or(RequestInfo{});
}

TEST(RequestInfo, NamespacedItemsCollectionsAndSubresources) {
  RequestInfo i = Parse("GET", "/api/v1/namespaces/default/pods/web/status");
  EXPECT_EQ(i.group, "");
  EXPECT_EQ(i.version, "v1");
  EXPECT_EQ(i.namespace_, "default");
  EXPECT_EQ(i.resource, "pods");
  EXPECT_EQ(i.name, "web");
  EXPECT_EQ(i.subresource, "status");
  EXPECT_EQ(i.verb, "get");

  i = Parse("GET", "/apis/apps/v1/deployments?limit=500");
  EXPECT_EQ(i.group, "apps");
  EXPECT_EQ(i.resource, "deployments");
  EXPECT_EQ(i.namespace_, "");
  EXPECT_EQ(i.verb, "list");

  EXPECT_EQ(Parse("GET", "/api/v1/namespaces/d/pods?watch=true").verb, "watch");
  EXPECT_EQ(Parse("GET", "/api/v1/namespaces/d/pods?watch=1").verb, "watch");
  EXPECT_EQ(Parse("GET", "/api/v1/namespaces/d/pods?watch=True").verb, "watch");
  EXPECT_EQ(Parse("GET", "/api/v1/namespaces/d/pods?watch=false").verb, "list");
  EXPECT_EQ(Parse("GET", "/api/v1/watch/namespaces/d/pods").verb, "watch");
  EXPECT_EQ(Parse("POST", "/api/v1/namespaces/d/pods").verb, "create");
  EXPECT_EQ(Parse("PUT", "/api/v1/namespaces/d/pods/x").verb, "update");
  EXPECT_EQ(Parse("PATCH", "/api/v1/namespaces/d/pods/x").verb, "patch");
  EXPECT_EQ(Parse("DELETE", "/api/v1/namespaces/d/pods/x").verb, "delete");
  EXPECT_EQ(Parse("DELETE", "/api/v1/namespaces/d/pods").verb, "deletecollection");
  EXPECT_EQ(Parse("OPTIONS", "/api/v1/namespaces/d/pods").verb, "");
}

TEST(RequestInfo, TheNamespaceItself) {
  RequestInfo i = Parse("GET", "/api/v1/namespaces/kube-system");
  EXPECT_EQ(i.resource, "namespaces");
  EXPECT_EQ(i.name, "kube-system");
  EXPECT_EQ(i.namespace_, "");
  EXPECT_EQ(i.verb, "get");
  i = Parse("PUT", "/api/v1/namespaces/x/finalize");
  EXPECT_EQ(i.resource, "namespaces");
  EXPECT_EQ(i.name, "x");
  EXPECT_EQ(i.subresource, "finalize");
  i = Parse("GET", "/api/v1/namespaces");
  EXPECT_EQ(i.resource, "namespaces");
  EXPECT_EQ(i.verb, "list");
}

TEST(RequestInfo, NotResourcePaths) {
  for (const char* path : {"/version", "/api", "/apis", "/api/v1", "/apis/apps/v1", "/healthz",
                           "/api/v1/namespaces/d/pods/x/log/extra"}) {
    HttpRequest request;
    request.method = "GET";
    ParseTarget(path, &request);
    EXPECT_FALSE(ParseRequestInfo(request).has_value()) << path;
  }
}

TEST(ParseTarget, DecodesPathAndQuery) {
  HttpRequest request;
  ParseTarget(
      "/api/v1/pods?labelSelector=app%3Dweb%2Ctier+in+(a)&fieldSelector=spec.nodeName%3D"
      "n1&limit=500&limit=7&flag",
      &request);
  EXPECT_EQ(request.path, "/api/v1/pods");
  EXPECT_EQ(request.Query("labelSelector"), "app=web,tier in (a)");
  EXPECT_EQ(request.Query("fieldSelector"), "spec.nodeName=n1");
  EXPECT_EQ(request.Query("limit"), "500");  // the first of a repeated name
  EXPECT_TRUE(request.HasQuery("flag"));
  EXPECT_EQ(PercentDecode("a%zzb%4"), "a%zzb%4");  // malformed escapes stay
}

TEST(Negotiation, PicksTheFirstAcceptable) {
  EXPECT_EQ(*NegotiateResponse("", true), Format::kJson);
  EXPECT_EQ(*NegotiateResponse("*/*", true), Format::kJson);
  EXPECT_EQ(*NegotiateResponse(
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
                "g=meta.k8s.io,application/json",
                true),
            Format::kTable);
  // Tables only for reads.
  EXPECT_EQ(
      *NegotiateResponse("application/json;as=Table;v=v1;g=meta.k8s.io,application/json", false),
      Format::kJson);
  // v1beta1 Tables are not served: the next entry wins.
  EXPECT_EQ(*NegotiateResponse(
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/yaml", true),
            Format::kYaml);
  EXPECT_EQ(*NegotiateResponse("application/vnd.kubernetes.protobuf,application/json", true),
            Format::kProtobuf);
  EXPECT_EQ(
      *NegotiateResponse("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", true),
      Format::kMetadata);
  absl::StatusOr<Format> refused = NegotiateResponse("image/png", true);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(api::ToApiStatus(refused.status()).code(), 406);
  EXPECT_EQ(BodyMediaType("application/json; charset=utf-8"), "application/json");
  EXPECT_EQ(BodyMediaType(""), "application/json");
}

TEST(Encoding, ErrorsAreStatusObjects) {
  auto [code, body] = EncodeError(api::NewBadRequest("bad \"thing\"\n"));
  EXPECT_EQ(code, 400);
  YAML::Node status = YAML::Load(body);
  EXPECT_EQ(status["kind"].as<std::string>(), "Status");
  EXPECT_EQ(status["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(status["status"].as<std::string>(), "Failure");
  EXPECT_EQ(status["reason"].as<std::string>(), "BadRequest");
  EXPECT_EQ(status["message"].as<std::string>(), "bad \"thing\"\n");
  EXPECT_EQ(status["code"].as<int>(), 400);
  // A status without an API payload is an InternalError 500.
  EXPECT_EQ(EncodeError(absl::InternalError("boom")).first, 500);
  EXPECT_EQ(JsonEscape("a\"b\\c\x01"), "a\\\"b\\\\c\\u0001");
}

}  // namespace
}  // namespace minik8s::apiserver::rest
