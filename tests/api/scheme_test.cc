#include "api/scheme.h"

#include "gtest/gtest.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::api {
namespace {

TEST(Scheme, FindsKindsByApiVersionAndKind) {
  const Scheme& s = Scheme::Default();
  const KindInfo* pod = s.FindByKind("v1", "Pod");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->group, "");
  EXPECT_EQ(pod->resource, "pods");
  EXPECT_TRUE(pod->namespaced);
  EXPECT_EQ(pod->descriptor, minik8s::core::v1::Pod::descriptor());
  EXPECT_EQ(pod->list_descriptor, minik8s::core::v1::PodList::descriptor());
  EXPECT_EQ(pod->GroupResource(), "pods");

  const KindInfo* deploy = s.FindByKind("apps/v1", "Deployment");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ(deploy->GroupResource(), "deployments.apps");
  EXPECT_EQ(s.FindByKind("v1", "Deployment"), nullptr);       // wrong group
  EXPECT_EQ(s.FindByKind("apps/v1", "deployment"), nullptr);  // kinds are case sensitive
  EXPECT_EQ(s.FindByListKind("apps/v1", "DeploymentList"), deploy);

  const KindInfo* lease = s.FindByKind("coordination.k8s.io/v1", "Lease");
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(lease->GroupResource(), "leases.coordination.k8s.io");
  const KindInfo* scale = s.FindByKind("autoscaling/v1", "Scale");
  ASSERT_NE(scale, nullptr);
  EXPECT_TRUE(scale->resource.empty());
}

TEST(Scheme, ResolvesResourceNamesUsersType) {
  const Scheme& s = Scheme::Default();
  struct Case {
    const char* name;
    const char* kind;
  };
  const Case cases[] = {
      {"pods", "Pod"},
      {"pod", "Pod"},
      {"po", "Pod"},
      {"Pod", "Pod"},
      {"deployments", "Deployment"},
      {"deploy", "Deployment"},
      {"deployment", "Deployment"},
      {"deployments.apps", "Deployment"},
      {"deploy.apps", "Deployment"},
      {"rs", "ReplicaSet"},
      {"replicasets", "ReplicaSet"},
      {"no", "Node"},
      {"nodes", "Node"},
      {"ns", "Namespace"},
      {"namespaces", "Namespace"},
      {"ev", "Event"},
      {"events", "Event"},
      {"leases", "Lease"},
      {"svc", "Service"},
      {"services", "Service"},
      {"ep", "Endpoints"},
      {"endpoints", "Endpoints"},
      {"endpointslices", "EndpointSlice"},
      {"endpointslices.discovery.k8s.io", "EndpointSlice"},
      {"roles", "Role"},
      {"clusterroles.rbac.authorization.k8s.io", "ClusterRole"},
      {"rolebindings", "RoleBinding"},
      {"clusterrolebindings", "ClusterRoleBinding"},
      {"cm", "ConfigMap"},
      {"configmaps", "ConfigMap"},
      {"NODES", "Node"},
  };
  for (const auto& c : cases) {
    const KindInfo* info = s.FindByResource(c.name);
    ASSERT_NE(info, nullptr) << c.name;
    EXPECT_EQ(info->kind, c.kind) << c.name;
  }
  EXPECT_EQ(s.FindByResource("persistentvolumes"), nullptr);  // not served
  EXPECT_EQ(s.FindByResource("scale"), nullptr);              // not a stored resource
  EXPECT_EQ(s.FindByResource("pods.apps"), nullptr);
}

TEST(Scheme, FactoriesAndTypeMeta) {
  const Scheme& s = Scheme::Default();
  const KindInfo* rs = s.FindByResource("rs");
  ASSERT_NE(rs, nullptr);
  std::unique_ptr<google::protobuf::Message> obj = rs->New();
  ASSERT_NE(obj, nullptr);
  EXPECT_EQ(obj->GetDescriptor(), minik8s::apps::v1::ReplicaSet::descriptor());
  ASSERT_TRUE(s.SetTypeMeta(obj.get()).ok());
  auto* typed = static_cast<minik8s::apps::v1::ReplicaSet*>(obj.get());
  EXPECT_EQ(typed->api_version(), "apps/v1");
  EXPECT_EQ(typed->kind(), "ReplicaSet");

  minik8s::core::v1::PodList list;
  ASSERT_TRUE(s.SetTypeMeta(&list).ok());
  EXPECT_EQ(list.api_version(), "v1");
  EXPECT_EQ(list.kind(), "PodList");

  minik8s::core::v1::PodSpec spec;
  EXPECT_TRUE(absl::IsNotFound(s.SetTypeMeta(&spec)));
  EXPECT_EQ(s.FindByDescriptor(minik8s::core::v1::Node::descriptor())->resource, "nodes");
}

TEST(Scheme, RegisterRejectsDuplicatesAndIncompleteKinds) {
  Scheme s;
  KindInfo pod;
  pod.version = "v1";
  pod.kind = "Pod";
  pod.list_kind = "PodList";
  pod.resource = "pods";
  pod.singular = "pod";
  pod.short_names = {"po"};
  pod.namespaced = true;
  pod.descriptor = minik8s::core::v1::Pod::descriptor();
  pod.list_descriptor = minik8s::core::v1::PodList::descriptor();
  ASSERT_TRUE(s.Register(pod).ok());
  EXPECT_EQ(s.FindByKind("v1", "Pod")->api_version, "v1");
  EXPECT_TRUE(absl::IsAlreadyExists(s.Register(pod)));

  KindInfo clash;
  clash.version = "v1";
  clash.kind = "Node";
  clash.resource = "nodes";
  clash.short_names = {"po"};
  clash.descriptor = minik8s::core::v1::Node::descriptor();
  EXPECT_TRUE(absl::IsAlreadyExists(s.Register(clash)));
  EXPECT_EQ(s.FindByResource("nodes"), nullptr);  // a failed registration leaves no trace

  KindInfo incomplete;
  incomplete.kind = "Thing";
  EXPECT_TRUE(absl::IsInvalidArgument(s.Register(incomplete)));
  EXPECT_EQ(s.kinds().size(), 1u);
}

}  // namespace
}  // namespace minik8s::api
