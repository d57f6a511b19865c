// End to end, against the real minik8s-store and minik8s-apiserver: mkctl
// explain reads the OpenAPI the apiserver serves and prints it as the real
// kubectl explain does (compared byte for byte when /usr/bin/kubectl
// exists). Skips when the daemons are not built.
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/kubectl/mkctl_vs_kubectl.h"

namespace minik8s {
namespace {

class MkctlExplainE2E : public MkctlVsKubectlE2E {};

TEST_F(MkctlExplainE2E, FieldsAsKubectl) {
  EXPECT_EQ(Both({"explain", "deployment.spec.strategy"}, 0),
            "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\n"
            "FIELD: strategy <DeploymentStrategy>\n\n\nDESCRIPTION:\n    <empty>\nFIELDS:\n"
            "  rollingUpdate\t<RollingUpdateDeployment>\n    <no description>\n\n"
            "  type\t<string>\n    <no description>\n\n\n");
  // A leaf whose type has a description; the core group has no GROUP line.
  EXPECT_EQ(Both({"explain", "pods.spec.containers.resources.limits"}, 0),
            "KIND:       Pod\nVERSION:    v1\n\nFIELD: limits <map[string]Quantity>\n\n\n"
            "DESCRIPTION:\n    A fixed-point number with an optional unit suffix: 500m, 128Mi, 2, "
            "1e3.\n    \n\n");
  for (const char* what :
       {"deployment", "deploy.spec", "deployments.apps.spec.template.spec.containers", "po",
        "pod.metadata", "pod.metadata.creationTimestamp", "svc.spec.ports", "nodes.status", "ns",
        "rs.status", "leases.spec", "events", "endpointslices"}) {
    Both({"explain", what}, 0);
  }
  const std::string recursive = Both({"explain", "deployment.spec", "--recursive"}, 0);
  EXPECT_TRUE(absl::StrContains(recursive,
                                "\n  selector\t<LabelSelector>\n    matchExpressions\t"
                                "<[]LabelSelectorRequirement>\n      key\t<string>\n"))
      << recursive;
  Both({"explain", "pods", "--recursive"}, 0);
}

TEST_F(MkctlExplainE2E, ErrorsAsKubectl) {
  // The header, then the error.
  EXPECT_EQ(Both({"explain", "deployment.spec.foo"}, 1),
            "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\n"
            "error: field \"foo\" does not exist\n");
  EXPECT_EQ(Both({"explain", "foo"}, 1), "the server doesn't have a resource type \"foo\"\n");
  std::string out;
  EXPECT_EQ(Mkctl({"explain"}, &out), 1);
  EXPECT_EQ(out,
            "error: You must specify the type of resource to explain. Use \"mkctl api-resources\" "
            "for a complete list of supported resources.\n");
}

}  // namespace
}  // namespace minik8s
