// ServiceAccount admission (apiserver/registry/admission.h, Kubernetes'
// plugin/pkg/admission/serviceaccount): the account looked up through a fake
// cache and store, the kube-api-access- volume and its mounts, the opt-outs
// on the pod and on the account, a container that already mounts the token
// path, a missing account (403 with Kubernetes' message), the wait for
// "default", and mirror pods.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "api/scheme.h"
#include "apiserver/registry/admission.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const api::KindInfo& PodKind() { return *api::Scheme::Default().FindByResource("pods"); }

core::v1::ServiceAccount Account(const std::string& ns, const std::string& name,
                                 std::optional<bool> automount = std::nullopt) {
  core::v1::ServiceAccount account;
  account.mutable_metadata()->set_namespace_(ns);
  account.mutable_metadata()->set_name(name);
  account.mutable_metadata()->set_uid("uid-" + name);
  if (automount.has_value()) account.set_automount_service_account_token(*automount);
  return account;
}

core::v1::Pod TwoContainerPod() {
  core::v1::Pod pod;
  pod.mutable_metadata()->set_namespace_("team");
  pod.mutable_metadata()->set_name("web");
  pod.mutable_spec()->add_init_containers()->set_name("setup");
  pod.mutable_spec()->add_containers()->set_name("app");
  pod.mutable_spec()->add_containers()->set_name("sidecar");
  return pod;
}

// Accounts by "ns/name": what the cache holds and what the store holds.
class ServiceAccountAdmissionTest : public ::testing::Test {
 protected:
  AdmissionOptions Options() {
    AdmissionOptions options;
    options.default_service_account_wait = absl::Milliseconds(800);
    options.service_accounts.cached =
        [this](const std::string& ns,
               const std::string& name) -> std::optional<core::v1::ServiceAccount> {
      absl::MutexLock lock(&mu_);
      auto it = cached_.find(ns + "/" + name);
      if (it == cached_.end()) return std::nullopt;
      return it->second;
    };
    options.service_accounts.stored =
        [this](const std::string& ns,
               const std::string& name) -> absl::StatusOr<core::v1::ServiceAccount> {
      ++store_reads_;
      absl::MutexLock lock(&mu_);
      auto it = stored_.find(ns + "/" + name);
      if (it == stored_.end()) return api::NewNotFound("serviceaccounts", name);
      return it->second;
    };
    return options;
  }

  void Add(const core::v1::ServiceAccount& account) {
    absl::MutexLock lock(&mu_);
    const std::string key = account.metadata().namespace_() + "/" + account.metadata().name();
    cached_[key] = account;
    stored_[key] = account;
  }

  absl::Mutex mu_;
  std::map<std::string, core::v1::ServiceAccount> cached_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, core::v1::ServiceAccount> stored_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> store_reads_{0};
};

TEST_F(ServiceAccountAdmissionTest, MountsTheTokenVolumeIntoEveryContainer) {
  Add(Account("team", "default"));
  core::v1::Pod pod = TwoContainerPod();
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &pod, Options()).ok());
  EXPECT_EQ(pod.spec().service_account_name(), "default");
  ASSERT_EQ(pod.spec().volumes_size(), 1);
  const core::v1::Volume& volume = pod.spec().volumes(0);
  EXPECT_THAT(volume.name(), StartsWith("kube-api-access-"));
  EXPECT_EQ(volume.name().size(), std::string("kube-api-access-").size() + 5);
  for (char c : volume.name().substr(16)) {
    EXPECT_TRUE(absl::ascii_islower(c) || absl::ascii_isdigit(c)) << volume.name();
  }
  ASSERT_TRUE(volume.has_projected());
  EXPECT_EQ(volume.projected().default_mode(), 420);
  ASSERT_EQ(volume.projected().sources_size(), 3);
  const auto& token = volume.projected().sources(0).service_account_token();
  EXPECT_EQ(token.expiration_seconds(), 3607);
  EXPECT_EQ(token.path(), "token");
  EXPECT_TRUE(token.audience().empty());
  const auto& ca = volume.projected().sources(1).config_map();
  EXPECT_EQ(ca.name(), "kube-root-ca.crt");
  ASSERT_EQ(ca.items_size(), 1);
  EXPECT_EQ(ca.items(0).key(), "ca.crt");
  EXPECT_EQ(ca.items(0).path(), "ca.crt");
  const auto& ns = volume.projected().sources(2).downward_api();
  ASSERT_EQ(ns.items_size(), 1);
  EXPECT_EQ(ns.items(0).path(), "namespace");
  EXPECT_EQ(ns.items(0).field_ref().api_version(), "v1");
  EXPECT_EQ(ns.items(0).field_ref().field_path(), "metadata.namespace");
  for (const auto* containers : {&pod.spec().init_containers(), &pod.spec().containers()}) {
    for (const core::v1::Container& container : *containers) {
      ASSERT_EQ(container.volume_mounts_size(), 1) << container.name();
      EXPECT_EQ(container.volume_mounts(0).name(), volume.name());
      EXPECT_TRUE(container.volume_mounts(0).read_only());
      EXPECT_EQ(container.volume_mounts(0).mount_path(),
                "/var/run/secrets/kubernetes.io/serviceaccount");
    }
  }
  // Found in the cache: storage was not asked.
  EXPECT_EQ(store_reads_.load(), 0);

  // Another pod gets another volume name.
  core::v1::Pod other = TwoContainerPod();
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &other, Options()).ok());
  EXPECT_NE(other.spec().volumes(0).name(), volume.name());
}

TEST_F(ServiceAccountAdmissionTest, PodOrAccountMayOptOut) {
  Add(Account("team", "default"));
  Add(Account("team", "quiet", /*automount=*/false));
  core::v1::Pod opted_out = TwoContainerPod();
  opted_out.mutable_spec()->set_automount_service_account_token(false);
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &opted_out, Options()).ok());
  EXPECT_EQ(opted_out.spec().volumes_size(), 0);
  EXPECT_EQ(opted_out.spec().containers(0).volume_mounts_size(), 0);

  core::v1::Pod quiet = TwoContainerPod();
  quiet.mutable_spec()->set_service_account_name("quiet");
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &quiet, Options()).ok());
  EXPECT_EQ(quiet.spec().volumes_size(), 0);

  // The pod's wish wins over the account's.
  core::v1::Pod wants = TwoContainerPod();
  wants.mutable_spec()->set_service_account_name("quiet");
  wants.mutable_spec()->set_automount_service_account_token(true);
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &wants, Options()).ok());
  EXPECT_EQ(wants.spec().volumes_size(), 1);
}

TEST_F(ServiceAccountAdmissionTest, APodWithoutPullSecretsGetsTheAccounts) {
  core::v1::ServiceAccount builder = Account("team", "builder");
  builder.add_image_pull_secrets()->set_name("registry-a");
  builder.add_image_pull_secrets()->set_name("registry-b");
  Add(builder);
  core::v1::Pod pod = TwoContainerPod();
  pod.mutable_spec()->set_service_account_name("builder");
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &pod, Options()).ok());
  ASSERT_EQ(pod.spec().image_pull_secrets_size(), 2);
  EXPECT_EQ(pod.spec().image_pull_secrets(0).name(), "registry-a");
  EXPECT_EQ(pod.spec().image_pull_secrets(1).name(), "registry-b");

  // A pod that names its own keeps them, and only them.
  core::v1::Pod own = TwoContainerPod();
  own.mutable_spec()->set_service_account_name("builder");
  own.mutable_spec()->add_image_pull_secrets()->set_name("mine");
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &own, Options()).ok());
  ASSERT_EQ(own.spec().image_pull_secrets_size(), 1);
  EXPECT_EQ(own.spec().image_pull_secrets(0).name(), "mine");
}

TEST_F(ServiceAccountAdmissionTest, AnExistingMountAtTheTokenPathIsKept) {
  Add(Account("team", "default"));
  core::v1::Pod pod = TwoContainerPod();
  core::v1::Volume* own = pod.mutable_spec()->add_volumes();
  own->set_name("my-token");
  own->mutable_secret()->set_secret_name("my-token");
  core::v1::VolumeMount* mount = pod.mutable_spec()->mutable_containers(0)->add_volume_mounts();
  mount->set_name("my-token");
  mount->set_mount_path("/var/run/secrets/kubernetes.io/serviceaccount");
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &pod, Options()).ok());
  // "app" keeps its own mount; "setup" and "sidecar" get the volume.
  ASSERT_EQ(pod.spec().containers(0).volume_mounts_size(), 1);
  EXPECT_EQ(pod.spec().containers(0).volume_mounts(0).name(), "my-token");
  ASSERT_EQ(pod.spec().volumes_size(), 2);
  const std::string added = pod.spec().volumes(1).name();
  EXPECT_THAT(added, StartsWith("kube-api-access-"));
  EXPECT_EQ(pod.spec().containers(1).volume_mounts(0).name(), added);
  EXPECT_EQ(pod.spec().init_containers(0).volume_mounts(0).name(), added);

  // Every container mounting the path already: no volume at all.
  core::v1::Pod all = TwoContainerPod();
  all.mutable_spec()->clear_init_containers();
  all.mutable_spec()->mutable_containers()->DeleteSubrange(1, 1);
  *all.mutable_spec()->add_volumes() = *own;
  *all.mutable_spec()->mutable_containers(0)->add_volume_mounts() = *mount;
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &all, Options()).ok());
  EXPECT_EQ(all.spec().volumes_size(), 1);

  // A pod that already has a kube-api-access- volume keeps it and its name.
  core::v1::Pod again = TwoContainerPod();
  core::v1::Volume* previous = again.mutable_spec()->add_volumes();
  previous->set_name("kube-api-access-abcde");
  *previous->mutable_projected() = ServiceAccountTokenVolumeSource();
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &again, Options()).ok());
  ASSERT_EQ(again.spec().volumes_size(), 1);
  EXPECT_EQ(again.spec().containers(0).volume_mounts(0).name(), "kube-api-access-abcde");
}

TEST_F(ServiceAccountAdmissionTest, AMissingAccountIsForbidden) {
  core::v1::Pod pod = TwoContainerPod();
  pod.mutable_spec()->set_service_account_name("ghost");
  absl::Status status = AdmitPodCreate(PodKind(), &pod, Options());
  EXPECT_EQ(api::Reason(status), "Forbidden");
  EXPECT_EQ(status.message(),
            "pods \"web\" is forbidden: error looking up service account team/ghost: "
            "serviceaccount \"ghost\" not found");
  // A named account is asked of storage once, not retried.
  EXPECT_EQ(store_reads_.load(), 1);
  EXPECT_EQ(pod.spec().volumes_size(), 0);
}

TEST_F(ServiceAccountAdmissionTest, DefaultAccountIsAwaitedForAWhile) {
  // Not there at all: storage asked several times, then Forbidden.
  core::v1::Pod early = TwoContainerPod();
  const absl::Time start = absl::Now();
  absl::Status status = AdmitPodCreate(PodKind(), &early, Options());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("error looking up service account team/default: serviceaccount "
                        "\"default\" not found"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(500));
  EXPECT_GT(store_reads_.load(), 2);

  // Made while the pod waits (the controller-manager's serviceaccount
  // controller after a new namespace): admitted.
  {
    absl::MutexLock lock(&mu_);
    stored_["team/default"] = Account("team", "default");
  }
  core::v1::Pod later = TwoContainerPod();
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &later, Options()).ok());
  EXPECT_EQ(later.spec().volumes_size(), 1);
  AdmissionOptions options = Options();
  EXPECT_FALSE(AdmissionRunsWithoutWaiting(PodKind(), "team", options));
  Add(Account("team", "default"));
  EXPECT_TRUE(AdmissionRunsWithoutWaiting(PodKind(), "team", options));
}

TEST_F(ServiceAccountAdmissionTest, WithoutTokensTheAccountIsOnlyNamed) {
  core::v1::Pod pod = TwoContainerPod();
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &pod, AdmissionOptions{}).ok());
  EXPECT_EQ(pod.spec().service_account_name(), "default");
  EXPECT_EQ(pod.spec().volumes_size(), 0);
  EXPECT_TRUE(AdmissionRunsWithoutWaiting(PodKind(), "team", AdmissionOptions{}));
}

TEST_F(ServiceAccountAdmissionTest, MirrorPodsAreLeftAloneButMayNotReferenceAccounts) {
  core::v1::Pod mirror = TwoContainerPod();
  (*mirror.mutable_metadata()->mutable_annotations())["kubernetes.io/config.mirror"] = "hash";
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &mirror, Options()).ok());
  EXPECT_EQ(mirror.spec().service_account_name(), "");
  EXPECT_EQ(mirror.spec().volumes_size(), 0);
  EXPECT_EQ(store_reads_.load(), 0);

  core::v1::Pod named = mirror;
  named.mutable_spec()->set_service_account_name("default");
  EXPECT_EQ(AdmitPodCreate(PodKind(), &named, Options()).message(),
            "pods \"web\" is forbidden: a mirror pod may not reference service accounts");
  core::v1::Pod secret = mirror;
  secret.mutable_spec()->add_volumes()->mutable_secret()->set_secret_name("s");
  EXPECT_EQ(AdmitPodCreate(PodKind(), &secret, Options()).message(),
            "pods \"web\" is forbidden: a mirror pod may not reference secrets");
  core::v1::Pod token = mirror;
  *token.mutable_spec()->add_volumes()->mutable_projected() = ServiceAccountTokenVolumeSource();
  EXPECT_EQ(AdmitPodCreate(PodKind(), &token, Options()).message(),
            "pods \"web\" is forbidden: a mirror pod may not use ServiceAccountToken volume "
            "projections");
}

}  // namespace
}  // namespace minik8s::apiserver
