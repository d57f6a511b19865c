// The resource arguments of get/describe/delete and friends, as kubectl
// reads them:
//   TYPE                     every object of a type (`pods`, `deploy`)
//   TYPE1,TYPE2              several types (`deploy,rs,pods`; `all`)
//   TYPE NAME1 NAME2         objects of one type by name
//   TYPE/NAME TYPE2/NAME2    objects by type and name
// Types are plural, singular, short names or kinds, optionally qualified by
// group (`deployments.apps`), resolved through the scheme.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_CMD_RESOURCE_ARGS_H_
#define MINIK8S_KUBECTL_CMD_RESOURCE_ARGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/scheme.h"

namespace minik8s::kubectl {

struct ResourceRequest {
  const api::KindInfo* kind = nullptr;
  std::vector<std::string> names;  // empty: all objects of the kind
};

// `all` expands to pods, services, deployments, replicasets, jobs: the kinds whose
// discovery categories include "all" (kubectl's `get all`), in kubectl's
// order. Written out here because the gRPC discovery (ListResources) does
// not carry categories; the HTTP discovery does.
absl::StatusOr<std::vector<ResourceRequest>> ParseResourceArgs(
    const std::vector<std::string>& args, const api::Scheme& scheme = api::Scheme::Default());

// One type name → its kind; NotFound `the server doesn't have a resource
// type "x"`.
absl::StatusOr<const api::KindInfo*> ResolveType(
    const std::string& type, const api::Scheme& scheme = api::Scheme::Default());

// Splits `TYPE/NAME`; InvalidArgument when there is no `/` or a side is empty.
absl::StatusOr<std::pair<const api::KindInfo*, std::string>> ParseTypeName(
    const std::string& arg, const api::Scheme& scheme = api::Scheme::Default());

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_RESOURCE_ARGS_H_
