// The shared API error library: what the apiserver builds is what clients
// recognise, in-process, through gRPC's error details and from a Status body.
#include "api/errors.h"

#include <gtest/gtest.h>

#include "api/scheme.h"

namespace minik8s::api {
namespace {

const KindInfo& Kind(absl::string_view resource) {
  const KindInfo* kind =
      Scheme::Default().FindByResource(std::string_view(resource.data(), resource.size()));
  EXPECT_NE(kind, nullptr) << resource;
  return *kind;
}

TEST(ApiErrorsTest, NotFoundCarriesReasonCodeAndDetails) {
  absl::Status s = NewNotFound(Kind("deployments"), "web");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "deployments.apps \"web\" not found");
  EXPECT_TRUE(api::IsNotFound(s));
  EXPECT_FALSE(api::IsConflict(s));
  meta::v1::Status st = ToApiStatus(s);
  EXPECT_EQ(st.reason(), "NotFound");
  EXPECT_EQ(st.code(), 404);
  EXPECT_EQ(st.status(), "Failure");
  EXPECT_EQ(st.details().name(), "web");
  EXPECT_EQ(st.details().group(), "apps");
  EXPECT_EQ(st.details().kind(), "deployments");
}

TEST(ApiErrorsTest, GroupResourceFormsMatchTheKindForms) {
  EXPECT_EQ(NewNotFound("pods", "p").message(), NewNotFound(Kind("pods"), "p").message());
  EXPECT_EQ(NewConflict("pods", "p", "why").message(),
            NewConflict(Kind("pods"), "p", "why").message());
  EXPECT_TRUE(api::IsAlreadyExists(NewAlreadyExists("pods", "p")));
  EXPECT_TRUE(api::IsConflict(NewStaleConflict(Kind("pods"), "p")));
}

TEST(ApiErrorsTest, InvalidAndBadRequestAreDistinctReasonsOfOneCode) {
  absl::Status invalid = NewInvalid("Pod \"p\" is invalid: spec: Required value");
  absl::Status bad = NewBadRequest("the body is not JSON");
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(api::IsInvalid(invalid));
  EXPECT_FALSE(api::IsBadRequest(invalid));
  EXPECT_TRUE(api::IsBadRequest(bad));
  EXPECT_EQ(ToApiStatus(invalid).code(), 422);
  EXPECT_EQ(ToApiStatus(bad).code(), 400);
}

TEST(ApiErrorsTest, StatusWithoutPayloadReadsAsTheServerWouldAnswerIt) {
  EXPECT_EQ(Reason(absl::OkStatus()), "");
  EXPECT_EQ(Reason(absl::NotFoundError("x")), "NotFound");
  EXPECT_EQ(Reason(absl::InvalidArgumentError("x")), "BadRequest");
  EXPECT_EQ(Reason(absl::UnimplementedError("x")), "MethodNotAllowed");
  EXPECT_EQ(Reason(absl::DataLossError("x")), "InternalError");
  meta::v1::Status st = ToApiStatus(absl::UnavailableError("store down"));
  EXPECT_EQ(st.code(), 503);
  EXPECT_EQ(st.message(), "store down");
  EXPECT_EQ(ToApiStatus(absl::OkStatus()).status(), "Success");
  EXPECT_TRUE(api::IsUnavailable(absl::DeadlineExceededError("slow")));
  EXPECT_TRUE(api::IsGone(absl::OutOfRangeError("too old")));
  EXPECT_FALSE(api::IsNotFound(absl::OkStatus()));
}

TEST(ApiErrorsTest, GrpcDetailsRoundTrip) {
  absl::Status sent = NewForbidden(Kind("namespaces"), "kube-system", "it is protected");
  meta::v1::Status st = ToApiStatus(sent);
  grpc::Status wire(static_cast<grpc::StatusCode>(sent.code()), std::string(sent.message()),
                    st.SerializeAsString());
  absl::Status got = FromGrpcError(wire);
  EXPECT_EQ(got.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reason(got), "Forbidden");
  EXPECT_EQ(ToApiStatus(got).details().name(), "kube-system");

  absl::Status bare = FromGrpcError(grpc::Status(grpc::StatusCode::UNAVAILABLE, "refused"));
  EXPECT_FALSE(StatusObject(bare).has_value());
  EXPECT_TRUE(api::IsUnavailable(bare));
  EXPECT_TRUE(FromGrpcError(grpc::Status::OK).ok());
}

TEST(ApiErrorsTest, StatusObjectMapsToCodes) {
  meta::v1::Status expired;
  expired.set_reason("Expired");
  expired.set_code(410);
  expired.set_message("too old resource version: 5 (90)");
  absl::Status s = FromStatusObject(expired);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(api::IsResourceExpired(s));
  EXPECT_EQ(s.message(), expired.message());

  meta::v1::Status by_code;
  by_code.set_code(404);
  EXPECT_EQ(FromStatusObject(by_code).code(), absl::StatusCode::kNotFound);
  by_code.set_code(429);
  EXPECT_EQ(FromStatusObject(by_code).code(), absl::StatusCode::kResourceExhausted);
  by_code.set_code(418);
  EXPECT_EQ(FromStatusObject(by_code).code(), absl::StatusCode::kUnknown);
}

TEST(ApiErrorsTest, InvalidCarriesCauses) {
  meta::v1::StatusCause cause;
  cause.set_reason("FieldValueInvalid");
  cause.set_field("spec.replicas");
  cause.set_message("Invalid value: -1: must be greater than or equal to 0");
  absl::Status s =
      NewInvalid(Kind("deployments"), "web",
                 "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value", {cause});
  meta::v1::Status st = ToApiStatus(s);
  ASSERT_EQ(st.details().causes_size(), 1);
  EXPECT_EQ(st.details().causes(0).field(), "spec.replicas");
  EXPECT_EQ(st.details().kind(), "Deployment");
  EXPECT_TRUE(api::IsInvalid(s));
}

}  // namespace
}  // namespace minik8s::api
