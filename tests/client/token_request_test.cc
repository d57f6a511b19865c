// ServiceAccountTokenClient (client/token_request.h) against a loopback
// HTTP/1.1 server that plays the apiserver's serviceaccounts/token
// subresource: the request it sends, the answer decoded, an error Status
// decoded, and one kept-alive connection serving several requests.
#include "client/token_request.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "api/errors.h"
#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gtest/gtest.h"

namespace minik8s::client {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using minik8s::authentication::v1::TokenRequest;

// Serves one connection until the client closes it: answers each request
// by its target, counts them.
class FakeApiserver {
 public:
  FakeApiserver() : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { Serve(); });
  }
  // The client must be gone first (its kept-alive connection closed).
  ~FakeApiserver() {
    if (connections.load() == 0) {  // wake the accept that never got one
      net::io_context ioc;
      tcp::socket wake(ioc);
      boost::system::error_code ignored;
      wake.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port()), ignored);
      thread_.join();
      return;
    }
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }

  std::atomic<int> connections{0};
  std::atomic<int> requests{0};
  std::string last_target, last_body, last_authorization;

 private:
  void Serve() {
    // One connection, served until the client closes it.
    {
      tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) return;
      ++connections;
      boost::beast::flat_buffer buffer;
      while (true) {
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) break;
        ++requests;
        last_target = std::string(req.target());
        last_body = req.body();
        last_authorization = std::string(req[http::field::authorization]);
        http::response<http::string_body> res;
        res.version(11);
        res.keep_alive(true);
        res.set(http::field::content_type, "application/json");
        if (absl::StrContains(last_target, "/serviceaccounts/robot/token")) {
          res.result(201);
          res.body() = R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",)"
                       R"("spec":{"expirationSeconds":3607},"status":{"token":"eyJ.signed",)"
                       R"("expirationTimestamp":"2026-12-06T11:00:07Z"}})";
        } else {
          res.result(404);
          res.body() =
              R"({"kind":"Status","apiVersion":"v1","status":"Failure",)"
              R"("message":"serviceaccounts \"ghost\" not found","reason":"NotFound","code":404})";
        }
        res.prepare_payload();
        http::write(socket, res, ec);
        if (ec) break;
      }
    }
  }

  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

TEST(ServiceAccountTokenClient, PostsTheRequestAndDecodesTheAnswerOnOneConnection) {
  FakeApiserver server;
  ApiClientOptions options;
  options.server = absl::StrCat("http://127.0.0.1:", server.port());
  options.bearer_token = "kubelet-token";
  auto client = ServiceAccountTokenClient::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  TokenRequest req;
  req.mutable_spec()->set_expiration_seconds(3607);
  req.mutable_spec()->mutable_bound_object_ref()->set_kind("Pod");
  req.mutable_spec()->mutable_bound_object_ref()->set_uid("uid-1");
  absl::StatusOr<TokenRequest> got = (*client)->Request("team-a", "robot", req);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status().token(), "eyJ.signed");
  EXPECT_EQ(got->status().expiration_timestamp().seconds(),
            absl::ToUnixSeconds(
                absl::FromCivil(absl::CivilSecond(2026, 12, 6, 11, 0, 7), absl::UTCTimeZone())));
  EXPECT_EQ(server.last_target, "/api/v1/namespaces/team-a/serviceaccounts/robot/token");
  EXPECT_EQ(server.last_authorization, "Bearer kubelet-token");
  EXPECT_TRUE(absl::StrContains(server.last_body, R"("kind":"TokenRequest")"));
  EXPECT_TRUE(absl::StrContains(server.last_body, R"("uid":"uid-1")"));

  absl::StatusOr<TokenRequest> missing = (*client)->Request("team-a", "ghost", req);
  EXPECT_TRUE(api::IsNotFound(missing.status())) << missing.status();
  EXPECT_EQ(missing.status().message(), "serviceaccounts \"ghost\" not found");
  ASSERT_TRUE((*client)->Request("team-a", "robot", req).ok());
  EXPECT_EQ(server.requests.load(), 3);
  EXPECT_EQ(server.connections.load(), 1) << "the connection is kept alive";
}

TEST(ServiceAccountTokenClient, BadAddressesAndNamesAreClearErrors) {
  ApiClientOptions options;
  options.server = "unix:///run/apiserver.sock";
  EXPECT_EQ(ServiceAccountTokenClient::Create(options).status().code(),
            absl::StatusCode::kUnimplemented);
  options.server = "https://no-port";
  EXPECT_EQ(ServiceAccountTokenClient::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.server = "http://127.0.0.1:1";  // nothing listens
  auto client = ServiceAccountTokenClient::Create(options);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->Request("ns", "a/b", TokenRequest()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*client)->Request("ns", "robot", TokenRequest()).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace minik8s::client
