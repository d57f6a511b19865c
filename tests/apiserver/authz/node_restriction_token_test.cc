// NodeRestriction on serviceaccounts/token (Kubernetes' admitServiceAccount):
// a node's token request must be bound to a pod of its own, by name and
// uid, with Kubernetes' messages; other callers and other subresources pass.
#include <gtest/gtest.h>

#include <string>

#include "api/errors.h"
#include "api/scheme.h"
#include "apiserver/admission/noderestriction/node_restriction.h"
#include "k8s/authentication/v1/authentication.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver::admission {
namespace {

const authn::UserInfo kN1{.name = "system:node:n1", .groups = {"system:nodes"}};
const authn::UserInfo kAlice{.name = "alice", .groups = {"system:authenticated"}};

class NodeTokenTest : public ::testing::Test {
 protected:
  NodeRestriction plugin_{
      [](const std::string&) -> absl::StatusOr<std::string> { return std::string("uid-n1"); },
      [](const std::string& ns, const std::string& name) -> absl::StatusOr<core::v1::Pod> {
        core::v1::Pod pod;
        pod.mutable_metadata()->set_namespace_(ns);
        pod.mutable_metadata()->set_name(name);
        pod.mutable_metadata()->set_uid("uid-" + name);
        if (name == "mine") pod.mutable_spec()->set_node_name("n1");
        if (name == "theirs") pod.mutable_spec()->set_node_name("n2");
        if (name == "mine" || name == "theirs") return pod;
        return api::NewNotFound(*api::Scheme::Default().FindByResource("pods"), name);
      }};

  absl::Status Ask(const authn::UserInfo& user, const authentication::v1::TokenRequest& request,
                   const std::string& subresource = "token") {
    return plugin_.Admit({.user = &user,
                          .operation = Operation::kCreate,
                          .kind = api::Scheme::Default().FindByResource("serviceaccounts"),
                          .namespace_ = "default",
                          .name = "robot",
                          .subresource = subresource,
                          .object = &request});
  }

  static authentication::v1::TokenRequest BoundTo(const std::string& kind, const std::string& name,
                                                  const std::string& uid) {
    authentication::v1::TokenRequest request;
    auto* ref = request.mutable_spec()->mutable_bound_object_ref();
    ref->set_api_version("v1");
    ref->set_kind(kind);
    ref->set_name(name);
    ref->set_uid(uid);
    return request;
  }
};

TEST_F(NodeTokenTest, OnlyTokensBoundToItsOwnPods) {
  EXPECT_TRUE(Ask(kN1, BoundTo("Pod", "mine", "uid-mine")).ok());

  const std::string prefix = "serviceaccounts \"robot\" is forbidden: ";
  absl::Status status = Ask(kN1, authentication::v1::TokenRequest());
  EXPECT_EQ(api::Reason(status), "Forbidden");
  EXPECT_EQ(status.message(), prefix + "node requested token not bound to a pod");
  EXPECT_EQ(Ask(kN1, BoundTo("Secret", "mine", "uid-mine")).message(),
            prefix + "node requested token not bound to a pod");
  EXPECT_EQ(Ask(kN1, BoundTo("Pod", "mine", "")).message(),
            prefix + "node requested token with a pod binding without a uid");
  EXPECT_EQ(Ask(kN1, BoundTo("Pod", "theirs", "uid-theirs")).message(),
            prefix + "node requested token bound to a pod scheduled on a different node");
  EXPECT_EQ(Ask(kN1, BoundTo("Pod", "mine", "uid-old")).message(),
            prefix +
                "the UID in the bound object reference (uid-old) does not match the UID in "
                "record. The object might have been deleted and then recreated");
  status = Ask(kN1, BoundTo("Pod", "gone", "uid-gone"));
  EXPECT_TRUE(api::IsNotFound(status)) << status;
  EXPECT_EQ(status.message(), "pods \"gone\" not found");
}

TEST_F(NodeTokenTest, OthersAndOtherWritesPass) {
  EXPECT_TRUE(Ask(kAlice, authentication::v1::TokenRequest()).ok());
  EXPECT_TRUE(Ask(kN1, authentication::v1::TokenRequest(), "").ok());
}

}  // namespace
}  // namespace minik8s::apiserver::admission
