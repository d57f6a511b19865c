// The RBAC authorizer (Kubernetes' plugin/pkg/auth/authorizer/rbac): a
// request is allowed when a rule of a role bound to the caller allows it
// (rule_match.h).
//
// Which bindings count: every ClusterRoleBinding naming the caller (its
// ClusterRole's rules hold everywhere, for non-resource paths too), and the
// RoleBindings naming the caller in the request's namespace (their Role, or
// ClusterRole, holds in that namespace only). A subject names the caller
// when it is the User of the caller's name, a Group the caller belongs to,
// or the ServiceAccount whose user name the caller has
// (`system:serviceaccount:<ns>:<name>`; a RoleBinding's subject without a
// namespace means the binding's namespace). A binding whose role does not
// exist grants nothing; the request's reason then says so
// (`RBAC: clusterrole.rbac.authorization.k8s.io "x" not found`), as
// Kubernetes does. RBAC never denies: it has no opinion on what it does not
// allow.
//
// Cost per request: the policy is kept as a PolicyIndex, built from the RBAC
// objects and indexed by subject (user name, group name) and, for
// RoleBindings, namespace, so a request looks at the rules bound to its
// caller only. The index is rebuilt, once, on the first request after the
// objects change (PolicySource::generation()); requests in between share it.
//
// Thread safety: safe for concurrent use; a PolicyIndex is immutable.
#ifndef MINIK8S_APISERVER_AUTHZ_RBAC_AUTHORIZER_H_
#define MINIK8S_APISERVER_AUTHZ_RBAC_AUTHORIZER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "apiserver/authz/authorizer.h"
#include "k8s/rbac/v1/rbac.pb.h"

namespace minik8s::apiserver::authz {

// The RBAC objects at one moment.
struct Policy {
  std::vector<rbac::v1::Role> roles;
  std::vector<rbac::v1::ClusterRole> cluster_roles;
  std::vector<rbac::v1::RoleBinding> role_bindings;
  std::vector<rbac::v1::ClusterRoleBinding> cluster_role_bindings;
};

class PolicyIndex {
 public:
  explicit PolicyIndex(const Policy& policy);

  // Allow when a bound rule allows the request; otherwise NoOpinion with
  // the missing roles met on the way as the reason.
  Result Authorize(const Attributes& attributes) const;

  // The rules bound to `user`: those of the ClusterRoleBindings naming it,
  // then, when `ns` is not empty, those of the RoleBindings naming it in
  // `ns`, each in the policy's order (Kubernetes' rule resolver visits them
  // so). A binding of a missing role adds an error.
  void RulesFor(const authn::UserInfo& user, const std::string& ns, RuleList* out) const;

 private:
  using Rules = std::vector<rbac::v1::PolicyRule>;
  // A binding's grant: its role's rules (nullptr when the role is missing)
  // and, for the reason, the role's name as Kubernetes prints it.
  struct Grant {
    const Rules* rules = nullptr;
    std::string missing;  // `clusterrole.rbac.authorization.k8s.io "x"`
  };

  absl::flat_hash_map<std::string, Rules> roles_;          // "<ns>/<name>"
  absl::flat_hash_map<std::string, Rules> cluster_roles_;  // "<name>"
  // Subject key ("u:<user>" or "g:<group>") → grants of ClusterRoleBindings.
  absl::flat_hash_map<std::string, std::vector<Grant>> cluster_grants_;
  // Subject key + "\n" + namespace → grants of RoleBindings there.
  absl::flat_hash_map<std::string, std::vector<Grant>> namespace_grants_;
  // The bindings in order, for RulesFor: each with its subjects' keys.
  struct OrderedBinding {
    std::vector<std::string> keys;
    Grant grant;
  };
  std::vector<OrderedBinding> cluster_bindings_;
  absl::flat_hash_map<std::string, std::vector<OrderedBinding>> namespace_bindings_;  // by ns
};

// Where the RBAC objects come from: the apiserver's watch caches
// (cache_policy_source.h) or a test's fixed objects.
class PolicySource {
 public:
  virtual ~PolicySource() = default;
  // Changes whenever the objects may have changed.
  virtual uint64_t generation() const = 0;
  // The objects now.
  virtual absl::StatusOr<Policy> Load() const = 0;
};

class RbacAuthorizer : public Authorizer {
 public:
  // `source` must outlive the authorizer.
  explicit RbacAuthorizer(const PolicySource* source) : source_(source) {}

  Result Authorize(const Attributes& attributes) const override;
  void RulesFor(const authn::UserInfo& user, const std::string& ns, RuleList* out) const override;

  // The index the next request uses (rebuilt when the source changed).
  absl::StatusOr<std::shared_ptr<const PolicyIndex>> Current() const;

 private:
  const PolicySource* const source_;
  mutable absl::Mutex mu_;
  mutable std::shared_ptr<const PolicyIndex> index_ ABSL_GUARDED_BY(mu_);
  // The source generation index_ was built from; index_ null: none yet.
  mutable uint64_t built_generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Serializes rebuilds, so a burst of requests after a change builds once.
  mutable absl::Mutex build_mu_ ABSL_ACQUIRED_BEFORE(mu_);
};

// A source of fixed objects (tests, SelfSubjectAccessReview checks).
class StaticPolicySource : public PolicySource {
 public:
  void Set(Policy policy) ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t generation() const override { return generation_.load(); }
  absl::StatusOr<Policy> Load() const override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  Policy policy_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> generation_{1};
};

}  // namespace minik8s::apiserver::authz

#endif  // MINIK8S_APISERVER_AUTHZ_RBAC_AUTHORIZER_H_
