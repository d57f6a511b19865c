// Builders for pods and nodes in scheduler tests.
#ifndef MINIK8S_TESTS_SCHEDULER_TEST_UTIL_H_
#define MINIK8S_TESTS_SCHEDULER_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/quantity.h"
#include "gtest/gtest.h"
#include "k8s/core/v1/core.pb.h"
#include "scheduler/cache/snapshot.h"
#include "scheduler/framework/interface.h"
#include "scheduler/framework/types.h"

namespace minik8s::scheduler::testutil {

inline Node MakeNode(const std::string& name, const std::string& cpu = "4",
                     const std::string& memory = "16Gi", const std::string& pods = "110") {
  Node n;
  n.mutable_metadata()->set_name(name);
  auto* alloc = n.mutable_status()->mutable_allocatable();
  (*alloc)["cpu"] = minik8s::api::Quantity::MustParse(cpu).ToProto();
  (*alloc)["memory"] = minik8s::api::Quantity::MustParse(memory).ToProto();
  (*alloc)["pods"] = minik8s::api::Quantity::MustParse(pods).ToProto();
  *n.mutable_status()->mutable_capacity() = *alloc;
  return n;
}

inline Pod MakePod(const std::string& name, const std::string& cpu = "",
                   const std::string& memory = "", const std::string& ns = "default") {
  Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_(ns);
  p.mutable_metadata()->set_uid("uid-" + name);
  p.mutable_spec()->set_scheduler_name("default-scheduler");
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("nginx");
  auto* req = c->mutable_resources()->mutable_requests();
  if (!cpu.empty()) (*req)["cpu"] = minik8s::api::Quantity::MustParse(cpu).ToProto();
  if (!memory.empty()) (*req)["memory"] = minik8s::api::Quantity::MustParse(memory).ToProto();
  return p;
}

inline void AddTaint(Node* n, const std::string& key, const std::string& value,
                     const std::string& effect) {
  auto* t = n->mutable_spec()->add_taints();
  t->set_key(key);
  t->set_value(value);
  t->set_effect(effect);
}

inline void AddToleration(Pod* p, const std::string& key, const std::string& op,
                          const std::string& value, const std::string& effect) {
  auto* t = p->mutable_spec()->add_tolerations();
  t->set_key(key);
  t->set_operator_(op);
  t->set_value(value);
  t->set_effect(effect);
}

inline void SetOwner(Pod* p, const std::string& uid) {
  auto* ref = p->mutable_metadata()->add_owner_references();
  ref->set_kind("ReplicaSet");
  ref->set_name("rs");
  ref->set_uid(uid);
  ref->set_controller(true);
}

template <typename T>
std::shared_ptr<const T> Share(T v) {
  return std::make_shared<const T>(std::move(v));
}

inline constexpr char kZoneLabel[] = "topology.kubernetes.io/zone";
inline constexpr char kHostnameLabel[] = "kubernetes.io/hostname";

// A node with its hostname label and, unless `zone` is empty, a zone.
inline Node ZonedNode(const std::string& name, const std::string& zone) {
  Node n = MakeNode(name);
  auto& labels = *n.mutable_metadata()->mutable_labels();
  labels[kHostnameLabel] = name;
  if (!zone.empty()) labels[kZoneLabel] = zone;
  return n;
}

inline Pod Labeled(const std::string& name, const std::map<std::string, std::string>& labels,
                   const std::string& ns = "default") {
  Pod p = MakePod(name, "", "", ns);
  for (const auto& [k, v] : labels) (*p.mutable_metadata()->mutable_labels())[k] = v;
  return p;
}

// Nodes with pods on them, and one plugin's PreFilter/Filter and
// PreScore/Score run over all of them for an incoming pod.
template <typename P>
class PluginHarness {
 public:
  void Add(const Node& node, const std::vector<Pod>& pods = {}) {
    NodeInfo info(Share(node));
    for (const Pod& p : pods) info.AddPod(MakePodInfo(Share(p)));
    nodes_.push_back(std::move(info));
  }

  // Per node name: "" when the node fits, else the first reason.
  std::map<std::string, std::string> Filter(const Pod& pod) const {
    P plugin;
    PodInfo pi = MakePodInfo(Share(pod));
    const Snapshot snapshot(nodes_);
    CycleState state;
    EXPECT_TRUE(plugin.PreFilter(pi, snapshot, &state).ok());
    std::map<std::string, std::string> out;
    for (const NodeInfo& n : snapshot.nodes()) {
      FilterStatus s = plugin.Filter(state, pi, n);
      out[n.name()] = s.ok() ? "" : s.reasons().front();
    }
    return out;
  }

  // Normalized scores per node name, every node feasible; empty when the
  // plugin has nothing to score.
  std::map<std::string, int64_t> Score(const Pod& pod) const {
    P plugin;
    PodInfo pi = MakePodInfo(Share(pod));
    const Snapshot snapshot(nodes_);
    std::vector<const NodeInfo*> feasible;
    for (const NodeInfo& n : snapshot.nodes()) feasible.push_back(&n);
    CycleState state;
    if (!plugin.PreScore(pi, feasible, snapshot, &state)) return {};
    std::vector<int64_t> scores;
    for (const NodeInfo* n : feasible) scores.push_back(plugin.Score(state, pi, *n));
    plugin.NormalizeScore(pi, scores);
    std::map<std::string, int64_t> out;
    for (size_t i = 0; i < feasible.size(); ++i) out[feasible[i]->name()] = scores[i];
    return out;
  }

 private:
  std::vector<NodeInfo> nodes_;
};

}  // namespace minik8s::scheduler::testutil

#endif  // MINIK8S_TESTS_SCHEDULER_TEST_UTIL_H_
