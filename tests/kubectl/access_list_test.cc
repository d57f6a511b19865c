// `mkctl auth can-i --list`'s table (kubectl/printers/access_list.h), the
// impersonation flags --as, --as-group, --as-uid and the kubeconfig user's
// as, as-groups, as-uid; nothing here reaches a server.
#include "kubectl/printers/access_list.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/context.h"
#include "kubectl/config.h"

namespace minik8s::kubectl {
namespace {

namespace authzv1 = ::minik8s::authorization::v1;

authzv1::SubjectRulesReviewStatus TestStatus() {
  authzv1::SubjectRulesReviewStatus status;
  auto add = [&](std::vector<std::string> verbs, std::vector<std::string> groups,
                 std::vector<std::string> resources, std::vector<std::string> names) {
    auto* r = status.add_resource_rules();
    for (const auto& v : verbs) r->add_verbs(v);
    for (const auto& g : groups) r->add_api_groups(g);
    for (const auto& x : resources) r->add_resources(x);
    for (const auto& n : names) r->add_resource_names(n);
  };
  add({"get"}, {""}, {"configmaps"}, {"a", "b"});
  add({"get", "list"}, {""}, {"pods", "pods/log"}, {});
  add({"create"}, {"authorization.k8s.io"}, {"selfsubjectaccessreviews", "selfsubjectrulesreviews"},
      {});
  add({"*"}, {"*"}, {"*"}, {});
  auto* urls = status.add_non_resource_rules();
  urls->add_verbs("get");
  urls->add_non_resource_urls("/healthz");
  urls->add_non_resource_urls("/api");
  auto* again = status.add_non_resource_rules();
  again->add_verbs("get");
  again->add_non_resource_urls("/healthz");
  return status;
}

TEST(AccessList, KubectlsSortAndFormat) {
  // Sorted by Go's PolicyRule.String(): "[get list]" before "[get]", the
  // repeated /healthz rule kept, names not merged.
  EXPECT_EQ(AccessListTable(TestStatus(), false),
            "Resources                                       Non-Resource URLs   Resource Names   "
            "Verbs\n"
            "*.*                                             []                  []               "
            "[*]\n"
            "selfsubjectaccessreviews.authorization.k8s.io   []                  []               "
            "[create]\n"
            "selfsubjectrulesreviews.authorization.k8s.io    []                  []               "
            "[create]\n"
            "pods/log                                        []                  []               "
            "[get list]\n"
            "pods                                            []                  []               "
            "[get list]\n"
            "                                                [/api]              []               "
            "[get]\n"
            "                                                [/healthz]          []               "
            "[get]\n"
            "                                                [/healthz]          []               "
            "[get]\n"
            "configmaps                                      []                  [a]              "
            "[get]\n"
            "configmaps                                      []                  [b]              "
            "[get]\n");
}

TEST(AccessList, NoHeadersAndMergedVerbs) {
  authzv1::SubjectRulesReviewStatus status;
  for (const char* verb : {"watch", "get"}) {
    auto* r = status.add_resource_rules();
    r->add_verbs(verb);
    r->add_api_groups("apps");
    r->add_resources("deployments/scale");
  }
  EXPECT_EQ(AccessListTable(status, true), "deployments.apps/scale   []    []    [watch get]\n");
  EXPECT_EQ(AccessListTable(authzv1::SubjectRulesReviewStatus(), true), "");
}

struct MkRun {
  int code;
  std::string out, err;
  GlobalFlags flags;
};

MkRun Mk(std::vector<std::string> args) {
  std::ostringstream out, err;
  Context ctx(out, err);
  args.insert(args.begin(), {"--server", "unix:///nonexistent/mkctl-unit-test.sock"});
  const int code = RunMkctl(args, ctx);
  return {code, out.str(), err.str(), ctx.flags()};
}

TEST(ImpersonationFlags, ParsedAndRepeatable) {
  MkRun r = Mk({"--as", "bob", "--as-group", "dev", "--as-group=ops", "--as-uid", "7", "auth",
                "can-i", "--list", "extra"});
  EXPECT_EQ(r.flags.as, "bob");
  EXPECT_EQ(r.flags.as_groups, (std::vector<std::string>{"dev", "ops"}));
  EXPECT_EQ(r.flags.as_uid, "7");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: list option must be specified with no arguments\n");
}

TEST(CanIList, FlagErrorsAsKubectl) {
  MkRun quiet = Mk({"auth", "can-i", "--list", "-q"});
  EXPECT_EQ(quiet.err,
            "error: list option can't be specified with neither quiet, all-namespaces nor "
            "subresource options\n");
  MkRun headers = Mk({"auth", "can-i", "--no-headers", "get", "pods"});
  EXPECT_EQ(headers.err, "error: --no-headers cannot be set without --list specified\n");
}

TEST(ImpersonationFlags, KubeconfigUserFields) {
  ServerEnvironment env;
  env.kubeconfig_flag = "/k";
  env.read_file = [](const std::string&) -> absl::StatusOr<std::string> {
    return std::string(R"(clusters:
- name: c
  cluster: {server: "http://127.0.0.1:5555"}
users:
- name: admin
  user:
    token: t
    as: bob
    as-groups: [dev, ops]
    as-uid: "42"
contexts:
- name: a
  context: {cluster: c, user: admin}
current-context: a
)");
  };
  absl::StatusOr<ClusterConfig> c = ResolveServer(env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->impersonate.user, "bob");
  EXPECT_EQ(c->impersonate.groups, (std::vector<std::string>{"dev", "ops"}));
  EXPECT_EQ(c->impersonate.uid, "42");
  EXPECT_EQ(client::ImpersonationHeaders(c->impersonate),
            (std::vector<std::pair<std::string, std::string>>{{"Impersonate-User", "bob"},
                                                              {"Impersonate-Group", "dev"},
                                                              {"Impersonate-Group", "ops"},
                                                              {"Impersonate-Uid", "42"}}));
}

}  // namespace
}  // namespace minik8s::kubectl
