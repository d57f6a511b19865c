// The meta.k8s.io/v1 Table JSON (printers/table_json.h) and the kind
// printers behind it: each table is parsed back with yaml-cpp (JSON is YAML)
// and checked field by field. Quoted scalars come back with tag "!", plain
// ones (numbers, null) with "?", which tells JSON strings from numbers.
#include "printers/table_json.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/scheme.h"
#include "gtest/gtest.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "printers/registry.h"
#include "tests/kubectl/test_objects.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::printers {
namespace {

using google::protobuf::Message;
using kubectl::testing::Ago;
using kubectl::testing::FromYaml;
using kubectl::testing::Now;

const api::KindInfo& Kind(const char* resource) {
  const api::KindInfo* k = api::Scheme::Default().FindByResource(resource);
  EXPECT_NE(k, nullptr) << resource;
  return *k;
}

YAML::Node Parse(const std::string& json) {
  try {
    return YAML::Load(json);
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << "not valid JSON/YAML: " << e.what() << "\n" << json;
    return YAML::Node();
  }
}

std::vector<std::string> ColumnNames(const YAML::Node& table) {
  std::vector<std::string> names;
  for (const auto& c : table["columnDefinitions"]) names.push_back(c["name"].as<std::string>());
  return names;
}

std::vector<int> Priorities(const YAML::Node& table) {
  std::vector<int> out;
  for (const auto& c : table["columnDefinitions"]) out.push_back(c["priority"].as<int>());
  return out;
}

// Cells as text, with integers marked `#n` so a test sees the JSON type.
std::vector<std::string> Cells(const YAML::Node& row) {
  std::vector<std::string> out;
  for (const auto& c : row["cells"]) {
    const std::string v = c.as<std::string>();
    out.push_back(c.Tag() == "!" ? v : "#" + v);
  }
  return out;
}

TableJsonOptions At(absl::Time now) {
  TableJsonOptions o;
  o.now = now;
  return o;
}

core::v1::Pod RunningPod() {
  return FromYaml<core::v1::Pod>(absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: default
  uid: 7f1c
  resourceVersion: "41"
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

core::v1::Pod PendingPod() {
  return FromYaml<core::v1::Pod>(absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: queued
  namespace: default
  creationTimestamp: )",
                                              Ago(absl::Seconds(10)), R"(
spec:
  containers:
  - name: app
    image: busybox
  - name: side
    image: busybox
status:
  phase: Pending
)"));
}

TEST(TableJson, PodsWithKubernetesColumnsAndPartialMetadata) {
  core::v1::Pod running = RunningPod(), pending = PendingPod();
  TableJsonOptions o = At(Now());
  o.resource_version = "57";
  const YAML::Node t = Parse(EncodeTableJson(Kind("pods"), {&running, &pending}, o));
  EXPECT_EQ(t["kind"].as<std::string>(), "Table");
  EXPECT_EQ(t["apiVersion"].as<std::string>(), "meta.k8s.io/v1");
  EXPECT_EQ(t["metadata"]["resourceVersion"].as<std::string>(), "57");
  EXPECT_FALSE(t["metadata"]["continue"]);
  EXPECT_EQ(ColumnNames(t),
            (std::vector<std::string>{"Name", "Ready", "Status", "Restarts", "Age", "IP", "Node",
                                      "Nominated Node", "Readiness Gates"}));
  EXPECT_EQ(Priorities(t), (std::vector<int>{0, 0, 0, 0, 0, 1, 1, 1, 1}));
  const YAML::Node name = t["columnDefinitions"][0];
  EXPECT_EQ(name["format"].as<std::string>(), "name");
  EXPECT_EQ(name["type"].as<std::string>(), "string");
  EXPECT_FALSE(name["description"].as<std::string>().empty());
  EXPECT_EQ(t["columnDefinitions"][1]["format"].as<std::string>(), "");

  ASSERT_EQ(t["rows"].size(), 2u);
  EXPECT_EQ(Cells(t["rows"][0]),
            (std::vector<std::string>{"web-1", "1/1", "Running", "0", "5m", "10.244.1.5", "node-1",
                                      "<none>", "<none>"}));
  EXPECT_EQ(Cells(t["rows"][1]),
            (std::vector<std::string>{"queued", "0/2", "Pending", "0", "10s", "<none>", "<none>",
                                      "<none>", "<none>"}));
  const YAML::Node object = t["rows"][0]["object"];
  EXPECT_EQ(object["kind"].as<std::string>(), "PartialObjectMetadata");
  EXPECT_EQ(object["apiVersion"].as<std::string>(), "meta.k8s.io/v1");
  EXPECT_EQ(object["metadata"]["name"].as<std::string>(), "web-1");
  EXPECT_EQ(object["metadata"]["namespace"].as<std::string>(), "default");
  EXPECT_EQ(object["metadata"]["uid"].as<std::string>(), "7f1c");
  EXPECT_EQ(object["metadata"]["labels"]["app"].as<std::string>(), "web");
  EXPECT_FALSE(object["spec"]) << "metadata only";
  EXPECT_EQ(t["rows"][1]["object"]["metadata"]["name"].as<std::string>(), "queued");
  EXPECT_FALSE(t["rows"][0]["conditions"]);
}

TEST(TableJson, FinishedPodsCarryTheCompletedCondition) {
  auto done = FromYaml<core::v1::Pod>(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: job-1\nspec:\n  containers:\n"
      "  - name: a\n    image: busybox\nstatus:\n  phase: Succeeded\n");
  const YAML::Node t = Parse(EncodeTableJson(Kind("pods"), {&done}, At(Now())));
  const YAML::Node c = t["rows"][0]["conditions"];
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["type"].as<std::string>(), "Completed");
  EXPECT_EQ(c[0]["status"].as<std::string>(), "True");
  EXPECT_EQ(c[0]["reason"].as<std::string>(), "Succeeded");
}

TEST(TableJson, DeploymentCellsAreTypedAsKubernetesTypesThem) {
  auto d = FromYaml<apps::v1::Deployment>(absl::StrCat(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: default
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
      - name: log
        image: fluentbit
status:
  replicas: 3
  updatedReplicas: 3
  readyReplicas: 2
  availableReplicas: 2
)"));
  const YAML::Node t = Parse(EncodeTableJson(Kind("deployments"), {&d}, At(Now())));
  EXPECT_EQ(ColumnNames(t), (std::vector<std::string>{"Name", "Ready", "Up-to-date", "Available",
                                                      "Age", "Containers", "Images", "Selector"}));
  EXPECT_EQ(Priorities(t), (std::vector<int>{0, 0, 0, 0, 0, 1, 1, 1}));
  // READY is text ("2/3"); UP-TO-DATE and AVAILABLE are JSON numbers.
  EXPECT_EQ(Cells(t["rows"][0]),
            (std::vector<std::string>{"nginx", "2/3", "#3", "#2", "10m", "nginx,log",
                                      "nginx:1.25,fluentbit", "app=nginx"}));
}

TEST(TableJson, ReplicaSetCountsAreIntegerColumns) {
  auto rs = FromYaml<apps::v1::ReplicaSet>(
      "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-abc\nspec:\n  replicas: 4\n"
      "  selector:\n    matchLabels:\n      app: web\n  template:\n    spec:\n      containers:\n"
      "      - name: web\n        image: nginx\nstatus:\n  replicas: 4\n  readyReplicas: 1\n");
  const YAML::Node t = Parse(EncodeTableJson(Kind("replicasets"), {&rs}, At(Now())));
  EXPECT_EQ(t["columnDefinitions"][1]["type"].as<std::string>(), "integer");
  EXPECT_EQ(Cells(t["rows"][0]), (std::vector<std::string>{"web-abc", "#4", "#4", "#1", "<unknown>",
                                                           "web", "nginx", "app=web"}));
}

TEST(TableJson, KindWithoutOwnColumnsGetsNameAndAge) {
  const api::KindInfo* binding = api::Scheme::Default().FindByKind("v1", "Binding");
  ASSERT_NE(binding, nullptr);
  auto b = FromYaml<core::v1::Binding>(
      absl::StrCat("apiVersion: v1\nkind: Binding\nmetadata:\n  name: web-1\n  creationTimestamp: ",
                   Ago(absl::Hours(3)), "\ntarget:\n  kind: Node\n  name: node-1\n"));
  const YAML::Node t = Parse(EncodeTableJson(*binding, {&b}, At(Now())));
  EXPECT_EQ(ColumnNames(t), (std::vector<std::string>{"Name", "Age"}));
  EXPECT_EQ(t["columnDefinitions"][0]["format"].as<std::string>(), "name");
  EXPECT_EQ(Cells(t["rows"][0]), (std::vector<std::string>{"web-1", "3h"}));
  EXPECT_EQ(&PrinterFor("example.com", "Widget"), &PrinterFor("", "Binding"));
}

TEST(TableJson, EventCountIsANumberAndNameIsTheWideNameColumn) {
  auto e = FromYaml<core::v1::Event>(
      absl::StrCat(R"(apiVersion: v1
kind: Event
metadata:
  name: crash.1
  namespace: default
involvedObject:
  kind: Pod
  name: crash
reason: BackOff
message: "  Back-off restarting failed container  "
type: Warning
count: 4
firstTimestamp: )",
                   Ago(absl::Minutes(3)), "\nlastTimestamp: ", Ago(absl::Seconds(20)), "\n"));
  const YAML::Node t = Parse(EncodeTableJson(Kind("events"), {&e}, At(Now())));
  EXPECT_EQ(ColumnNames(t),
            (std::vector<std::string>{"Last Seen", "Type", "Reason", "Object", "Subobject",
                                      "Source", "Message", "First Seen", "Count", "Name"}));
  EXPECT_EQ(Priorities(t), (std::vector<int>{0, 0, 0, 0, 1, 1, 0, 1, 1, 1}));
  EXPECT_EQ(t["columnDefinitions"][9]["format"].as<std::string>(), "name");
  EXPECT_EQ(
      Cells(t["rows"][0]),
      (std::vector<std::string>{"20s", "Warning", "BackOff", "pod/crash", "", "",
                                "Back-off restarting failed container", "3m", "#4", "crash.1"}));
}

TEST(TableJson, EscapesOddNamesLabelsAndInvalidUtf8) {
  core::v1::Pod pod;
  const std::string odd_name = "we\"ird\\name\n\t\x01/é";
  pod.mutable_metadata()->set_name(odd_name);
  (*pod.mutable_metadata()->mutable_labels())["k\"ey"] = "va\\lue \"quoted\"\r\n";
  pod.mutable_status()->set_phase("Bad\xff\xfephase");
  const std::string json = EncodeTableJson(Kind("pods"), {&pod}, At(Now()));
  const YAML::Node t = Parse(json);
  ASSERT_TRUE(t["rows"]) << json;
  EXPECT_EQ(t["rows"][0]["cells"][0].as<std::string>(), odd_name);
  EXPECT_EQ(t["rows"][0]["object"]["metadata"]["name"].as<std::string>(), odd_name);
  EXPECT_EQ(t["rows"][0]["object"]["metadata"]["labels"]["k\"ey"].as<std::string>(),
            "va\\lue \"quoted\"\r\n");
  // Invalid UTF-8 becomes U+FFFD, once per bad byte.
  EXPECT_EQ(t["rows"][0]["cells"][2].as<std::string>(), "Bad\xEF\xBF\xBD\xEF\xBF\xBDphase");
  EXPECT_EQ(JsonString("a\"b\\c\x7f"), "\"a\\\"b\\\\c\\u007f\"");
  EXPECT_EQ(JsonString("\xe2\x82"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // truncated sequence
}

TEST(TableJson, WatchEventTablesAndIncludeObject) {
  core::v1::Pod pod = RunningPod();
  // First event of a watch: one row, column definitions, the object's RV.
  TableJsonOptions first = At(Now());
  YAML::Node t = Parse(EncodeObjectTableJson(Kind("pods"), pod, first));
  EXPECT_EQ(t["metadata"]["resourceVersion"].as<std::string>(), "41");
  EXPECT_EQ(t["columnDefinitions"].size(), 9u);
  ASSERT_EQ(t["rows"].size(), 1u);
  // Later events: `"columnDefinitions":null`, as kube-apiserver sends them.
  TableJsonOptions later = At(Now());
  later.include_column_definitions = false;
  const std::string later_json = EncodeObjectTableJson(Kind("pods"), pod, later);
  EXPECT_NE(later_json.find("\"columnDefinitions\":null"), std::string::npos) << later_json;
  t = Parse(later_json);
  EXPECT_TRUE(t["columnDefinitions"].IsNull());
  EXPECT_EQ(t["rows"][0]["cells"].size(), 9u);

  TableJsonOptions none = At(Now());
  none.include_object = IncludeObject::kNone;
  t = Parse(EncodeTableJson(Kind("pods"), {&pod}, none));
  EXPECT_TRUE(t["rows"][0]["object"].IsNull());

  TableJsonOptions full = At(Now());
  full.include_object = IncludeObject::kObject;
  core::v1::Pod untyped = pod;  // as read back from storage: no apiVersion/kind
  untyped.clear_api_version();
  untyped.clear_kind();
  t = Parse(EncodeTableJson(Kind("pods"), {&untyped}, full));
  EXPECT_EQ(t["rows"][0]["object"]["kind"].as<std::string>(), "Pod");
  EXPECT_EQ(t["rows"][0]["object"]["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(t["rows"][0]["object"]["spec"]["nodeName"].as<std::string>(), "node-1");

  TableJsonOptions list = At(Now());
  list.continue_token = "abc";
  list.remaining_item_count = 7;
  t = Parse(EncodeTableJson(Kind("pods"), {}, list));
  EXPECT_EQ(t["metadata"]["continue"].as<std::string>(), "abc");
  EXPECT_EQ(t["metadata"]["remainingItemCount"].as<int>(), 7);
  EXPECT_EQ(t["rows"].size(), 0u);
  EXPECT_TRUE(t["rows"].IsSequence());
}

TEST(TableJson, ParseIncludeObject) {
  EXPECT_EQ(*ParseIncludeObject(""), IncludeObject::kMetadata);
  EXPECT_EQ(*ParseIncludeObject("Metadata"), IncludeObject::kMetadata);
  EXPECT_EQ(*ParseIncludeObject("None"), IncludeObject::kNone);
  EXPECT_EQ(*ParseIncludeObject("Object"), IncludeObject::kObject);
  absl::StatusOr<IncludeObject> bad = ParseIncludeObject("all");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      bad.status().message(),
      "includeObject: Invalid value: \"all\": must be 'Metadata', 'Object', 'None', or empty");
}

TEST(Registry, MessageOfAnotherTypePrintsEmptyCells) {
  core::v1::Namespace ns;
  ns.mutable_metadata()->set_name("not-a-pod");
  const Row row = PrintRow(PrinterFor(Kind("pods")), ns, Now());
  ASSERT_EQ(row.cells.size(), 9u);
  for (const Cell& c : row.cells) EXPECT_EQ(CellText(c), "");
  const YAML::Node t = Parse(EncodeTableJson(Kind("pods"), {&ns}, At(Now())));
  EXPECT_EQ(t["rows"][0]["object"]["metadata"]["name"].as<std::string>(), "not-a-pod");
}

}  // namespace
}  // namespace minik8s::printers
