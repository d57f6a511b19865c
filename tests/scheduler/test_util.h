// Builders for pods and nodes in scheduler tests.
#ifndef MINIK8S_TESTS_SCHEDULER_TEST_UTIL_H_
#define MINIK8S_TESTS_SCHEDULER_TEST_UTIL_H_

#include <memory>
#include <string>

#include "api/quantity.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::scheduler::testutil {

using minik8s::core::v1::Node;
using minik8s::core::v1::Pod;

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

}  // namespace minik8s::scheduler::testutil

#endif  // MINIK8S_TESTS_SCHEDULER_TEST_UTIL_H_
