// The kubelet API's authorization (kubelet/server_auth.h): a request's
// attributes as Kubernetes' kubelet builds them, the users client
// certificates name, and the answers with the kubelet's messages.
#include "kubelet/server_auth.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pki/issue.h"

namespace minik8s::kubelet {
namespace {

using Subresources = std::vector<std::string>;

TEST(KubeletRequestAttributes, VerbFromTheMethod) {
  EXPECT_EQ(KubeletApiVerb("GET"), "get");
  EXPECT_EQ(KubeletApiVerb("POST"), "create");
  EXPECT_EQ(KubeletApiVerb("PUT"), "update");
  EXPECT_EQ(KubeletApiVerb("PATCH"), "patch");
  EXPECT_EQ(KubeletApiVerb("DELETE"), "delete");
  EXPECT_EQ(KubeletApiVerb("HEAD"), "");
  EXPECT_EQ(KubeletApiVerb("get"), "");  // methods are upper case
}

TEST(KubeletRequestAttributes, SubresourcesByPath) {
  struct Case {
    const char* path;
    Subresources subresources;
  };
  const std::vector<Case> cases = {
      {"/stats/summary", {"stats"}},
      {"/stats", {"stats"}},
      {"/metrics", {"metrics"}},
      {"/metrics/cadvisor", {"metrics"}},
      {"/metrics/probes", {"metrics"}},
      {"/logs/", {"log"}},
      {"/logs/syslog", {"log"}},
      {"/spec/", {"spec"}},
      {"/checkpoint/default/web/c", {"checkpoint"}},
      {"/pods", {"pods", "proxy"}},
      {"/pods/", {"pods", "proxy"}},
      {"/runningpods/", {"pods", "proxy"}},
      {"/healthz", {"healthz", "proxy"}},
      {"/healthz/ping", {"healthz", "proxy"}},
      {"/configz", {"configz", "proxy"}},
      {"/containerLogs/default/web/app", {"proxy"}},
      {"/exec/default/web/app", {"proxy"}},
      {"/run/default/web/app", {"proxy"}},
      {"/attach/default/web/app", {"proxy"}},
      {"/portForward/default/web", {"proxy"}},
      {"/", {"proxy"}},
      // Only whole path segments match.
      {"/statsz", {"proxy"}},
      {"/metricsfoo", {"proxy"}},
      {"/podsx", {"proxy"}},
      {"/logsx", {"proxy"}},
  };
  for (const Case& c : cases) {
    KubeletRequestAttributes a = GetKubeletRequestAttributes("GET", c.path, "node-1");
    EXPECT_EQ(a.subresources, c.subresources) << c.path;
    EXPECT_EQ(a.verb, "get") << c.path;
    EXPECT_EQ(a.name, "node-1") << c.path;
    EXPECT_EQ(a.path, c.path);
  }
  EXPECT_EQ(GetKubeletRequestAttributes("POST", "/exec/ns/p/c", "n").verb, "create");
}

TEST(KubeletRequestAttributes, ForbiddenMessageIsTheKubelets) {
  const KubeletUser alice{.name = "alice", .groups = {"system:authenticated"}};
  EXPECT_EQ(KubeletForbiddenMessage(alice, GetKubeletRequestAttributes("GET", "/pods", "n1")),
            "Forbidden (user=alice, verb=get, resource=nodes, subresource(s)=[pods proxy])");
  EXPECT_EQ(
      KubeletForbiddenMessage(alice, GetKubeletRequestAttributes("POST", "/portForward", "n1")),
      "Forbidden (user=alice, verb=create, resource=nodes, subresource(s)=[proxy])");
}

// Answers from a list of allowed (user, verb, subresource, name); records
// every question.
class FakeAuthorizer : public KubeletAuthorizer {
 public:
  absl::StatusOr<bool> Authorize(const KubeletUser& user,
                                 const NodeAttributes& attributes) override {
    asked.push_back(attributes);
    if (!error.ok()) return error;
    for (const auto& [name, a] : allowed) {
      if (name == user.name && a == attributes) return true;
    }
    return false;
  }
  std::vector<std::pair<std::string, NodeAttributes>> allowed;
  std::vector<NodeAttributes> asked;
  absl::Status error;
};

TEST(KubeletAuth, AlwaysAllowServesEveryone) {
  KubeletAuth auth("node-1", nullptr);
  EXPECT_TRUE(auth.Authorize({.name = kAnonymousUser}, "DELETE", "/pods").ok());
}

TEST(KubeletAuth, AsksEachSubresourceInOrderUntilOneIsAllowed) {
  FakeAuthorizer authorizer;
  KubeletAuth auth("node-1", &authorizer);
  const KubeletUser alice{.name = "alice", .groups = {"system:authenticated"}};

  absl::Status refused = auth.Authorize(alice, "GET", "/pods");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "Forbidden (user=alice, verb=get, resource=nodes, subresource(s)=[pods proxy])");
  EXPECT_EQ(authorizer.asked,
            (std::vector<NodeAttributes>{{"get", "pods", "node-1"}, {"get", "proxy", "node-1"}}));

  // nodes/proxy alone is enough for /pods (the coarse permission).
  authorizer.allowed.push_back({"alice", {"get", "proxy", "node-1"}});
  EXPECT_TRUE(auth.Authorize(alice, "GET", "/pods").ok());
  EXPECT_TRUE(auth.Authorize(alice, "GET", "/containerLogs/default/web/app").ok());
  // ... but not for another verb or for /stats.
  EXPECT_EQ(auth.Authorize(alice, "POST", "/exec/default/web/app").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(auth.Authorize(alice, "GET", "/stats/summary").message(),
            "Forbidden (user=alice, verb=get, resource=nodes, subresource(s)=[stats])");

  // nodes/pods alone is enough too, and proxy is then not asked.
  const KubeletUser bob{.name = "bob"};
  authorizer.allowed.push_back({"bob", {"get", "pods", "node-1"}});
  authorizer.asked.clear();
  EXPECT_TRUE(auth.Authorize(bob, "GET", "/pods").ok());
  EXPECT_EQ(authorizer.asked, (std::vector<NodeAttributes>{{"get", "pods", "node-1"}}));
}

TEST(KubeletAuth, AnAuthorizerErrorIsAnAuthorizationError) {
  FakeAuthorizer authorizer;
  authorizer.error = absl::UnavailableError("apiserver down");
  KubeletAuth auth("node-1", &authorizer);
  absl::Status s = auth.Authorize({.name = "alice"}, "GET", "/containerLogs/a/b/c");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(),
            "Authorization error (user=alice, verb=get, resource=nodes, subresource(s)=[proxy])");
}

TEST(KubeletAuthentication, CertificateNamesUserAndGroups) {
  absl::StatusOr<pki::CertificateAuthority> ca = pki::CreateSelfSignedCa();
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::StatusOr<pki::IssuedCert> issued =
      pki::IssueWithNewKey(*ca, pki::ClientSpec("alice", {"dev", "ops"}));
  ASSERT_TRUE(issued.ok()) << issued.status();
  absl::StatusOr<std::string> pem = issued->cert.ToPem();
  ASSERT_TRUE(pem.ok());
  absl::StatusOr<KubeletUser> user = UserFromCertificatePem(*pem);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->name, "alice");
  EXPECT_EQ(user->groups, (std::vector<std::string>{"dev", "ops", "system:authenticated"}));

  EXPECT_EQ(UserFromCertificatePem("not a certificate").status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace minik8s::kubelet
