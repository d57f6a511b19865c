// Factories of the per-kind strategies; registry.cc lists them.
#ifndef MINIK8S_APISERVER_REGISTRY_KINDS_H_
#define MINIK8S_APISERVER_REGISTRY_KINDS_H_

#include <memory>

#include "api/scheme.h"
#include "apiserver/registry/strategy.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewNamespaceStrategy(const api::KindInfo* kind);
std::unique_ptr<Strategy> NewPodStrategy(const api::KindInfo* kind);
std::unique_ptr<Strategy> NewNodeStrategy(const api::KindInfo* kind);
std::unique_ptr<Strategy> NewEventStrategy(const api::KindInfo* kind);
std::unique_ptr<Strategy> NewDeploymentStrategy(const api::KindInfo* kind);
std::unique_ptr<Strategy> NewReplicaSetStrategy(const api::KindInfo* kind);
std::unique_ptr<Strategy> NewLeaseStrategy(const api::KindInfo* kind);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_REGISTRY_KINDS_H_
