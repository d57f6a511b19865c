// `kubectl describe` text for pods, deployments, replica sets, jobs, nodes,
// services and endpoints, in the layout of Kubernetes' describers
// (pkg/describe/describe.go): labelled fields aligned like Go's tabwriter
// (padding 2, see TabAlign), nested
// sections indented by two spaces, times in RFC1123Z (UTC here), and the
// object's Events table last.
//
// The functions are pure: the command fetches the object and what it
// relates to (events, replica sets, pods, the node's lease) and passes them
// in.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_DESCRIBE_H_
#define MINIK8S_KUBECTL_PRINTERS_DESCRIBE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/batch/v1/batch.pb.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"

namespace minik8s::kubectl {

// `Mon, 02 Jan 2006 15:04:05 +0000`; unset: `Mon, 01 Jan 0001 00:00:00 +0000`.
std::string FormatRfc1123z(const minik8s::meta::v1::Time& t);

// The Events section (sorts a copy of `events` oldest first).
std::string DescribeEvents(const std::vector<core::v1::Event>& events, absl::Time now);

std::string DescribePod(const core::v1::Pod& pod, const std::vector<core::v1::Event>& events,
                        absl::Time now);

// `old_rs` and `new_rs` as the deployment controller sees them (new_rs may
// be null).
std::string DescribeDeployment(const apps::v1::Deployment& d,
                               const std::vector<const apps::v1::ReplicaSet*>& old_rs,
                               const apps::v1::ReplicaSet* new_rs,
                               const std::vector<core::v1::Event>& events, absl::Time now);

// `pods`: the pods controlled by the replica set (for the Pods Status line).
std::string DescribeReplicaSet(const apps::v1::ReplicaSet& rs,
                               const std::vector<const core::v1::Pod*>& pods,
                               const std::vector<core::v1::Event>& events, absl::Time now);

// kubectl's describe of a Job (the Pods Statuses line from its status).
std::string DescribeJob(const batch::v1::Job& job, const std::vector<core::v1::Event>& events,
                        absl::Time now);

// `lease` (may be null): the node's Lease in kube-node-lease; `pods`: the
// non-terminated pods bound to the node.
std::string DescribeNode(const core::v1::Node& node, const coordination::v1::Lease* lease,
                         const std::vector<const core::v1::Pod*>& pods,
                         const std::vector<core::v1::Event>& events, absl::Time now);

// The `Pod Template:` section alone (rollout history --revision).
std::string DescribePodTemplateText(const core::v1::PodTemplateSpec& t);

// kubectl's describe of a Service: `slices` are its EndpointSlices (label
// kubernetes.io/service-name; kubectl v1.32 reads these, not Endpoints).
std::string DescribeService(const core::v1::Service& service,
                            const std::vector<discovery::v1::EndpointSlice>& slices,
                            const std::vector<core::v1::Event>& events, absl::Time now);

std::string DescribeEndpoints(const core::v1::Endpoints& endpoints,
                              const std::vector<core::v1::Event>& events, absl::Time now);

// kubectl's list of the ready endpoints of a Service port (`port_name`;
// nullopt: every port): host:port (a bare address for a slice without
// ports) for at most three, then " + N more..."; "<none>" without slices.
std::string FormatEndpoints(const std::vector<discovery::v1::EndpointSlice>& slices,
                            const std::optional<std::string>& port_name);

// Splits a deployment's replica sets (those it controls) into the new one
// (template equal to the deployment's, ignoring pod-template-hash) and the
// old ones, oldest first.
void SplitReplicaSets(const apps::v1::Deployment& d,
                      const std::vector<const apps::v1::ReplicaSet*>& owned,
                      std::vector<const apps::v1::ReplicaSet*>* old_rs,
                      const apps::v1::ReplicaSet** new_rs);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_DESCRIBE_H_
