// Factories of the per-kind strategies, one file per kind in this folder;
// registry.cc lists them, one line per kind.
#ifndef MINIK8S_APISERVER_REGISTRY_KINDS_KINDS_H_
#define MINIK8S_APISERVER_REGISTRY_KINDS_KINDS_H_

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

#endif  // MINIK8S_APISERVER_REGISTRY_KINDS_KINDS_H_
