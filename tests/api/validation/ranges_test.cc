// Integer fields are range-checked where Kubernetes checks them
// (pkg/apis/core/validation, pkg/apis/apps/validation), with its messages;
// the largest values Kubernetes accepts are accepted.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "api/validation/defaults.h"
#include "api/validation/validation.h"
#include "gtest/gtest.h"

namespace minik8s::validation {
namespace {

using minik8s::apps::v1::Deployment;
using minik8s::apps::v1::ReplicaSet;
using minik8s::core::v1::Pod;

std::vector<std::string> Strings(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const FieldError& e : errs) out.push_back(e.ToString());
  return out;
}

const char kIdRange[] = "must be between 0 and 2147483647, inclusive";
const char kPortRange[] = "must be between 1 and 65535, inclusive";
const char kFileMode[] = "must be a number between 0 and 0777 (octal), both inclusive";

Pod ValidPod() {
  Pod pod;
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_namespace_("default");
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("nginx");
  c->set_image("nginx:1.25");
  c->add_ports()->set_container_port(80);
  c->mutable_liveness_probe()->mutable_exec()->add_command("true");
  SetPodDefaults(&pod);
  return pod;
}

Deployment ValidDeployment(int32_t replicas) {
  Deployment d;
  d.mutable_metadata()->set_name("web");
  d.mutable_metadata()->set_namespace_("default");
  d.mutable_spec()->set_replicas(replicas);
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web";
  auto* tmpl = d.mutable_spec()->mutable_template_();
  (*tmpl->mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = tmpl->mutable_spec()->add_containers();
  c->set_name("nginx");
  c->set_image("nginx:1.25");
  SetDeploymentDefaults(&d);
  return d;
}

TEST(ValidateRanges, LargestReplicasAccepted) {
  // Kubernetes' replicas is an int32 >= 0: 2147483647 is valid.
  EXPECT_EQ(Strings(ValidateDeployment(ValidDeployment(INT32_MAX))), std::vector<std::string>{});
  ReplicaSet rs;
  rs.mutable_metadata()->set_name("web");
  rs.mutable_metadata()->set_namespace_("default");
  rs.mutable_spec()->set_replicas(INT32_MAX);
  *rs.mutable_spec()->mutable_selector() = ValidDeployment(1).spec().selector();
  *rs.mutable_spec()->mutable_template_() = ValidDeployment(1).spec().template_();
  SetReplicaSetDefaults(&rs);
  EXPECT_EQ(Strings(ValidateReplicaSet(rs)), std::vector<std::string>{});
}

TEST(ValidateRanges, Deployment) {
  struct Case {
    std::string name;
    std::function<void(Deployment*)> mutate;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"negative replicas",
       [](Deployment* d) { d->mutable_spec()->set_replicas(-1); },
       {"spec.replicas: Invalid value: -1: must be greater than or equal to 0"}},
      {"negative minReadySeconds",
       [](Deployment* d) { d->mutable_spec()->set_min_ready_seconds(-1); },
       {"spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0"}},
      {"negative revisionHistoryLimit",
       [](Deployment* d) { d->mutable_spec()->set_revision_history_limit(-1); },
       {"spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"}},
      {"progressDeadlineSeconds not above minReadySeconds",
       [](Deployment* d) {
         d->mutable_spec()->set_min_ready_seconds(30);
         d->mutable_spec()->set_progress_deadline_seconds(30);
       },
       {"spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds"}},
      {"largest progressDeadlineSeconds",
       [](Deployment* d) { d->mutable_spec()->set_progress_deadline_seconds(INT32_MAX); },
       {}},
  };
  for (const Case& c : cases) {
    Deployment d = ValidDeployment(3);
    c.mutate(&d);
    EXPECT_EQ(Strings(ValidateDeployment(d)), c.want) << c.name;
  }
}

TEST(ValidateRanges, Pod) {
  struct Case {
    std::string name;
    std::function<void(Pod*)> mutate;
    std::vector<std::string> want;
  };
  auto ctr = [](Pod* p) { return p->mutable_spec()->mutable_containers(0); };
  const std::vector<Case> cases = {
      {"containerPort too large",
       [&](Pod* p) { ctr(p)->mutable_ports(0)->set_container_port(65536); },
       {std::string("spec.containers[0].ports[0].containerPort: Invalid value: 65536: ") +
        kPortRange}},
      {"negative hostPort",
       [&](Pod* p) { ctr(p)->mutable_ports(0)->set_host_port(-1); },
       {std::string("spec.containers[0].ports[0].hostPort: Invalid value: -1: ") + kPortRange}},
      {"negative terminationGracePeriodSeconds",
       [](Pod* p) { p->mutable_spec()->set_termination_grace_period_seconds(-1); },
       {"spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal "
        "to 0"}},
      {"negative probe period",
       [&](Pod* p) { ctr(p)->mutable_liveness_probe()->set_period_seconds(-1); },
       {"spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater "
        "than or equal to 0"}},
      {"zero activeDeadlineSeconds",
       [](Pod* p) { p->mutable_spec()->set_active_deadline_seconds(0); },
       {"spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, "
        "inclusive"}},
      {"pod runAsUser below 0, fsGroup above int32, a bad supplemental group",
       [](Pod* p) {
         auto* sc = p->mutable_spec()->mutable_security_context();
         sc->set_run_as_user(-1);
         sc->set_fs_group(int64_t{INT32_MAX} + 1);
         sc->add_supplemental_groups(5);
         sc->add_supplemental_groups(-2);
       },
       {std::string("spec.securityContext.fsGroup: Invalid value: 2147483648: ") + kIdRange,
        std::string("spec.securityContext.runAsUser: Invalid value: -1: ") + kIdRange,
        std::string("spec.securityContext.supplementalGroups[1]: Invalid value: -2: ") + kIdRange}},
      {"largest ids",
       [&](Pod* p) {
         p->mutable_spec()->mutable_security_context()->set_run_as_group(INT32_MAX);
         ctr(p)->mutable_security_context()->set_run_as_user(INT32_MAX);
       },
       {}},
      {"container runAsUser and runAsGroup",
       [&](Pod* p) {
         ctr(p)->mutable_security_context()->set_run_as_user(-5);
         ctr(p)->mutable_security_context()->set_run_as_group(int64_t{1} << 40);
       },
       {std::string("spec.containers[0].securityContext.runAsUser: Invalid value: -5: ") + kIdRange,
        std::string("spec.containers[0].securityContext.runAsGroup: Invalid value: "
                    "1099511627776: ") +
            kIdRange}},
      {"preferred node affinity weight",
       [](Pod* p) {
         auto* na = p->mutable_spec()->mutable_affinity()->mutable_node_affinity();
         na->add_preferred_during_scheduling_ignored_during_execution()->set_weight(0);
         na->add_preferred_during_scheduling_ignored_during_execution()->set_weight(100);
         na->add_preferred_during_scheduling_ignored_during_execution()->set_weight(101);
       },
       {"spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: "
        "Invalid value: 0: must be in the range 1-100",
        "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[2].weight: "
        "Invalid value: 101: must be in the range 1-100"}},
      {"volume file modes",
       [](Pod* p) {
         auto* v = p->mutable_spec()->add_volumes();
         v->set_name("config");
         v->mutable_config_map()->set_name("cm");
         v->mutable_config_map()->set_default_mode(01000);
         auto item = [](auto* source, int32_t mode) {
           auto* added = source->add_items();
           added->set_key("k");
           added->set_path("p" + std::to_string(source->items_size()));
           added->set_mode(mode);
         };
         item(v->mutable_config_map(), -1);
         item(v->mutable_config_map(), 0644);
         auto* s = p->mutable_spec()->add_volumes();
         s->set_name("secret");
         s->mutable_secret()->set_secret_name("s");
         s->mutable_secret()->set_default_mode(0777);
         item(s->mutable_secret(), 01777);
       },
       {std::string("spec.volumes[0].configMap.defaultMode: Invalid value: 512: ") + kFileMode,
        std::string("spec.volumes[0].configMap.items[0].mode: Invalid value: -1: ") + kFileMode,
        std::string("spec.volumes[1].secret.items[0].mode: Invalid value: 1023: ") + kFileMode}},
  };
  for (const Case& c : cases) {
    Pod pod = ValidPod();
    c.mutate(&pod);
    EXPECT_EQ(Strings(ValidatePod(pod)), c.want) << c.name;
  }
}

}  // namespace
}  // namespace minik8s::validation
