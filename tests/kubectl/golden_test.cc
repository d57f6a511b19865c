// Golden-file tests of `mkctl get` tables and `mkctl describe`: the objects
// of tests/kubectl/testdata/objects.yaml (a small cluster caught mid-way
// through a rollout, with a node down), printed at a fixed time
// (2023-11-14T22:13:20Z), compared byte for byte with
// tests/kubectl/testdata/<name>.golden.
//
// After an intended output change, regenerate and review the diff:
//   MINIK8S_UPDATE_GOLDEN=1 build/bin/kubectl_unit_test --gtest_filter='Golden*'
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/codec.h"
#include "api/scheme.h"
#include "gtest/gtest.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "kubectl/printers/describe.h"
#include "kubectl/printers/resource_tables.h"
#include "kubectl/printers/table.h"
#include "tests/kubectl/test_objects.h"

namespace minik8s::kubectl {
namespace {

using testing::Now;

std::string TestData(const std::string& name) {
  return std::string(MINIK8S_SOURCE_DIR) + "/tests/kubectl/testdata/" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compares `got` with testdata/<name>.golden (or rewrites the file when
// MINIK8S_UPDATE_GOLDEN is set).
void ExpectGolden(const std::string& name, const std::string& got) {
  const std::string path = TestData(name + ".golden");
  if (std::getenv("MINIK8S_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << got;
    return;
  }
  std::ifstream probe(path);
  ASSERT_TRUE(probe.good()) << path << " is missing; run with MINIK8S_UPDATE_GOLDEN=1";
  EXPECT_EQ(got, ReadFile(path)) << "differs from " << path;
}

// Every object of objects.yaml, by kind.
struct Objects {
  std::vector<core::v1::Pod> pods;
  std::vector<apps::v1::Deployment> deployments;
  std::vector<apps::v1::ReplicaSet> replica_sets;
  std::vector<core::v1::Node> nodes;
  std::vector<core::v1::Event> events;
  std::vector<coordination::v1::Lease> leases;

  template <typename T>
  const T& Named(const std::vector<T>& list, const std::string& name) const {
    for (const T& o : list) {
      if (o.metadata().name() == name) return o;
    }
    ADD_FAILURE() << name << " is not in objects.yaml";
    return list.front();
  }
  std::vector<core::v1::Event> EventsAbout(const std::string& kind, const std::string& name) const {
    std::vector<core::v1::Event> out;
    for (const auto& e : events) {
      if (e.involved_object().kind() == kind && e.involved_object().name() == name) {
        out.push_back(e);
      }
    }
    return out;
  }
};

template <typename T>
void DecodeInto(const std::string& doc, std::vector<T>* out) {
  absl::StatusOr<T> decoded = api::DecodeAs<T>(doc);
  ASSERT_TRUE(decoded.ok()) << decoded.status() << "\n" << doc;
  out->push_back(*std::move(decoded));
}

const Objects& Load() {
  static const Objects* objects = [] {
    auto* o = new Objects();
    const std::string text = ReadFile(TestData("objects.yaml"));
    EXPECT_FALSE(text.empty());
    for (absl::string_view doc : absl::StrSplit(text, "\n---\n")) {
      const std::string d(doc);
      if (absl::StrContains(d, "\nkind: Pod\n"))
        DecodeInto(d, &o->pods);
      else if (absl::StrContains(d, "\nkind: Deployment\n"))
        DecodeInto(d, &o->deployments);
      else if (absl::StrContains(d, "\nkind: ReplicaSet\n"))
        DecodeInto(d, &o->replica_sets);
      else if (absl::StrContains(d, "\nkind: Node\n"))
        DecodeInto(d, &o->nodes);
      else if (absl::StrContains(d, "\nkind: Event\n"))
        DecodeInto(d, &o->events);
      else if (absl::StrContains(d, "\nkind: Lease\n"))
        DecodeInto(d, &o->leases);
      else
        ADD_FAILURE() << "unknown document:\n" << d;
    }
    return o;
  }();
  return *objects;
}

template <typename T>
std::string Get(const char* resource, const std::vector<T>& list, TableOptions options = {}) {
  const api::KindInfo* kind = api::Scheme::Default().FindByResource(resource);
  EXPECT_NE(kind, nullptr) << resource;
  std::vector<const google::protobuf::Message*> objects;
  for (const T& o : list) objects.push_back(&o);
  options.now = Now();
  return RenderTable(ResourceTable(*kind, objects, options));
}

TEST(GoldenGet, Pods) {
  const Objects& o = Load();
  ExpectGolden("get_pods", Get("pods", o.pods));
  ExpectGolden("get_pods_wide", Get("pods", o.pods, {.wide = true}));
  ExpectGolden("get_pods_all_namespaces_labels",
               Get("pods", o.pods, {.with_namespace = true, .show_labels = true}));
}

TEST(GoldenGet, Deployments) {
  const Objects& o = Load();
  ExpectGolden("get_deployments", Get("deployments", o.deployments));
  ExpectGolden("get_deployments_wide", Get("deployments", o.deployments, {.wide = true}));
}

TEST(GoldenGet, ReplicaSets) {
  const Objects& o = Load();
  ExpectGolden("get_replicasets", Get("replicasets", o.replica_sets));
  ExpectGolden("get_replicasets_wide", Get("replicasets", o.replica_sets, {.wide = true}));
}

TEST(GoldenGet, Nodes) {
  const Objects& o = Load();
  ExpectGolden("get_nodes", Get("nodes", o.nodes));
  ExpectGolden("get_nodes_wide", Get("nodes", o.nodes, {.wide = true}));
}

TEST(GoldenGet, Events) {
  const Objects& o = Load();
  ExpectGolden("get_events", Get("events", o.events));
  ExpectGolden("get_events_wide", Get("events", o.events, {.wide = true}));
}

TEST(GoldenDescribe, Pods) {
  const Objects& o = Load();
  for (const char* name : {"web-7d4b9c8f5-x2k9p", "crasher", "web-5f6c7d8b9-qwert"}) {
    SCOPED_TRACE(name);
    ExpectGolden(std::string("describe_pod_") + name,
                 DescribePod(o.Named(o.pods, name), o.EventsAbout("Pod", name), Now()));
  }
}

TEST(GoldenDescribe, Deployment) {
  const Objects& o = Load();
  const apps::v1::Deployment& d = o.Named(o.deployments, "web");
  std::vector<const apps::v1::ReplicaSet*> owned;
  for (const auto& rs : o.replica_sets) owned.push_back(&rs);
  std::vector<const apps::v1::ReplicaSet*> old_rs;
  const apps::v1::ReplicaSet* new_rs = nullptr;
  SplitReplicaSets(d, owned, &old_rs, &new_rs);
  ASSERT_NE(new_rs, nullptr);
  ExpectGolden("describe_deployment_web",
               DescribeDeployment(d, old_rs, new_rs, o.EventsAbout("Deployment", "web"), Now()));
}

TEST(GoldenDescribe, ReplicaSet) {
  const Objects& o = Load();
  const apps::v1::ReplicaSet& rs = o.Named(o.replica_sets, "web-5f6c7d8b9");
  std::vector<const core::v1::Pod*> pods;
  for (const auto& p : o.pods) {
    for (const auto& ref : p.metadata().owner_references()) {
      if (ref.uid() == rs.metadata().uid()) pods.push_back(&p);
    }
  }
  ExpectGolden(
      "describe_replicaset_web-5f6c7d8b9",
      DescribeReplicaSet(rs, pods, o.EventsAbout("ReplicaSet", rs.metadata().name()), Now()));
}

TEST(GoldenDescribe, Nodes) {
  const Objects& o = Load();
  for (const char* name : {"node-1", "node-2"}) {
    SCOPED_TRACE(name);
    std::vector<const core::v1::Pod*> pods;
    for (const auto& p : o.pods) {
      const std::string& phase = p.status().phase();
      if (p.spec().node_name() == name && phase != "Succeeded" && phase != "Failed") {
        pods.push_back(&p);
      }
    }
    const coordination::v1::Lease* lease = nullptr;
    for (const auto& l : o.leases) {
      if (l.metadata().name() == name) lease = &l;
    }
    ExpectGolden(
        std::string("describe_node_") + name,
        DescribeNode(o.Named(o.nodes, name), lease, pods, o.EventsAbout("Node", name), Now()));
  }
}

}  // namespace
}  // namespace minik8s::kubectl
