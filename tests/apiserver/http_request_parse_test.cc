// rest::ParseHttpRequest: raw request bytes to the handler's HttpRequest, as
// the server's connections convert them (the fuzz target's entry point).
#include <string>

#include "apiserver/rest/http_server.h"
#include "gtest/gtest.h"

namespace minik8s::apiserver::rest {
namespace {

TEST(ParseHttpRequest, ARequestWithABody) {
  absl::StatusOr<HttpRequest> r = ParseHttpRequest(
      "POST /api/v1/namespaces/default/pods?labelSelector=a%3Db&x HTTP/1.1\r\n"
      "Host: h\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->path, "/api/v1/namespaces/default/pods");
  EXPECT_EQ(r->Query("labelSelector"), "a=b");
  EXPECT_TRUE(r->HasQuery("x"));
  EXPECT_EQ(r->Header("content-type"), "application/json");
  EXPECT_EQ(r->body, "{}");
}

TEST(ParseHttpRequest, AChunkedBody) {
  absl::StatusOr<HttpRequest> r = ParseHttpRequest(
      "PATCH /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "{}");
}

// Found by fuzz_rest: an empty input tripped Beast's assertion in put_eof,
// and a body shorter than its Content-Length looped for ever.
TEST(ParseHttpRequest, EmptyTruncatedAndMalformedInputsAreErrors) {
  EXPECT_FALSE(ParseHttpRequest("").ok());
  EXPECT_FALSE(ParseHttpRequest("GET / HTTP/1.1\r\nHost: h\r\n").ok());
  EXPECT_FALSE(ParseHttpRequest("POST /api/v1/namespaces/default/pods HTTP/1.1\r\n"
                                "Content-Type: application/yaml\r\nContent-Length: 92\r\n\r\n"
                                "apiVersion:\n")
                   .ok());
  EXPECT_FALSE(ParseHttpRequest("NOT HTTP\r\n\r\n").ok());
  EXPECT_FALSE(ParseHttpRequest("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", 4).ok());
}

}  // namespace
}  // namespace minik8s::apiserver::rest
