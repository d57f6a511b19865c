#include "apiserver/registry/admission.h"

#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/identity.h"
#include "apiserver/object_meta.h"

#ifdef MINIK8S_APISERVER_HAVE_VALIDATION
#include "api/validation/defaults.h"
#include "api/validation/validation.h"
#include "api/validation/validation_service.h"
#endif

namespace minik8s::apiserver {

#ifdef MINIK8S_APISERVER_HAVE_VALIDATION

bool HaveValidation() { return true; }

namespace {

// Kubernetes' metav1.CauseType of a field error.
const char* CauseReason(validation::FieldError::Type type) {
  using Type = validation::FieldError::Type;
  switch (type) {
    case Type::kRequired:
      return "FieldValueRequired";
    case Type::kInvalid:
      return "FieldValueInvalid";
    case Type::kNotSupported:
      return "FieldValueNotSupported";
    case Type::kDuplicate:
      return "FieldValueDuplicate";
    case Type::kForbidden:
      return "FieldValueForbidden";
    case Type::kTooLong:
      return "FieldValueTooLong";
    case Type::kTooMany:
      return "FieldValueTooMany";
    case Type::kNotFound:
      return "FieldValueNotFound";
  }
  return "FieldValueInvalid";
}

}  // namespace

void ApplyDefaults(google::protobuf::Message* object) { validation::SetDefaults(object); }

absl::Status ValidateForStorage(const api::KindInfo& kind, const google::protobuf::Message& object,
                                const google::protobuf::Message* old,
                                const AdmissionOptions& options) {
  validation::FieldErrors errors = old == nullptr ? validation::ValidateObject(object)
                                                  : validation::ValidateObjectUpdate(object, *old);
  if (options.allow_loopback_endpoints &&
      (kind.kind == "Endpoints" || kind.kind == "EndpointSlice")) {
    std::erase_if(errors, [](const validation::FieldError& error) {
      return error.type == validation::FieldError::Type::kInvalid &&
             error.detail == validation::kLoopbackRangeMsg;
    });
  }
  return InvalidObjectStatus(kind, object, errors);
}

absl::Status InvalidObjectStatus(const api::KindInfo& kind, const google::protobuf::Message& object,
                                 const validation::FieldErrors& errors) {
  if (errors.empty()) return absl::OkStatus();
  std::vector<meta::v1::StatusCause> causes;
  for (const validation::FieldError& error : errors) {
    meta::v1::StatusCause cause;
    cause.set_reason(CauseReason(error.type));
    cause.set_message(error.ErrorBody());
    cause.set_field(error.field);
    causes.push_back(std::move(cause));
  }
  std::string kind_group = kind.group.empty() ? kind.kind : kind.kind + "." + kind.group;
  return api::NewInvalid(kind, Meta(object).name(),
                         validation::InvalidMessage(kind_group, Meta(object).name(), errors),
                         causes);
}

namespace {

void AddTolerations(core::v1::Pod* pod, const AdmissionOptions& options) {
  validation::AddDefaultTolerations(pod, options.default_not_ready_toleration_seconds,
                                    options.default_unreachable_toleration_seconds);
}

}  // namespace

#else

bool HaveValidation() { return false; }

namespace {

void AddTolerations(core::v1::Pod* pod, const AdmissionOptions& options) {}

}  // namespace

void ApplyDefaults(google::protobuf::Message* object) {}

absl::Status ValidateForStorage(const api::KindInfo& kind, const google::protobuf::Message& object,
                                const google::protobuf::Message* old,
                                const AdmissionOptions& options) {
  return absl::OkStatus();
}

#endif

namespace {

bool IsMirrorPod(const core::v1::Pod& pod) {
  return pod.metadata().annotations().contains(kMirrorPodAnnotationKey);
}

// Whether the pod names a secret: volumes, projections, env.
bool ReferencesSecrets(const core::v1::Pod& pod) {
  for (const core::v1::Volume& volume : pod.spec().volumes()) {
    if (volume.has_secret()) return true;
    for (const core::v1::VolumeProjection& source : volume.projected().sources()) {
      if (source.has_secret()) return true;
    }
  }
  for (const auto* list : {&pod.spec().init_containers(), &pod.spec().containers()}) {
    for (const core::v1::Container& container : *list) {
      for (const core::v1::EnvVar& env : container.env()) {
        if (env.value_from().has_secret_key_ref()) return true;
      }
    }
  }
  return false;
}

// Kubernetes' Validate of a mirror pod.
absl::Status CheckMirrorPod(const api::KindInfo& kind, const core::v1::Pod& pod) {
  const std::string& name = pod.metadata().name();
  if (!pod.spec().service_account_name().empty()) {
    return api::NewForbidden(kind, name, "a mirror pod may not reference service accounts");
  }
  if (ReferencesSecrets(pod)) {
    return api::NewForbidden(kind, name, "a mirror pod may not reference secrets");
  }
  for (const core::v1::Volume& volume : pod.spec().volumes()) {
    for (const core::v1::VolumeProjection& source : volume.projected().sources()) {
      if (source.has_service_account_token()) {
        return api::NewForbidden(kind, name,
                                 "a mirror pod may not use ServiceAccountToken volume projections");
      }
    }
  }
  return absl::OkStatus();
}

// Kubernetes' getServiceAccount: the cache, then storage (again and again
// for "default" until the wait is over).
absl::StatusOr<core::v1::ServiceAccount> FindServiceAccount(const std::string& ns,
                                                            const std::string& name,
                                                            const AdmissionOptions& options) {
  const ServiceAccountSource& source = options.service_accounts;
  if (std::optional<core::v1::ServiceAccount> cached = source.cached(ns, name)) return *cached;
  if (!source.stored)
    return absl::NotFoundError(absl::StrCat("serviceaccount \"", name, "\" not found"));
  const absl::Time deadline =
      absl::Now() + (name == kDefaultServiceAccountName ? options.default_service_account_wait
                                                        : absl::ZeroDuration());
  thread_local std::minstd_rand random(std::random_device{}());
  const absl::Duration interval =
      absl::Milliseconds(100 + std::uniform_int_distribution<int>(0, 99)(random));
  while (true) {
    absl::StatusOr<core::v1::ServiceAccount> stored = source.stored(ns, name);
    if (stored.ok() || !api::IsNotFound(stored.status())) return stored;
    if (absl::Now() + interval > deadline) break;
    absl::SleepFor(interval);
    // The watch cache may have it by now.
    if (std::optional<core::v1::ServiceAccount> cached = source.cached(ns, name)) return *cached;
  }
  return absl::NotFoundError(absl::StrCat("serviceaccount \"", name, "\" not found"));
}

bool ShouldAutomount(const core::v1::ServiceAccount& account, const core::v1::Pod& pod) {
  if (pod.spec().has_automount_service_account_token()) {
    return pod.spec().automount_service_account_token();
  }
  if (account.has_automount_service_account_token()) {
    return account.automount_service_account_token();
  }
  return true;
}

// Kubernetes' mountServiceAccountToken with bound token volumes.
void MountServiceAccountToken(core::v1::Pod* pod) {
  core::v1::PodSpec* spec = pod->mutable_spec();
  std::string volume_name;
  for (const core::v1::Volume& volume : spec->volumes()) {
    if (absl::StartsWith(volume.name(), kServiceAccountVolumePrefix)) {
      volume_name = volume.name();
      break;
    }
  }
  const bool has_volume = !volume_name.empty();
  if (!has_volume) volume_name = GenerateName(kServiceAccountVolumePrefix);
  bool needs_volume = false;
  auto mount = [&](google::protobuf::RepeatedPtrField<core::v1::Container>* containers) {
    for (core::v1::Container& container : *containers) {
      bool mounted = false;
      for (const core::v1::VolumeMount& existing : container.volume_mounts()) {
        mounted = mounted || existing.mount_path() == kServiceAccountTokenMountPath;
      }
      if (mounted) continue;
      core::v1::VolumeMount* added = container.add_volume_mounts();
      added->set_name(volume_name);
      added->set_read_only(true);
      added->set_mount_path(kServiceAccountTokenMountPath);
      needs_volume = true;
    }
  };
  mount(spec->mutable_init_containers());
  mount(spec->mutable_containers());
  if (has_volume || !needs_volume) return;
  core::v1::Volume* volume = spec->add_volumes();
  volume->set_name(volume_name);
  *volume->mutable_projected() = ServiceAccountTokenVolumeSource();
}

// The ServiceAccount step of AdmitPodCreate.
absl::Status AdmitServiceAccount(const api::KindInfo& kind, core::v1::Pod* pod,
                                 const AdmissionOptions& options) {
  if (IsMirrorPod(*pod)) return CheckMirrorPod(kind, *pod);
  core::v1::PodSpec* spec = pod->mutable_spec();
  if (spec->service_account_name().empty()) {
    spec->set_service_account_name(kDefaultServiceAccountName);
  }
  if (!options.service_accounts.cached) return absl::OkStatus();
  const std::string& ns = pod->metadata().namespace_();
  absl::StatusOr<core::v1::ServiceAccount> account =
      FindServiceAccount(ns, spec->service_account_name(), options);
  if (!account.ok()) {
    return api::NewForbidden(
        kind, pod->metadata().name(),
        absl::StrCat("error looking up service account ", ns, "/", spec->service_account_name(),
                     ": ", account.status().message()));
  }
  if (ShouldAutomount(*account, *pod)) MountServiceAccountToken(pod);
  // A pod that names no pull secrets gets its ServiceAccount's.
  if (spec->image_pull_secrets().empty()) {
    *spec->mutable_image_pull_secrets() = account->image_pull_secrets();
  }
  return absl::OkStatus();
}

}  // namespace

core::v1::ProjectedVolumeSource ServiceAccountTokenVolumeSource() {
  core::v1::ProjectedVolumeSource source;
  source.set_default_mode(0644);
  core::v1::ServiceAccountTokenProjection* token =
      source.add_sources()->mutable_service_account_token();
  token->set_expiration_seconds(kServiceAccountVolumeTokenSeconds);
  token->set_path("token");
  core::v1::ConfigMapProjection* ca = source.add_sources()->mutable_config_map();
  ca->set_name(kRootCaConfigMapName);
  core::v1::KeyToPath* item = ca->add_items();
  item->set_key("ca.crt");
  item->set_path("ca.crt");
  core::v1::DownwardAPIVolumeFile* file = source.add_sources()->mutable_downward_api()->add_items();
  file->set_path("namespace");
  file->mutable_field_ref()->set_api_version("v1");
  file->mutable_field_ref()->set_field_path("metadata.namespace");
  return source;
}

bool AdmissionRunsWithoutWaiting(const api::KindInfo& kind, const std::string& ns,
                                 const AdmissionOptions& options) {
  if (!options.service_accounts.cached || !kind.group.empty() || kind.kind != "Pod") return true;
  return options.service_accounts.cached(ns, kDefaultServiceAccountName).has_value();
}

absl::Status AdmitPodCreate(const api::KindInfo& kind, core::v1::Pod* pod,
                            const AdmissionOptions& options) {
  core::v1::PodSpec* spec = pod->mutable_spec();
  const std::string& name = pod->metadata().name();
  if (absl::Status status = AdmitServiceAccount(kind, pod, options); !status.ok()) return status;
  // DefaultTolerationSeconds.
  AddTolerations(pod, options);
  // Priority.
  int32_t priority = 0;
  const std::string& class_name = spec->priority_class_name();
  if (class_name == kSystemClusterCritical) {
    priority = kSystemClusterCriticalPriority;
  } else if (class_name == kSystemNodeCritical) {
    priority = kSystemNodeCriticalPriority;
  } else if (!class_name.empty()) {
    return api::NewForbidden(kind, name,
                             absl::StrCat("no PriorityClass with name ", class_name, " was found"));
  }
  if (spec->has_priority() && spec->priority() != priority) {
    return api::NewForbidden(
        kind, name,
        absl::StrCat("the integer value of priority (", spec->priority(),
                     ") must not be provided in pod spec; priority admission controller "
                     "computed ",
                     priority, " from the given PriorityClass name"));
  }
  spec->set_priority(priority);
  if (!spec->preemption_policy().empty() && spec->preemption_policy() != kPreemptLowerPriority) {
    return api::NewForbidden(
        kind, name,
        absl::StrCat("the string value of PreemptionPolicy (", spec->preemption_policy(),
                     ") must not be provided in pod spec; priority admission controller "
                     "computed ",
                     kPreemptLowerPriority, " from the given PriorityClass name"));
  }
  spec->set_preemption_policy(kPreemptLowerPriority);
  return absl::OkStatus();
}

void AdmitPodUpdate(core::v1::Pod* pod, const core::v1::Pod& old, const AdmissionOptions& options) {
  AddTolerations(pod, options);
  core::v1::PodSpec* spec = pod->mutable_spec();
  if (!spec->has_priority() && old.spec().has_priority()) {
    spec->set_priority(old.spec().priority());
  }
  if (spec->preemption_policy().empty() && !old.spec().preemption_policy().empty()) {
    spec->set_preemption_policy(old.spec().preemption_policy());
  }
}

}  // namespace minik8s::apiserver
