// Golden tests of the `get` tables, wide output, -A/--show-labels/kind
// prefixes, -o yaml/json lists and --sort-by.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/scheme.h"
#include "gtest/gtest.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "kubectl/printers/object_output.h"
#include "kubectl/printers/resource_tables.h"
#include "kubectl/printers/sort.h"
#include "kubectl/printers/table.h"
#include "tests/kubectl/test_objects.h"

namespace minik8s::kubectl {
namespace {

using testing::Ago;
using testing::FromYaml;
using testing::Now;

const api::KindInfo& Kind(const char* resource) {
  const api::KindInfo* k = api::Scheme::Default().FindByResource(resource);
  EXPECT_NE(k, nullptr) << resource;
  return *k;
}

std::string Render(const char* resource, const std::vector<const google::protobuf::Message*>& objs,
                   TableOptions options = {}) {
  options.now = Now();
  return RenderTable(ResourceTable(Kind(resource), objs, options));
}

TEST(Table, PadsLikeTabwriter) {
  Table t;
  t.headers = {"A", "LONGER", "Z"};
  t.rows = {{"x", "y", "last cell is not padded"}};
  EXPECT_EQ(RenderTable(t),
            "A     LONGER   Z\n"
            "x     y        last cell is not padded\n");
  // Columns are at least 6 wide (kubectl's tabwriter minwidth).
  EXPECT_EQ(RenderTable(t, /*no_headers=*/true), "x     y     last cell is not padded\n");
}

TEST(Table, TabAlignBreaksRunsAtLinesWithoutTabs) {
  EXPECT_EQ(TabAlign("Name:\tx\nLong label:\ty\nSection:\n  a:\tb\n", 0, 2),
            "Name:        x\n"
            "Long label:  y\n"
            "Section:\n"
            "  a:  b\n");
}

core::v1::Pod RunningPod() {
  return FromYaml<core::v1::Pod>(absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: default
  creationTimestamp: )",
                                              Ago(absl::Minutes(5)), R"(
  labels:
    app: web
spec:
  nodeName: node-1
  containers:
  - name: nginx
    image: nginx
status:
  phase: Running
  podIP: 10.244.1.5
  containerStatuses:
  - name: nginx
    ready: true
    state:
      running: {}
)"));
}

core::v1::Pod CrashingPod() {
  return FromYaml<core::v1::Pod>(absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: crash-2
  namespace: default
  creationTimestamp: )",
                                              Ago(absl::Hours(50)), R"(
spec:
  containers:
  - name: app
    image: busybox
status:
  phase: Running
  containerStatuses:
  - name: app
    ready: false
    restartCount: 3
    state:
      waiting:
        reason: CrashLoopBackOff
    lastState:
      terminated:
        exitCode: 1
        finishedAt: )",
                                              Ago(absl::Seconds(45)), "\n"));
}

TEST(PodTable, Columns) {
  core::v1::Pod a = RunningPod(), b = CrashingPod();
  EXPECT_EQ(Render("pods", {&a, &b}),
            "NAME      READY   STATUS             RESTARTS      AGE\n"
            "web-1     1/1     Running            0             5m\n"
            "crash-2   0/1     CrashLoopBackOff   3 (45s ago)   2d2h\n");
}

TEST(PodTable, Wide) {
  core::v1::Pod a = RunningPod(), b = CrashingPod();
  TableOptions o;
  o.wide = true;
  EXPECT_EQ(Render("pods", {&a, &b}, o),
            "NAME      READY   STATUS             RESTARTS      AGE    IP           NODE     "
            "NOMINATED NODE   READINESS GATES\n"
            "web-1     1/1     Running            0             5m     10.244.1.5   node-1   "
            "<none>           <none>\n"
            "crash-2   0/1     CrashLoopBackOff   3 (45s ago)   2d2h   <none>       <none>   "
            "<none>           <none>\n");
}

TEST(PodTable, WideCountsReadinessGatesThatAreTrue) {
  core::v1::Pod a = RunningPod();
  for (const char* type : {"example.com/lb", "example.com/dns", "example.com/fw"}) {
    a.mutable_spec()->add_readiness_gates()->set_condition_type(type);
  }
  auto* lb = a.mutable_status()->add_conditions();
  lb->set_type("example.com/lb");
  lb->set_status("True");
  auto* dns = a.mutable_status()->add_conditions();
  dns->set_type("example.com/dns");
  dns->set_status("False");
  TableOptions o;
  o.wide = true;
  const std::string out = Render("pods", {&a}, o);
  EXPECT_NE(out.find("<none>           1/3\n"), std::string::npos) << out;
}

TEST(PodTable, NamespaceLabelsAndKind) {
  core::v1::Pod a = RunningPod();
  TableOptions o;
  o.with_namespace = true;
  o.show_labels = true;
  o.with_kind = true;
  EXPECT_EQ(Render("pods", {&a}, o),
            "NAMESPACE   NAME        READY   STATUS    RESTARTS   AGE   LABELS\n"
            "default     pod/web-1   1/1     Running   0          5m    app=web\n");
}

apps::v1::Deployment NginxDeployment() {
  return FromYaml<apps::v1::Deployment>(absl::StrCat(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  creationTimestamp: )",
                                                     Ago(absl::Minutes(10)), R"(
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
status:
  replicas: 3
  updatedReplicas: 3
  readyReplicas: 2
  availableReplicas: 2
)"));
}

TEST(DeploymentTable, ColumnsAndWide) {
  apps::v1::Deployment d = NginxDeployment();
  EXPECT_EQ(Render("deployments", {&d}),
            "NAME    READY   UP-TO-DATE   AVAILABLE   AGE\n"
            "nginx   2/3     3            2           10m\n");
  TableOptions o;
  o.wide = true;
  EXPECT_EQ(Render("deployments", {&d}, o),
            "NAME    READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR\n"
            "nginx   2/3     3            2           10m   nginx        nginx:1.25   app=nginx\n");
}

TEST(ReplicaSetTable, AllNamespacesWithKindAndLabels) {
  auto rs = FromYaml<apps::v1::ReplicaSet>(absl::StrCat(R"(apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: nginx-abc
  namespace: prod
  creationTimestamp: )",
                                                        Ago(absl::Minutes(10)), R"(
  labels:
    pod-template-hash: abc
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    spec:
      containers:
      - name: nginx
        image: nginx
status:
  replicas: 3
  readyReplicas: 3
)"));
  TableOptions o;
  o.with_namespace = true;
  o.with_kind = true;
  o.show_labels = true;
  EXPECT_EQ(Render("replicasets", {&rs}, o),
            "NAMESPACE   NAME                        DESIRED   CURRENT   READY   AGE   LABELS\n"
            "prod        replicaset.apps/nginx-abc   3         3         3       10m   "
            "app=nginx,pod-template-hash=abc\n");
}

TEST(NodeTable, StatusAndRoles) {
  auto n1 = FromYaml<core::v1::Node>(absl::StrCat(R"(apiVersion: v1
kind: Node
metadata:
  name: node-1
  creationTimestamp: )",
                                                  Ago(absl::Hours(50)), R"(
  labels:
    node-role.kubernetes.io/control-plane: ""
status:
  conditions:
  - type: Ready
    status: "True"
  nodeInfo:
    kubeletVersion: v1.32.0
)"));
  auto n2 = FromYaml<core::v1::Node>(absl::StrCat(R"(apiVersion: v1
kind: Node
metadata:
  name: node-2
  creationTimestamp: )",
                                                  Ago(absl::Hours(5)), R"(
spec:
  unschedulable: true
status:
  conditions:
  - type: Ready
    status: "Unknown"
  nodeInfo:
    kubeletVersion: v1.32.0
)"));
  auto n3 = FromYaml<core::v1::Node>(absl::StrCat(R"(apiVersion: v1
kind: Node
metadata:
  name: node-3
  creationTimestamp: )",
                                                  Ago(absl::Seconds(45)), R"(
status:
  nodeInfo:
    kubeletVersion: v1.32.0
)"));
  EXPECT_EQ(Render("nodes", {&n1, &n2, &n3}),
            "NAME     STATUS                        ROLES           AGE    VERSION\n"
            "node-1   Ready                         control-plane   2d2h   v1.32.0\n"
            "node-2   NotReady,SchedulingDisabled   <none>          5h     v1.32.0\n"
            "node-3   Unknown                       <none>          45s    v1.32.0\n");
}

TEST(EventTable, LastSeenFromLastTimestampOrEventTime) {
  auto e1 = FromYaml<core::v1::Event>(
      absl::StrCat(R"(apiVersion: v1
kind: Event
metadata:
  name: web-1.1
  namespace: default
involvedObject:
  kind: Pod
  name: web-1
reason: Scheduled
message: Successfully assigned default/web-1 to node-1
type: Normal
firstTimestamp: )",
                   Ago(absl::Seconds(30)), "\nlastTimestamp: ", Ago(absl::Seconds(30)), "\n"));
  auto e2 = FromYaml<core::v1::Event>(
      absl::StrCat(R"(apiVersion: v1
kind: Event
metadata:
  name: crash-2.1
  namespace: default
involvedObject:
  kind: Pod
  name: crash-2
  fieldPath: spec.containers{app}
reason: BackOff
message: Back-off restarting failed container
type: Warning
reportingComponent: kubelet
reportingInstance: node-1
count: 4
eventTime: )",
                   api::FormatRfc3339Micro(Now() - absl::Seconds(10)), "\n"));
  EXPECT_EQ(
      Render("events", {&e1, &e2}),
      "LAST SEEN   TYPE      REASON      OBJECT        MESSAGE\n"
      "30s         Normal    Scheduled   pod/web-1     Successfully assigned default/web-1 to "
      "node-1\n"
      "10s         Warning   BackOff     pod/crash-2   Back-off restarting failed container\n");
  TableOptions o;
  o.wide = true;
  const std::string wide = Render("events", {&e2}, o);
  EXPECT_EQ(
      wide,
      "LAST SEEN   TYPE      REASON    OBJECT        SUBOBJECT              SOURCE            "
      "MESSAGE                                FIRST SEEN   COUNT   NAME\n"
      "10s         Warning   BackOff   pod/crash-2   spec.containers{app}   kubelet, node-1   "
      "Back-off restarting failed container   10s          4       crash-2.1\n");
}

TEST(NamespaceAndLeaseTables, Columns) {
  auto ns = FromYaml<core::v1::Namespace>(absl::StrCat(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  creationTimestamp: ",
      Ago(absl::Hours(3)), "\nstatus:\n  phase: Active\n"));
  EXPECT_EQ(Render("namespaces", {&ns}), "NAME      STATUS   AGE\ndefault   Active   3h\n");
  auto lease = FromYaml<coordination::v1::Lease>(
      absl::StrCat("apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: node-1\n"
                   "  namespace: kube-node-lease\n  creationTimestamp: ",
                   Ago(absl::Seconds(10)), "\nspec:\n  holderIdentity: node-1\n"));
  EXPECT_EQ(Render("leases", {&lease}), "NAME     HOLDER   AGE\nnode-1   node-1   10s\n");
}

TEST(QualifiedName, CoreAndGroups) {
  EXPECT_EQ(QualifiedName(Kind("pods"), "x"), "pod/x");
  EXPECT_EQ(QualifiedName(Kind("deploy"), "x"), "deployment.apps/x");
  EXPECT_EQ(QualifiedName(Kind("leases"), "x"), "lease.coordination.k8s.io/x");
}

TEST(ObjectOutput, YamlAndJsonLists) {
  auto ns =
      FromYaml<core::v1::Namespace>("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n");
  EXPECT_EQ(
      YamlList({&ns}),
      "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: a\n"
      "kind: List\nmetadata:\n  resourceVersion: \"\"\n");
  EXPECT_EQ(YamlList({}),
            "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n");
  const std::string json = JsonList({&ns});
  EXPECT_TRUE(
      absl::StartsWith(json, "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        {\n"))
      << json;
  EXPECT_NE(json.find("            \"kind\": \"Namespace\""), std::string::npos) << json;
  EXPECT_NE(json.find("    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": "
                      "\"\"\n    }\n}\n"),
            std::string::npos)
      << json;
  EXPECT_TRUE(IsKnownOutputFormat("wide"));
  EXPECT_FALSE(IsKnownOutputFormat("xml"));
  EXPECT_EQ(UnknownOutputFormatMessage("xml"),
            "unable to match a printer suitable for the output format \"xml\", allowed formats "
            "are: custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,jsonpath-file,"
            "name,wide,yaml");
}

TEST(SortBy, TimestampsAndNumbers) {
  auto e = [](const char* name, absl::Duration ago) {
    return FromYaml<core::v1::Event>(
        absl::StrCat("apiVersion: v1\nkind: Event\nmetadata:\n  name: ", name,
                     "\nlastTimestamp: ", Ago(ago), "\n"));
  };
  core::v1::Event a = e("a", absl::Minutes(1)), b = e("b", absl::Minutes(5)),
                  c = e("c", absl::Seconds(5));
  core::v1::Event none =
      FromYaml<core::v1::Event>("apiVersion: v1\nkind: Event\nmetadata:\n  name: n\n");
  std::vector<const google::protobuf::Message*> v = {&a, &b, &c, &none};
  ASSERT_TRUE(SortObjects(".lastTimestamp", &v).ok());
  EXPECT_EQ(v, (std::vector<const google::protobuf::Message*>{&none, &b, &a, &c}));
  ASSERT_TRUE(SortObjects("{.metadata.name}", &v).ok());
  EXPECT_EQ(v, (std::vector<const google::protobuf::Message*>{&a, &b, &c, &none}));

  auto d = [](const char* name, int replicas) {
    return FromYaml<apps::v1::Deployment>(
        absl::StrCat("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ", name,
                     "\nspec:\n  replicas: ", replicas, "\n"));
  };
  apps::v1::Deployment d10 = d("ten", 10), d9 = d("nine", 9);
  std::vector<const google::protobuf::Message*> ds = {&d10, &d9};
  ASSERT_TRUE(SortObjects(".spec.replicas", &ds).ok());
  EXPECT_EQ(ds[0], &d9);  // numeric, not text order

  EXPECT_FALSE(ParseFieldPath("metadata.name").ok());
  EXPECT_FALSE(ParseFieldPath("{.metadata.name").ok());
  EXPECT_EQ(*ParseFieldPath(".spec.containers[0].image"),
            (std::vector<std::string>{"spec", "containers", "[0]", "image"}));
}

}  // namespace
}  // namespace minik8s::kubectl
