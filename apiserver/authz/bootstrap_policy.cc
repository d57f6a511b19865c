#include "apiserver/authz/bootstrap_policy.h"

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/authz/node_authorizer.h"
#include "google/protobuf/util/message_differencer.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver::authz {

namespace {

using rbac::v1::ClusterRole;
using rbac::v1::ClusterRoleBinding;
using rbac::v1::PolicyRule;
using rbac::v1::RoleBinding;
using Strings = std::initializer_list<const char*>;

constexpr char kGroup[] = "rbac.authorization.k8s.io";
constexpr char kAggregateLabel[] = "rbac.authorization.k8s.io/aggregate-to-";
constexpr char kCertificatesGroup[] = "certificates.k8s.io";
constexpr char kClientSigner[] = "kubernetes.io/kube-apiserver-client";
constexpr char kKubeletClientSigner[] = "kubernetes.io/kube-apiserver-client-kubelet";
constexpr char kKubeletServingSigner[] = "kubernetes.io/kubelet-serving";
constexpr char kLegacyUnknownSigner[] = "kubernetes.io/legacy-unknown";
constexpr char kSystemNamespace[] = "kube-system";

constexpr char kAutoupdateAnnotation[] = "rbac.authorization.kubernetes.io/autoupdate";

// Adds to `existing` the rules (a role) or subjects (a binding) of `want`
// that it does not hold; whether anything was added.
template <typename Repeated>
bool AppendMissing(const Repeated& want, Repeated* have) {
  bool added = false;
  for (const auto& item : want) {
    bool found = false;
    for (const auto& h : *have) {
      if (google::protobuf::util::MessageDifferencer::Equals(item, h)) found = true;
    }
    if (!found) {
      *have->Add() = item;
      added = true;
    }
  }
  return added;
}
bool AddMissing(const ClusterRole& want, ClusterRole* existing) {
  return AppendMissing(want.rules(), existing->mutable_rules());
}
bool AddMissing(const rbac::v1::Role& want, rbac::v1::Role* existing) {
  return AppendMissing(want.rules(), existing->mutable_rules());
}
bool AddMissing(const ClusterRoleBinding& want, ClusterRoleBinding* existing) {
  return AppendMissing(want.subjects(), existing->mutable_subjects());
}
bool AddMissing(const RoleBinding& want, RoleBinding* existing) {
  return AppendMissing(want.subjects(), existing->mutable_subjects());
}

const Strings kRead = {"get", "list", "watch"};
const Strings kWrite = {"create", "delete", "deletecollection", "patch", "update"};
const Strings kAll = {"create", "delete", "deletecollection", "get",
                      "list",   "patch",  "update",           "watch"};

PolicyRule Rule(Strings verbs, Strings groups, Strings resources, Strings names = {}) {
  PolicyRule rule;
  for (const char* v : verbs) rule.add_verbs(v);
  for (const char* g : groups) rule.add_api_groups(g);
  for (const char* r : resources) rule.add_resources(r);
  for (const char* n : names) rule.add_resource_names(n);
  return rule;
}

PolicyRule Urls(Strings verbs, Strings urls) {
  PolicyRule rule;
  for (const char* v : verbs) rule.add_verbs(v);
  for (const char* u : urls) rule.add_non_resource_urls(u);
  return rule;
}

void Bootstrap(minik8s::meta::v1::ObjectMeta* meta, const std::string& name) {
  meta->set_name(name);
  (*meta->mutable_labels())["kubernetes.io/bootstrapping"] = "rbac-defaults";
  (*meta->mutable_annotations())[kAutoupdateAnnotation] = "true";
}

ClusterRole Role(const std::string& name, std::vector<PolicyRule> rules) {
  ClusterRole role;
  role.set_api_version(absl::StrCat(kGroup, "/v1"));
  role.set_kind("ClusterRole");
  Bootstrap(role.mutable_metadata(), name);
  for (PolicyRule& rule : rules) *role.add_rules() = std::move(rule);
  return role;
}

// admin, edit, view: aggregated from the roles labelled aggregate-to-<name>,
// and themselves labelled into the next wider one (view → edit → admin).
ClusterRole Aggregated(const std::string& name, const char* into, std::vector<PolicyRule> rules) {
  ClusterRole role = Role(name, std::move(rules));
  (*role.mutable_aggregation_rule()
        ->add_cluster_role_selectors()
        ->mutable_match_labels())[absl::StrCat(kAggregateLabel, name)] = "true";
  if (into != nullptr) {
    (*role.mutable_metadata()->mutable_labels())[absl::StrCat(kAggregateLabel, into)] = "true";
  }
  return role;
}

ClusterRoleBinding Binding(const std::string& name, const std::string& role,
                           std::vector<std::pair<const char*, const char*>> subjects) {
  ClusterRoleBinding binding;
  binding.set_api_version(absl::StrCat(kGroup, "/v1"));
  binding.set_kind("ClusterRoleBinding");
  Bootstrap(binding.mutable_metadata(), name);
  binding.mutable_role_ref()->set_api_group(kGroup);
  binding.mutable_role_ref()->set_kind("ClusterRole");
  binding.mutable_role_ref()->set_name(role);
  for (const auto& [kind, subject_name] : subjects) {
    auto* subject = binding.add_subjects();
    subject->set_kind(kind);
    subject->set_api_group(kGroup);
    subject->set_name(subject_name);
  }
  return binding;
}

// A Role of `ns` (Kubernetes' namespace_policy.go roles).
rbac::v1::Role NamespacedRole(const std::string& ns, const std::string& name,
                              std::vector<PolicyRule> rules) {
  rbac::v1::Role role;
  role.set_api_version(absl::StrCat(kGroup, "/v1"));
  role.set_kind("Role");
  Bootstrap(role.mutable_metadata(), name);
  role.mutable_metadata()->set_namespace_(ns);
  for (PolicyRule& rule : rules) *role.add_rules() = std::move(rule);
  return role;
}

// A RoleBinding of `ns` to the Role of that name there.
RoleBinding NamespacedBinding(const std::string& ns, const std::string& name,
                              std::vector<std::pair<const char*, const char*>> subjects) {
  RoleBinding binding;
  binding.set_api_version(absl::StrCat(kGroup, "/v1"));
  binding.set_kind("RoleBinding");
  Bootstrap(binding.mutable_metadata(), name);
  binding.mutable_metadata()->set_namespace_(ns);
  binding.mutable_role_ref()->set_api_group(kGroup);
  binding.mutable_role_ref()->set_kind("Role");
  binding.mutable_role_ref()->set_name(name);
  for (const auto& [kind, subject_name] : subjects) {
    auto* subject = binding.add_subjects();
    subject->set_kind(kind);
    subject->set_api_group(kGroup);
    subject->set_name(subject_name);
  }
  return binding;
}

std::vector<PolicyRule> ViewRules() {
  return {
      Rule(kRead, {""},
           {"pods", "pods/log", "pods/status", "services", "services/status", "endpoints", "events",
            "namespaces", "namespaces/status", "serviceaccounts", "configmaps"}),
      Rule(kRead, {"apps"},
           {"deployments", "deployments/scale", "deployments/status", "replicasets",
            "replicasets/scale", "replicasets/status"}),
      Rule(kRead, {"batch"}, {"jobs", "jobs/status"}),
      Rule(kRead, {"discovery.k8s.io"}, {"endpointslices"}),
      Rule(kRead, {"events.k8s.io"}, {"events"}),
  };
}

std::vector<PolicyRule> EditRules() {
  std::vector<PolicyRule> rules = ViewRules();
  rules.push_back(
      Rule(kWrite, {""}, {"pods", "services", "endpoints", "serviceaccounts", "configmaps"}));
  rules.push_back(Rule({"create"}, {""}, {"serviceaccounts/token"}));
  rules.push_back(Rule(kWrite, {"apps"},
                       {"deployments", "deployments/scale", "replicasets", "replicasets/scale"}));
  rules.push_back(Rule(kWrite, {"batch"}, {"jobs"}));
  rules.push_back(Rule(kWrite, {"discovery.k8s.io"}, {"endpointslices"}));
  rules.push_back(Rule(kRead, {"coordination.k8s.io"}, {"leases"}));
  rules.push_back(Rule(kWrite, {"coordination.k8s.io"}, {"leases"}));
  return rules;
}

std::vector<PolicyRule> AdminRules() {
  std::vector<PolicyRule> rules = EditRules();
  rules.push_back(Rule(kAll, {kGroup}, {"roles", "rolebindings"}));
  rules.push_back(Rule({"create"}, {"authorization.k8s.io"}, {"localsubjectaccessreviews"}));
  return rules;
}

}  // namespace

Policy BootstrapPolicy() {
  Policy policy;
  auto& roles = policy.cluster_roles;
  roles.push_back(Role("cluster-admin", {Rule({"*"}, {"*"}, {"*"}), Urls({"*"}, {"*"})}));
  roles.push_back(Aggregated("admin", nullptr, AdminRules()));
  roles.push_back(Aggregated("edit", "admin", EditRules()));
  roles.push_back(Aggregated("view", "edit", ViewRules()));
  roles.push_back(
      Role("system:discovery",
           {Urls({"get"}, {"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi",
                           "/openapi/*", "/readyz", "/version", "/version/"})}));
  roles.push_back(Role("system:basic-user",
                       {Rule({"create"}, {"authorization.k8s.io"},
                             {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}),
                        Rule({"create"}, {"authentication.k8s.io"}, {"selfsubjectreviews"})}));
  roles.push_back(Role("system:public-info-viewer", {Urls({"get"}, {"/healthz", "/livez", "/readyz",
                                                                    "/version", "/version/"})}));
  // The ServiceAccount issuer's discovery documents, for the accounts
  // themselves (serviceaccount/oidc_discovery.h).
  roles.push_back(Role(
      "system:service-account-issuer-discovery",
      {Urls({"get"}, {"/.well-known/openid-configuration", "/.well-known/openid-configuration/",
                      "/openid/v1/jwks", "/openid/v1/jwks/"})}));
  roles.push_back(Role(
      "system:kube-scheduler",
      {Rule({"create", "patch", "update"}, {"", "events.k8s.io"}, {"events"}),
       Rule({"create"}, {"coordination.k8s.io"}, {"leases"}),
       Rule({"get", "update"}, {"coordination.k8s.io"}, {"leases"}, {"kube-scheduler"}),
       Rule({"delete", "get", "list", "watch"}, {""}, {"pods"}),
       Rule(kRead, {""}, {"nodes", "namespaces", "services"}),
       Rule({"create"}, {""}, {"bindings", "pods/binding"}),
       Rule({"patch", "update"}, {""}, {"pods/status"}), Rule(kRead, {"apps"}, {"replicasets"})}));
  roles.push_back(Role(
      "system:kube-controller-manager",
      {Rule(kRead, {"*"}, {"*"}),
       Rule({"create", "patch", "update"}, {"", "events.k8s.io"}, {"events"}),
       Rule({"create", "delete", "patch", "update"}, {""}, {"pods", "endpoints", "nodes"}),
       Rule({"patch", "update"}, {""}, {"pods/status", "nodes/status", "namespaces/status"}),
       Rule({"create", "delete", "patch", "update"}, {"apps"}, {"deployments", "replicasets"}),
       Rule({"patch", "update"}, {"apps"},
            {"deployments/status", "replicasets/status", "deployments/scale", "replicasets/scale"}),
       Rule({"create", "delete", "patch", "update"}, {"batch"}, {"jobs"}),
       Rule({"patch", "update"}, {"batch"}, {"jobs/status"}),
       Rule({"create", "delete", "patch", "update"}, {"discovery.k8s.io"}, {"endpointslices"}),
       Rule({"create", "get", "update"}, {"coordination.k8s.io"}, {"leases"}),
       // The certificate controllers: Kubernetes' certificate-controller role.
       Rule({"delete"}, {kCertificatesGroup}, {"certificatesigningrequests"}),
       Rule({"update"}, {kCertificatesGroup},
            {"certificatesigningrequests/status", "certificatesigningrequests/approval"}),
       // kube-apiserver-client: minik8s' approver also approves a joining
       // node's system:kube-proxy request (csr_approver.h).
       Rule({"approve"}, {kCertificatesGroup}, {"signers"}, {kKubeletClientSigner, kClientSigner}),
       Rule({"sign"}, {kCertificatesGroup}, {"signers"},
            {kLegacyUnknownSigner, kClientSigner, kKubeletClientSigner, kKubeletServingSigner}),
       Rule({"create"}, {"authorization.k8s.io"}, {"subjectaccessreviews"})}));
  roles.push_back(Role("system:node", NodeRules()));
  // Joining nodes (bound by minik8s up, as kubeadm binds them): bootstrap
  // tokens create CSRs, and the approver auto-approves the node client CSRs
  // of requesters that may create nodeclient (a new node) or selfnodeclient
  // (a node renewing its own certificate).
  roles.push_back(Role("system:node-bootstrapper",
                       {Rule({"create", "get", "list", "watch"}, {kCertificatesGroup},
                             {"certificatesigningrequests"})}));
  roles.push_back(
      Role("system:certificates.k8s.io:certificatesigningrequests:nodeclient",
           {Rule({"create"}, {kCertificatesGroup}, {"certificatesigningrequests/nodeclient"})}));
  roles.push_back(Role(
      "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
      {Rule({"create"}, {kCertificatesGroup}, {"certificatesigningrequests/selfnodeclient"})}));
  // minik8s: who may have a system:kube-proxy client certificate approved
  // by the csrapproving controller (`minik8s join`'s service proxy).
  roles.push_back(Role(
      "minik8s:certificatesigningrequests:kubeproxyclient",
      {Rule({"create"}, {kCertificatesGroup}, {"certificatesigningrequests/kubeproxyclient"})}));
  // Who may approve requests to each built-in signer (bound by nobody).
  for (const auto& [role, signer] : std::vector<std::pair<const char*, const char*>>{
           {"system:certificates.k8s.io:kube-apiserver-client-approver", kClientSigner},
           {"system:certificates.k8s.io:kube-apiserver-client-kubelet-approver",
            kKubeletClientSigner},
           {"system:certificates.k8s.io:kubelet-serving-approver", kKubeletServingSigner},
           {"system:certificates.k8s.io:legacy-unknown-approver", kLegacyUnknownSigner}}) {
    roles.push_back(Role(role, {Rule({"approve"}, {kCertificatesGroup}, {"signers"}, {signer})}));
  }
  // Delegated authentication and authorization (a kubelet's webhook
  // checks, an aggregated server's): Kubernetes' system:auth-delegator.
  roles.push_back(Role("system:auth-delegator",
                       {Rule({"create"}, {"authentication.k8s.io"}, {"tokenreviews"}),
                        Rule({"create"}, {"authorization.k8s.io"}, {"subjectaccessreviews"})}));
  // Full use of every kubelet's API (kubelet --authorization-mode=Webhook
  // asks for nodes/<subresource>): Kubernetes' system:kubelet-api-admin,
  // which `minik8s up` binds to the apiserver's kubelet client.
  roles.push_back(Role("system:kubelet-api-admin",
                       {Rule(kRead, {""}, {"nodes"}), Rule({"proxy"}, {""}, {"nodes"}),
                        Rule({"*"}, {""},
                             {"nodes/proxy", "nodes/metrics", "nodes/spec", "nodes/stats",
                              "nodes/log", "nodes/pods", "nodes/healthz", "nodes/configz"})}));
  roles.push_back(Role("system:node-proxier",
                       {Rule({"list", "watch"}, {""}, {"services", "endpoints"}),
                        Rule({"get", "list", "watch"}, {""}, {"nodes"}),
                        Rule({"list", "watch"}, {"discovery.k8s.io"}, {"endpointslices"}),
                        Rule({"create", "patch", "update"}, {"", "events.k8s.io"}, {"events"})}));

  auto& bindings = policy.cluster_role_bindings;
  bindings.push_back(Binding("cluster-admin", "cluster-admin", {{"Group", "system:masters"}}));
  bindings.push_back(
      Binding("system:discovery", "system:discovery", {{"Group", "system:authenticated"}}));
  bindings.push_back(
      Binding("system:basic-user", "system:basic-user", {{"Group", "system:authenticated"}}));
  bindings.push_back(
      Binding("system:public-info-viewer", "system:public-info-viewer",
              {{"Group", "system:authenticated"}, {"Group", "system:unauthenticated"}}));
  bindings.push_back(Binding("system:service-account-issuer-discovery",
                             "system:service-account-issuer-discovery",
                             {{"Group", "system:serviceaccounts"}}));
  bindings.push_back(Binding("system:kube-scheduler", "system:kube-scheduler",
                             {{"User", "system:kube-scheduler"}}));
  bindings.push_back(Binding("system:kube-controller-manager", "system:kube-controller-manager",
                             {{"User", "system:kube-controller-manager"}}));
  bindings.push_back(Binding("system:node", "system:node", {}));
  bindings.push_back(
      Binding("system:node-proxier", "system:node-proxier", {{"User", "system:kube-proxy"}}));

  // The tokencleaner deletes expired bootstrap token Secrets, and only in
  // kube-system: Kubernetes' role of that name, bound to the
  // controller-manager's user rather than a token-cleaner service account.
  policy.roles.push_back(
      NamespacedRole(kSystemNamespace, "system:controller:token-cleaner",
                     {Rule({"delete", "get", "list", "watch"}, {""}, {"secrets"}),
                      Rule({"create", "patch", "update"}, {"", "events.k8s.io"}, {"events"})}));
  policy.role_bindings.push_back(NamespacedBinding(kSystemNamespace,
                                                   "system:controller:token-cleaner",
                                                   {{"User", "system:kube-controller-manager"}}));
  // The serviceaccount controller makes every namespace's "default"
  // ServiceAccount: Kubernetes' role of that name, bound to the
  // controller-manager's user rather than a service-account-controller
  // service account.
  roles.push_back(Role("system:controller:service-account-controller",
                       {Rule({"create"}, {""}, {"serviceaccounts"}),
                        Rule({"create", "patch", "update"}, {"", "events.k8s.io"}, {"events"})}));
  bindings.push_back(Binding("system:controller:service-account-controller",
                             "system:controller:service-account-controller",
                             {{"User", "system:kube-controller-manager"}}));
  // The root-ca-cert-publisher keeps every namespace's kube-root-ca.crt
  // ConfigMap: Kubernetes' role of that name, bound to the
  // controller-manager's user.
  roles.push_back(Role("system:controller:root-ca-cert-publisher",
                       {Rule({"create", "update"}, {""}, {"configmaps"}),
                        Rule({"create", "patch", "update"}, {"", "events.k8s.io"}, {"events"})}));
  bindings.push_back(Binding("system:controller:root-ca-cert-publisher",
                             "system:controller:root-ca-cert-publisher",
                             {{"User", "system:kube-controller-manager"}}));
  return policy;
}

absl::Status EnsureBootstrapPolicy(Handler* handler) {
  const Policy policy = BootstrapPolicy();
  int created = 0;
  int updated = 0;
  // Creates `object`; when it exists, reconciles it as Kubernetes'
  // reconciliation does for objects annotated autoupdate=true: the rules a
  // role lacks, or the subjects a binding lacks, are added; nothing is
  // removed.
  auto ensure = [&]<typename T>(const char* resource, const T& object,
                                const std::string& ns = "") -> absl::Status {
    apiv1::CreateRequest request;
    request.set_resource(resource);
    request.set_namespace_(ns);
    request.set_object(object.SerializeAsString());
    apiv1::ObjectResponse response;
    absl::Status status = handler->Create(request, &response);
    if (status.ok()) ++created;
    if (status.code() != absl::StatusCode::kAlreadyExists) return status;
    apiv1::GetRequest get;
    get.set_resource(resource);
    get.set_namespace_(ns);
    get.set_name(object.metadata().name());
    if (status = handler->Get(get, &response); !status.ok()) return status;
    T existing;
    if (!existing.ParseFromString(response.object())) {
      return absl::InternalError(
          absl::StrCat("cannot parse the stored ", resource, " ", object.metadata().name()));
    }
    auto annotation = existing.metadata().annotations().find(kAutoupdateAnnotation);
    if (annotation == existing.metadata().annotations().end() || annotation->second != "true") {
      return absl::OkStatus();
    }
    if (!AddMissing(object, &existing)) return absl::OkStatus();
    apiv1::UpdateRequest update;
    update.set_resource(resource);
    update.set_namespace_(ns);
    update.set_name(object.metadata().name());
    update.set_object(existing.SerializeAsString());
    status = handler->Update(update, &response);
    if (status.ok()) {
      ++updated;
      spdlog::info("RBAC: reconciled bootstrap {} {}: added what it lacked", resource,
                   object.metadata().name());
    }
    // Changed meanwhile by someone else: theirs stands until the next start.
    return api::IsConflict(status) ? absl::OkStatus() : status;
  };
  for (const ClusterRole& role : policy.cluster_roles) {
    if (absl::Status status = ensure("clusterroles", role); !status.ok()) return status;
  }
  for (const ClusterRoleBinding& binding : policy.cluster_role_bindings) {
    if (absl::Status status = ensure("clusterrolebindings", binding); !status.ok()) return status;
  }
  // A namespaced role needs its namespace, which may not exist yet (the
  // apiserver makes its system namespaces afterwards): created first, as
  // kube-apiserver's hook does.
  for (const rbac::v1::Role& role : policy.roles) {
    const std::string& ns = role.metadata().namespace_();
    if (absl::Status status = handler->EnsureNamespace(ns); !status.ok()) return status;
    if (absl::Status status = ensure("roles", role, ns); !status.ok()) return status;
  }
  for (const RoleBinding& binding : policy.role_bindings) {
    if (absl::Status status = ensure("rolebindings", binding, binding.metadata().namespace_());
        !status.ok()) {
      return status;
    }
  }
  if (created > 0) spdlog::info("RBAC: created {} bootstrap roles and bindings", created);
  if (updated > 0) spdlog::info("RBAC: reconciled {} bootstrap roles and bindings", updated);
  return absl::OkStatus();
}

}  // namespace minik8s::apiserver::authz
