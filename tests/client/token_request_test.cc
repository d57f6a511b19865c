// ServiceAccountTokenClient (client/token_request.h) against a gRPC service,
// served by gRPC's own server on a unix socket, that plays the apiserver's
// CreateSubresource: the request it
// sends (resource, namespace, name, subresource, the TokenRequest, the
// caller's bearer token), the answer decoded, an error Status decoded, bad
// names refused before any call, and an apiserver that is not there.
#include "client/token_request.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "apiserver/v1/apiserver.grpc.pb.h"
#include "gtest/gtest.h"
#include "k8s/meta/v1/meta.pb.h"
#include "testing/temp_dir.h"

namespace minik8s::client {
namespace {

namespace apiv1 = minik8s::apiserver::v1;
using minik8s::authentication::v1::TokenRequest;

// Answers serviceaccounts/robot/token with a signed token; NotFound with
// the apiserver's Status for any other account.
class FakeApiServer final : public apiv1::ApiServer::Service {
 public:
  grpc::Status CreateSubresource(grpc::ServerContext* context,
                                 const apiv1::CreateSubresourceRequest* request,
                                 apiv1::ObjectResponse* response) override {
    absl::MutexLock lock(&mu);
    ++calls;
    last = *request;
    auto auth = context->client_metadata().find("authorization");
    last_authorization = auth == context->client_metadata().end()
                             ? ""
                             : std::string(auth->second.data(), auth->second.size());
    if (request->name() != "robot") {
      const absl::Status not_found = api::NewNotFound("serviceaccounts", request->name());
      return grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(not_found.message()),
                          api::ToApiStatus(not_found).SerializeAsString());
    }
    TokenRequest answer;
    if (!answer.ParseFromString(request->object())) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not a TokenRequest");
    }
    answer.mutable_status()->set_token("eyJ.signed");
    answer.mutable_status()->mutable_expiration_timestamp()->set_seconds(1796554807);
    response->set_object(answer.SerializeAsString());
    return grpc::Status::OK;
  }

  absl::Mutex mu;
  int calls = 0;
  apiv1::CreateSubresourceRequest last;
  std::string last_authorization;
};

class ServiceAccountTokenClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string socket = "unix://" + dir_.Join("apiserver.sock");
    grpc::ServerBuilder builder;
    builder.AddListeningPort(socket, grpc::InsecureServerCredentials());
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ApiClientOptions options;
    options.server = socket;
    options.bearer_token = "kubelet-token";
    absl::StatusOr<std::unique_ptr<ApiClient>> api = ApiClient::Connect(options);
    ASSERT_TRUE(api.ok()) << api.status();
    api_ = *std::move(api);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  testing::TempDir dir_;
  FakeApiServer service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ApiClient> api_;
};

TEST_F(ServiceAccountTokenClientTest, CreatesOnTheTokenSubresourceAndDecodesTheAnswer) {
  ServiceAccountTokenClient client(api_.get());
  TokenRequest req;
  req.mutable_spec()->set_expiration_seconds(3607);
  req.mutable_spec()->mutable_bound_object_ref()->set_kind("Pod");
  req.mutable_spec()->mutable_bound_object_ref()->set_uid("uid-1");
  absl::StatusOr<TokenRequest> got = client.Request("team-a", "robot", req);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status().token(), "eyJ.signed");
  EXPECT_EQ(got->status().expiration_timestamp().seconds(), 1796554807);
  EXPECT_EQ(got->spec().bound_object_ref().uid(), "uid-1");

  absl::MutexLock lock(&service_.mu);
  EXPECT_EQ(service_.last.resource(), "serviceaccounts");
  EXPECT_EQ(service_.last.namespace_(), "team-a");
  EXPECT_EQ(service_.last.name(), "robot");
  EXPECT_EQ(service_.last.subresource(), "token");
  EXPECT_FALSE(service_.last.dry_run());
  EXPECT_EQ(service_.last_authorization, "Bearer kubelet-token");
  TokenRequest sent;
  ASSERT_TRUE(sent.ParseFromString(service_.last.object()));
  EXPECT_EQ(sent.spec().expiration_seconds(), 3607);
  EXPECT_EQ(sent.spec().bound_object_ref().kind(), "Pod");
}

TEST_F(ServiceAccountTokenClientTest, TheApiserversErrorComesBackAsItsStatus) {
  ServiceAccountTokenClient client(api_.get());
  absl::StatusOr<TokenRequest> missing = client.Request("team-a", "ghost", TokenRequest());
  EXPECT_TRUE(api::IsNotFound(missing.status())) << missing.status();
  EXPECT_EQ(missing.status().message(), "serviceaccounts \"ghost\" not found");
}

TEST_F(ServiceAccountTokenClientTest, BadNamesAreRefusedWithoutACall) {
  ServiceAccountTokenClient client(api_.get());
  for (const auto& [ns, name] : {std::pair<std::string, std::string>{"ns", "a/b"},
                                 {"", "robot"},
                                 {"ns", ""},
                                 {"n s", "robot"}}) {
    EXPECT_EQ(client.Request(ns, name, TokenRequest()).status().code(),
              absl::StatusCode::kInvalidArgument)
        << ns << "/" << name;
  }
  absl::MutexLock lock(&service_.mu);
  EXPECT_EQ(service_.calls, 0);
}

TEST(ServiceAccountTokenClient, AnApiserverThatIsNotThereIsUnavailable) {
  ApiClientOptions options;
  options.server = "127.0.0.1:1";  // nothing listens
  options.timeout = absl::Seconds(5);
  absl::StatusOr<std::unique_ptr<ApiClient>> api = ApiClient::Connect(options);
  ASSERT_TRUE(api.ok()) << api.status();
  ServiceAccountTokenClient client(api->get());
  EXPECT_EQ(client.Request("ns", "robot", TokenRequest()).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace minik8s::client
