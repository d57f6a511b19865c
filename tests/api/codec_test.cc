#include "api/codec.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "api/yaml_scalar.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::api {
namespace {

namespace fs = std::filesystem;
using google::protobuf::util::MessageDifferencer;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> FilesIn(const fs::path& dir, const std::vector<std::string>& extensions) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (std::find(extensions.begin(), extensions.end(), entry.path().extension().string()) !=
        extensions.end()) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const fs::path kSourceDir = MINIK8S_SOURCE_DIR;

std::string Msg(const absl::Status& status) { return std::string(status.message()); }

// ---------------------------------------------------------------- strictness

// Every file in testdata/invalid states the exact error it must produce: YAML
// files on their first line (`# error: ...`), JSON files in `<file>.error`.
TEST(Codec, InvalidManifestsFailWithExactMessages) {
  std::vector<fs::path> files =
      FilesIn(kSourceDir / "tests/api/testdata/invalid", {".yaml", ".json"});
  ASSERT_GE(files.size(), 15u);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    std::string text = ReadFile(file);
    std::string expected;
    if (file.extension() == ".json") {
      expected = ReadFile(file.string() + ".error");
    } else {
      constexpr std::string_view kHeader = "# error: ";
      ASSERT_EQ(text.compare(0, kHeader.size(), kHeader), 0) << "missing '# error:' header";
      expected = text.substr(kHeader.size(), text.find('\n') - kHeader.size());
    }
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();
    absl::StatusOr<std::vector<DecodedObject>> got = DecodeAll(text);
    ASSERT_FALSE(got.ok()) << "decoded without error";
    EXPECT_TRUE(absl::IsInvalidArgument(got.status()));
    EXPECT_EQ(std::string(got.status().message()), expected);
  }
}

TEST(Codec, StrictScalarTypes) {
  struct Case {
    const char* yaml;   // a Pod spec fragment under `spec:`
    const char* error;  // empty = must decode
  };
  const Case cases[] = {
      {"restartPolicy: Never", ""},
      {"restartPolicy: 3", "spec.restartPolicy: expected string, got number 3"},
      {"restartPolicy: true", "spec.restartPolicy: expected string, got boolean true"},
      {"restartPolicy: [a]", "spec.restartPolicy: expected string, got array"},
      {"restartPolicy: null", ""},
      {"hostNetwork: true", ""},
      {"hostNetwork: \"true\"",
       "spec.hostNetwork: expected boolean (true or false), got string \"true\""},
      {"hostNetwork: 1", "spec.hostNetwork: expected boolean (true or false), got number 1"},
      {"hostNetwork: on", "spec.hostNetwork: expected boolean (true or false), got string \"on\""},
      {"priority: -5", ""},
      {"priority: 2147483648", "spec.priority: value 2147483648 is out of range for int32"},
      {"priority: 1.0", "spec.priority: expected int32, got number 1.0"},
      // Integers as Kubernetes' YAML reader takes them (Go's base-0 parse).
      {"priority: 0x10", ""},
      {"priority: 0o17", ""},
      {"priority: -0b101", ""},
      {"priority: 0x80000000", "spec.priority: value 0x80000000 is out of range for int32"},
      {"restartPolicy: 0x10", "spec.restartPolicy: expected string, got number 0x10"},
      {"terminationGracePeriodSeconds: 9223372036854775807", ""},
      {"terminationGracePeriodSeconds: 9223372036854775808",
       "spec.terminationGracePeriodSeconds: value 9223372036854775808 is out of range for int64"},
      {"nodeSelector: {disk: ssd}", ""},
      {"nodeSelector: [disk]", "spec.nodeSelector: expected object, got array"},
      {"nodeSelector: {disk: 1}", "spec.nodeSelector.disk: expected string, got number 1"},
      {"containers: {}", "spec.containers: expected array, got object"},
      {"containers: [{name: a, ports: [{containerPort: http}]}]",
       "spec.containers[0].ports[0].containerPort: expected int32, got string \"http\""},
      {"containers: [{name: a, resources: {requests: {cpu: true}}}]",
       "spec.containers[0].resources.requests.cpu: expected quantity, got boolean true"},
      {"containers: [{name: a, resources: {requests: {memory: 1.5Gi, cpu: 2}}}]", ""},
      {"containers: [{name: a, readinessProbe: {httpGet: {port: 1.5}}}]",
       "spec.containers[0].readinessProbe.httpGet.port: expected int or string, got number 1.5"},
      {"containers: [{name: a, readinessProbe: {httpGet: {port: {a: b}}}}]",
       "spec.containers[0].readinessProbe.httpGet.port: expected int or string, got object"},
      {"Containers: []", "unknown field \"spec.Containers\""},
  };
  for (const auto& c : cases) {
    std::string text = std::string("apiVersion: v1\nkind: Pod\nspec:\n  ") + c.yaml + "\n";
    absl::StatusOr<DecodedObject> got = Decode(text);
    if (std::string(c.error).empty()) {
      EXPECT_TRUE(got.ok()) << c.yaml << ": " << got.status();
      continue;
    }
    ASSERT_FALSE(got.ok()) << c.yaml;
    // Every value sits on line 4 of the document.
    std::string message(got.status().message());
    EXPECT_EQ(message.rfind("line 4, column ", 0), 0u) << message;
    EXPECT_EQ(message.substr(message.find(": ") + 2), c.error) << c.yaml;
  }
}

TEST(Codec, OctalHexAndBinaryIntegersAreReadAsKubectlReadsThem) {
  absl::StatusOr<DecodedObject> got = Decode(R"(apiVersion: v1
kind: Pod
spec:
  priority: -0x10
  terminationGracePeriodSeconds: 0o17
  activeDeadlineSeconds: 0b101
  containers:
  - name: a
    ports: [{containerPort: 0x50}]
  volumes:
  - name: conf
    secret: {secretName: s, defaultMode: 0644}
  - name: keys
    configMap: {name: c, defaultMode: 0400}
)");
  ASSERT_TRUE(got.ok()) << got.status();
  const auto& pod = static_cast<const core::v1::Pod&>(*got->object);
  EXPECT_EQ(pod.spec().priority(), -16);
  EXPECT_EQ(pod.spec().termination_grace_period_seconds(), 15);
  EXPECT_EQ(pod.spec().active_deadline_seconds(), 5);
  EXPECT_EQ(pod.spec().containers(0).ports(0).container_port(), 80);
  EXPECT_EQ(pod.spec().volumes(0).secret().default_mode(), 0644) << "octal, as in Kubernetes";
  EXPECT_EQ(pod.spec().volumes(1).config_map().default_mode(), 0400);

  EXPECT_EQ(IntegerText("0644"), "420");
  EXPECT_EQ(IntegerText("0O17"), "15");
  EXPECT_EQ(IntegerText("+0x1A4"), "420");
  EXPECT_EQ(IntegerText("-0"), "-0");
  EXPECT_EQ(IntegerText("-00"), "0");
  EXPECT_EQ(IntegerText("42"), "42");
  EXPECT_EQ(IntegerText("089"), "089") << "not octal: stays decimal";
  EXPECT_EQ(IntegerText("0x"), "0x");
  EXPECT_EQ(IntegerText("0xffffffffffffffffff"), "0xffffffffffffffffff") << "overflow: unchanged";
  EXPECT_EQ(IntegerText("-0x8000000000000000"), "-9223372036854775808");
  EXPECT_EQ(ResolvePlainScalar("0x1F"), ScalarKind::kInteger);
  EXPECT_EQ(ResolvePlainScalar("0xZ"), ScalarKind::kString);
  EXPECT_EQ(ResolvePlainScalar("0o8"), ScalarKind::kString);
}

TEST(Codec, IntOrStringAndQuantityForms) {
  auto d = DecodeAs<minik8s::apps::v1::Deployment>(R"(
apiVersion: apps/v1
kind: Deployment
spec:
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: "1"
  template:
    spec:
      containers:
      - name: a
        resources:
          limits: {cpu: 0.5, memory: 1024Mi}
          requests: {cpu: "1", memory: 1e3}
        livenessProbe:
          httpGet: {port: 8080}
)");
  ASSERT_TRUE(d.ok()) << d.status();
  const auto& ru = d->spec().strategy().rolling_update();
  EXPECT_EQ(ru.max_surge().str_val(), "25%");
  // A quoted number is a string, as in Kubernetes.
  EXPECT_EQ(ru.max_unavailable().str_val(), "1");
  const auto& c = d->spec().template_().spec().containers(0);
  EXPECT_EQ(c.resources().limits().at("cpu").value(), "500m");
  EXPECT_EQ(c.resources().limits().at("memory").value(), "1Gi");
  EXPECT_EQ(c.resources().requests().at("cpu").value(), "1");
  EXPECT_EQ(c.resources().requests().at("memory").value(), "1e3");
  EXPECT_EQ(c.liveness_probe().http_get().port().int_val(), 8080);
}

TEST(Codec, MissingOrUnknownTypeIsAnError) {
  EXPECT_EQ(Msg(Decode("").status()), "no object found in input");
  EXPECT_EQ(Msg(Decode("---\n# nothing\n---\n").status()), "no object found in input");
  EXPECT_EQ(Msg(Decode("kind: Pod\napiVersion: v9\n").status()),
            "line 1, column 7: no matches for kind \"Pod\" in version \"v9\"");
  EXPECT_EQ(Msg(Decode("apiVersion: 1\nkind: Pod\n").status()),
            "line 1, column 13: apiVersion: expected string, got number 1");
  EXPECT_EQ(Msg(Decode("apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\n").status()),
            "expected one object, found 2");
}

TEST(Codec, AMapKeyTooLongToReadBackAsJsonIsRefused) {
  // 200 NUL characters: 200 bytes here, 1,202 as a JSON string ("\u0000"
  // each), past what yaml-cpp reads back as a key.
  std::string nuls;
  for (int i = 0; i < 200; ++i) nuls += "\\0";
  auto refused =
      Decode("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {\"" + nuls + "\": v}\n");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(Msg(refused.status()).find("key longer than 1000 bytes when written as a JSON string"),
            std::string::npos)
      << Msg(refused.status());
  // A key as long as Kubernetes allows (a 253-character prefix, `/`, a
  // 63-character name) is read, and reads back from its JSON.
  const std::string long_key = std::string(253, 'a') + "/" + std::string(63, 'b');
  auto ok = Decode("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {" + long_key +
                   ": v}}\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  minik8s::core::v1::ConfigMap back;
  ASSERT_TRUE(DecodeInto(EncodeJson(*ok->object), &back).ok());
  EXPECT_EQ(back.metadata().labels().at(long_key), "v");
}

TEST(Codec, DecodeIntoChecksTheType) {
  minik8s::core::v1::Pod pod;
  absl::Status s = DecodeInto("apiVersion: apps/v1\nkind: Deployment\n", &pod);
  EXPECT_EQ(Msg(s), "line 1, column 13: apiVersion: expected \"v1\", got \"apps/v1\"");
  s = DecodeInto("apiVersion: v1\nkind: Node\n", &pod);
  EXPECT_EQ(Msg(s), "line 2, column 7: kind: expected \"Pod\", got \"Node\"");
  // Without type information the caller's type is used.
  ASSERT_TRUE(DecodeInto("metadata: {name: x}\n", &pod).ok());
  EXPECT_EQ(pod.metadata().name(), "x");
  // Unregistered message types decode too.
  minik8s::core::v1::PodSpec spec;
  ASSERT_TRUE(DecodeInto("{\"nodeName\": \"n1\"}", &spec).ok());
  EXPECT_EQ(spec.node_name(), "n1");
  EXPECT_FALSE(DecodeInto("{\"apiVersion\": \"v1\"}", &spec).ok());
}

TEST(Codec, NullMeansUnset) {
  auto d = DecodeAs<minik8s::apps::v1::Deployment>(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels: ~\nspec:\n  replicas: null\n"
      "  selector:\nstatus: {}\n");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->spec().has_replicas());
  EXPECT_FALSE(d->spec().has_selector());
  EXPECT_TRUE(d->has_status());
  EXPECT_EQ(d->metadata().labels_size(), 0);
}

// ---------------------------------------------------------------- encoding

TEST(Codec, EncodesYamlLikeKubectl) {
  auto got = Decode(ReadFile(kSourceDir / "examples/nginx-deployment.yaml"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->kind->kind, "Deployment");
  EXPECT_EQ(EncodeYaml(*got->object),
            R"(apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: nginx
  name: nginx-deployment
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
      - image: nginx:1.14.2
        name: nginx
        ports:
        - containerPort: 80
)");
  EXPECT_EQ(EncodeJson(*got->object),
            R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"nginx-deployment",)"
            R"("labels":{"app":"nginx"}},"spec":{"replicas":3,"selector":{"matchLabels":)"
            R"({"app":"nginx"}},"template":{"metadata":{"labels":{"app":"nginx"}},"spec":)"
            R"({"containers":[{"name":"nginx","image":"nginx:1.14.2","ports":)"
            R"([{"containerPort":80}]}]}}}})");
}

TEST(Codec, EncodesOptionalZeroesAndOmitsEmptyValues) {
  minik8s::apps::v1::Deployment d;
  d.set_api_version("apps/v1");
  d.set_kind("Deployment");
  d.mutable_metadata()->set_name("zero");
  d.mutable_spec()->set_replicas(0);           // optional: printed although zero
  d.mutable_spec()->set_min_ready_seconds(0);  // plain: omitted
  d.mutable_spec()->set_paused(false);
  d.mutable_status();  // set but empty: {}
  EXPECT_EQ(EncodeJson(d),
            R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"zero"},)"
            R"("spec":{"replicas":0},"status":{}})");
  EXPECT_EQ(EncodeJsonIndented(d), R"({
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "zero"
    },
    "spec": {
        "replicas": 0
    },
    "status": {}
})");
}

TEST(Codec, QuotesStringsThatWouldReadBackAsSomethingElse) {
  minik8s::core::v1::Pod pod;
  pod.set_api_version("v1");
  pod.set_kind("Pod");
  auto& labels = *pod.mutable_metadata()->mutable_labels();
  const char* values[] = {
      "3",    "true",  "yes",          "",       "1.5",         "null",   "~",   "2024-01-01",
      "0x1F", "- a",   "a: b",         "#x",     "multi\nline", " pad",   "1e3", "*ref",
      "1:30", "plain", "nginx:1.14.2", "1.14.2", "500m",        "ünïcödé"};
  int i = 0;
  for (const char* v : values) labels["k" + std::to_string(i++)] = v;
  std::string yaml = EncodeYaml(pod);
  EXPECT_NE(yaml.find("k0: \"3\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("k17: plain\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("k18: nginx:1.14.2\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("k20: 500m\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("k12: \"multi\\nline\"\n"), std::string::npos) << yaml;
  auto back = DecodeAs<minik8s::core::v1::Pod>(yaml);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << yaml;
  EXPECT_TRUE(MessageDifferencer::Equals(pod, *back)) << yaml;
  auto from_json = DecodeAs<minik8s::core::v1::Pod>(EncodeJson(pod));
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  EXPECT_TRUE(MessageDifferencer::Equals(pod, *from_json));
}

TEST(Codec, TimesRoundTripInTheirPrecision) {
  auto lease = DecodeAs<minik8s::coordination::v1::Lease>(R"(
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  creationTimestamp: "2024-05-01T12:00:00.999+02:00"
spec:
  renewTime: 2024-05-01T10:00:00.1234567Z
  leaseDurationSeconds: 0
)");
  ASSERT_TRUE(lease.ok()) << lease.status();
  std::string yaml = EncodeYaml(*lease);
  EXPECT_EQ(yaml, R"(apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  creationTimestamp: "2024-05-01T10:00:00Z"
spec:
  leaseDurationSeconds: 0
  renewTime: "2024-05-01T10:00:00.123456Z"
)");
}

// ---------------------------------------------------------------- documents

TEST(Codec, DecodesMultipleDocumentsInOrder) {
  auto all = DecodeAll(ReadFile(kSourceDir / "examples/multi.yaml"));
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].kind->kind, "Namespace");
  EXPECT_EQ((*all)[1].kind->kind, "Deployment");
  EXPECT_EQ((*all)[2].kind->kind, "Pod");
  EXPECT_EQ((*all)[3].kind->kind, "Lease");
  const auto& deploy = static_cast<const minik8s::apps::v1::Deployment&>(*(*all)[1].object);
  EXPECT_EQ(deploy.metadata().namespace_(), "shop");
  EXPECT_EQ(deploy.spec().replicas(), 2);
}

TEST(Codec, DecodesListsAndListKinds) {
  auto all = DecodeAll(R"({"apiVersion": "v1", "kind": "List", "items": [
      {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
      {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "b"}}]})");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].kind->kind, "ReplicaSet");

  auto list = Decode(R"(
apiVersion: v1
kind: PodList
metadata: {resourceVersion: "42"}
items:
- metadata: {name: a}
- metadata: {name: b}
)");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_TRUE(list->is_list);
  EXPECT_EQ(list->kind->kind, "Pod");
  const auto& pods = static_cast<const minik8s::core::v1::PodList&>(*list->object);
  ASSERT_EQ(pods.items_size(), 2);
  EXPECT_EQ(pods.items(1).metadata().name(), "b");
  EXPECT_EQ(pods.metadata().resource_version(), "42");

  auto bad = DecodeAll("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Nope\n");
  EXPECT_EQ(Msg(bad.status()), "line 5, column 9: no matches for kind \"Nope\" in version \"v1\"");
}

// ---------------------------------------------------------------- robustness

// Bad input yields an error, never a crash or a hang: every truncation of
// every example and some hostile documents.
TEST(Codec, SurvivesTruncatedAndHostileInput) {
  for (const fs::path& file : FilesIn(kSourceDir / "examples", {".yaml"})) {
    std::string text = ReadFile(file);
    for (size_t n = 0; n < text.size(); n += 7) {
      absl::StatusOr<std::vector<DecodedObject>> got = DecodeAll(text.substr(0, n));
      if (got.ok()) {
        for (const DecodedObject& obj : *got) EXPECT_NE(obj.object, nullptr);
      }
    }
  }
  std::string deep_flow(100000, '[');
  EXPECT_FALSE(DecodeAll(deep_flow).ok());
  std::string deep_block = "apiVersion: v1\nkind: Pod\nmetadata:\n";
  for (int i = 0; i < 3000; ++i) deep_block += std::string(2 + 2 * i, ' ') + "a:\n";
  EXPECT_FALSE(DecodeAll(deep_block).ok());
  EXPECT_FALSE(DecodeAll("apiVersion: v1\nkind: Pod\nmetadata: {name: \"\xff\xfe\"}\n").ok());
  EXPECT_FALSE(DecodeAll("apiVersion: v1\nkind: Pod\nmetadata: &a {name: *a}\n").ok());
  EXPECT_FALSE(DecodeAll("\t{").ok());
  EXPECT_FALSE(DecodeAll("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"containers\": "
                         "[{\"name\": \"a\", \"resources\": {\"limits\": {\"cpu\": "
                         "\"99999999999999999999999999999999999E\"}}}]}}")
                   .ok());
}

// ---------------------------------------------------------------- round trip

TEST(Codec, EveryExampleRoundTrips) {
  std::vector<fs::path> files = FilesIn(kSourceDir / "examples", {".yaml", ".yml", ".json"});
  ASSERT_GE(files.size(), 6u);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    auto first = DecodeAll(ReadFile(file));
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_FALSE(first->empty());
    for (const DecodedObject& obj : *first) {
      for (const std::string& text :
           {EncodeYaml(*obj.object), EncodeJson(*obj.object), EncodeJsonIndented(*obj.object)}) {
        auto again = Decode(text);
        ASSERT_TRUE(again.ok()) << again.status() << "\n" << text;
        EXPECT_EQ(again->kind, obj.kind);
        std::string diff;
        MessageDifferencer differ;
        differ.ReportDifferencesToString(&diff);
        EXPECT_TRUE(differ.Compare(*obj.object, *again->object)) << diff << "\n" << text;
        // Encoding is deterministic: encoding again gives the same text.
        EXPECT_EQ(EncodeYaml(*again->object), EncodeYaml(*obj.object));
      }
      // Node form round trip (used for merge patches).
      std::unique_ptr<google::protobuf::Message> from_node(obj.object->New());
      ASSERT_TRUE(DecodeNode(EncodeNode(*obj.object), from_node.get()).ok());
      EXPECT_TRUE(MessageDifferencer::Equals(*obj.object, *from_node));
    }
  }
}

TEST(Codec, ExampleFieldsLandWhereKubernetesPutsThem) {
  auto web = DecodeAs<minik8s::apps::v1::Deployment>(
      ReadFile(kSourceDir / "examples/web-deployment.yaml"));
  ASSERT_TRUE(web.ok()) << web.status();
  EXPECT_EQ(web->spec().replicas(), 4);
  EXPECT_EQ(web->spec().progress_deadline_seconds(), 120);
  EXPECT_EQ(web->spec().strategy().rolling_update().max_surge().int_val(), 1);
  EXPECT_TRUE(web->spec().strategy().rolling_update().has_max_unavailable());
  const auto& pod = web->spec().template_().spec();
  EXPECT_TRUE(pod.has_security_context());
  EXPECT_EQ(pod.tolerations(0).toleration_seconds(), 60);
  EXPECT_EQ(pod.affinity()
                .node_affinity()
                .required_during_scheduling_ignored_during_execution()
                .node_selector_terms(0)
                .match_expressions(0)
                .values(0),
            "linux");
  EXPECT_EQ(pod.containers(0).readiness_probe().http_get().port().str_val(), "http");
  EXPECT_EQ(pod.containers(0).resources().limits().at("cpu").value(), "500m");
  EXPECT_EQ(pod.containers(0).env(1).value(), "4");

  auto app = DecodeAs<minik8s::core::v1::Pod>(ReadFile(kSourceDir / "examples/pod-host-dns.yaml"));
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ(app->spec().os().name(), "linux");
  EXPECT_TRUE(app->spec().host_ipc());
  EXPECT_FALSE(app->spec().host_pid());
  EXPECT_TRUE(app->spec().share_process_namespace());
  EXPECT_EQ(app->spec().host_aliases(0).hostnames(1), "db");
  EXPECT_EQ(app->spec().dns_config().options(0).value(), "2");
  EXPECT_FALSE(app->spec().dns_config().options(1).has_value());
  EXPECT_EQ(app->spec().readiness_gates(0).condition_type(), "example.com/load-balancer-attached");
  std::string app_json = EncodeJson(*app);
  for (const char* name :
       {"\"hostIPC\":true", "\"shareProcessNamespace\":true",
        "\"hostAliases\":[{\"ip\":\"10.1.2.3\"", "\"dnsConfig\":",
        "\"readinessGates\":[{\"conditionType\":", "\"os\":{\"name\":\"linux\"}"}) {
    EXPECT_NE(app_json.find(name), std::string::npos) << name << "\n" << app_json;
  }

  auto node = DecodeAs<minik8s::core::v1::Node>(ReadFile(kSourceDir / "examples/node.yaml"));
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->spec().pod_cidr(), "10.244.1.0/24");
  EXPECT_EQ(node->status().capacity().at("memory").value(), "8Gi");
  EXPECT_EQ(node->status().node_info().machine_id(), "5f2a7c1e9b0d4c3a8e6f1b2d3c4e5f60");
  std::string json = EncodeJson(*node);
  for (const char* name :
       {"\"podCIDR\":", "\"podCIDRs\":", "\"providerID\":", "\"machineID\":", "\"systemUUID\":",
        "\"bootID\":", "\"osImage\":", "\"lastHeartbeatTime\":\"2024-05-01T10:00:00Z\""}) {
    EXPECT_NE(json.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace minik8s::api
