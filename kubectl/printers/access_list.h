// The table `kubectl auth can-i --list` prints from a SelfSubjectRulesReview
// status (kubectl's pkg/cmd/auth/cani.go with pkg/util/rbac):
//
//   Resources                                       Non-Resource URLs   Resource Names   Verbs
//   *.*                                             []                  []               [*]
//                                                   [*]                 []               [*]
//   selfsubjectaccessreviews.authorization.k8s.io   []                  []               [create]
//
// Each rule is broken down into rules of one group, one resource, one verb
// and at most one name (one URL and one verb for non-resource rules); the
// resource ones are merged again per group, resource and name, their verbs
// appended in the order met (repeats kept, as kubectl keeps them); the rows
// are sorted by the text of Go's PolicyRule.String()
// (`&PolicyRule{Verbs:[get],APIGroups:[],...}`), bytewise, so the verbs
// order them first. Resources read `resource.group/subresource` (the core
// group adds nothing); lists print as Go's %v (`[a b]`, `[]`). Columns are
// aligned as kubectl's tabwriter (at least 6 wide, padding 3).
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_ACCESS_LIST_H_
#define MINIK8S_KUBECTL_PRINTERS_ACCESS_LIST_H_

#include <string>

#include "k8s/authorization/v1/authorization.pb.h"

namespace minik8s::kubectl {

// The table, with its header line unless `no_headers`.
std::string AccessListTable(const authorization::v1::SubjectRulesReviewStatus& status,
                            bool no_headers);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_ACCESS_LIST_H_
