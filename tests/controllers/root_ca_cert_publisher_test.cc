// The root-ca-cert-publisher's decision and Sync against a fake client:
// a namespace without kube-root-ca.crt gets one (the CA under ca.crt, with
// Kubernetes' description annotation); changed data or a missing
// annotation is put back; gone and terminating namespaces get nothing;
// races end the sync and other errors are retried. RootCABundle reads
// --root-ca-file, falls back to the connection's CA, and refuses bad files.
#include "controllers/rootcacertpublisher/root_ca_cert_publisher.h"

#include <memory>
#include <string>
#include <vector>

#include "api/errors.h"
#include "client/indexer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/issue.h"
#include "testing/file_util.h"
#include "testing/temp_dir.h"

namespace minik8s::controllers {
namespace {

using core::v1::ConfigMap;
using core::v1::Namespace;
using ::testing::HasSubstr;

constexpr char kCa[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

class FakeConfigMapClient : public ConfigMapClient {
 public:
  absl::Status CreateConfigMap(const ConfigMap& config_map) override {
    created.push_back(config_map);
    return answer;
  }
  absl::Status UpdateConfigMap(const ConfigMap& config_map) override {
    updated.push_back(config_map);
    return answer;
  }
  std::vector<ConfigMap> created;
  std::vector<ConfigMap> updated;
  absl::Status answer = absl::OkStatus();
};

Namespace Ns(const std::string& name, const std::string& phase = "Active") {
  Namespace ns;
  ns.mutable_metadata()->set_name(name);
  ns.mutable_status()->set_phase(phase);
  return ns;
}

ConfigMap Published(const std::string& ns, const std::string& ca) {
  ConfigMap cm;
  cm.mutable_metadata()->set_namespace_(ns);
  cm.mutable_metadata()->set_name(kRootCACertConfigMapName);
  cm.mutable_metadata()->set_resource_version("7");
  (*cm.mutable_metadata()->mutable_annotations())[kDescriptionAnnotation] = kRootCACertDescription;
  (*cm.mutable_data())[kRootCACertKey] = ca;
  return cm;
}

TEST(DecidePublish, WhatEachStateNeeds) {
  const Namespace active = Ns("a");
  const ConfigMap right = Published("a", kCa);
  EXPECT_EQ(DecidePublish(nullptr, nullptr, kCa), PublishAction::kNothing);
  EXPECT_EQ(DecidePublish(&active, nullptr, kCa), PublishAction::kCreate);
  EXPECT_EQ(DecidePublish(&active, &right, kCa), PublishAction::kNothing);
  const Namespace terminating = Ns("a", "Terminating");
  EXPECT_EQ(DecidePublish(&terminating, nullptr, kCa), PublishAction::kNothing);
  Namespace deleted = Ns("a");
  deleted.mutable_metadata()->mutable_deletion_timestamp()->set_seconds(1);
  EXPECT_EQ(DecidePublish(&deleted, nullptr, kCa), PublishAction::kNothing);

  ConfigMap changed = right;
  (*changed.mutable_data())[kRootCACertKey] = "tampered";
  EXPECT_EQ(DecidePublish(&active, &changed, kCa), PublishAction::kUpdate);
  ConfigMap extra = right;
  (*extra.mutable_data())["more"] = "x";
  EXPECT_EQ(DecidePublish(&active, &extra, kCa), PublishAction::kUpdate);
  ConfigMap emptied = right;
  emptied.clear_data();
  EXPECT_EQ(DecidePublish(&active, &emptied, kCa), PublishAction::kUpdate);
  ConfigMap undescribed = right;
  undescribed.mutable_metadata()->clear_annotations();
  EXPECT_EQ(DecidePublish(&active, &undescribed, kCa), PublishAction::kUpdate);
  // Another description text is left alone, as Kubernetes leaves it.
  ConfigMap reworded = right;
  (*reworded.mutable_metadata()->mutable_annotations())[kDescriptionAnnotation] = "ours";
  EXPECT_EQ(DecidePublish(&active, &reworded, kCa), PublishAction::kNothing);
}

class RootCACertPublisherSyncTest : public ::testing::Test {
 protected:
  RootCACertPublisherSyncTest()
      : namespaces_(client::DefaultIndexersFor(Namespace::descriptor())),
        config_maps_(client::DefaultIndexersFor(ConfigMap::descriptor())),
        publisher_(client::Lister<Namespace>(&namespaces_),
                   client::Lister<ConfigMap>(&config_maps_), &client_, kCa) {}

  client::Indexer namespaces_;
  client::Indexer config_maps_;
  FakeConfigMapClient client_;
  RootCACertPublisher publisher_;
};

TEST_F(RootCACertPublisherSyncTest, CreatesTheMissingConfigMap) {
  namespaces_.Upsert(std::make_shared<Namespace>(Ns("team-a")));
  ASSERT_TRUE(publisher_.Sync("team-a").ok());
  ASSERT_EQ(client_.created.size(), 1u);
  const ConfigMap& cm = client_.created[0];
  EXPECT_EQ(cm.metadata().namespace_(), "team-a");
  EXPECT_EQ(cm.metadata().name(), "kube-root-ca.crt");
  ASSERT_EQ(cm.data_size(), 1);
  EXPECT_EQ(cm.data().at("ca.crt"), kCa);
  EXPECT_EQ(cm.metadata().annotations().at("kubernetes.io/description"),
            "Contains a CA bundle that can be used to verify the kube-apiserver when using "
            "internal endpoints such as the internal service IP or kubernetes.default.svc. No "
            "other usage is guaranteed across distributions of Kubernetes clusters.");
  EXPECT_TRUE(client_.updated.empty());
}

TEST_F(RootCACertPublisherSyncTest, PutsBackChangedDataAndKeepsTheRest) {
  namespaces_.Upsert(std::make_shared<Namespace>(Ns("team-a")));
  ConfigMap changed = Published("team-a", "tampered");
  (*changed.mutable_data())["extra"] = "x";
  (*changed.mutable_binary_data())["blob"] = "b";
  (*changed.mutable_metadata()->mutable_labels())["keep"] = "me";
  changed.mutable_metadata()->mutable_annotations()->clear();
  config_maps_.Upsert(std::make_shared<ConfigMap>(changed));
  ASSERT_TRUE(publisher_.Sync("team-a").ok());
  ASSERT_EQ(client_.updated.size(), 1u);
  const ConfigMap& cm = client_.updated[0];
  EXPECT_EQ(cm.metadata().resource_version(), "7");  // a CAS update of what the cache saw
  ASSERT_EQ(cm.data_size(), 1);
  EXPECT_EQ(cm.data().at("ca.crt"), kCa);
  EXPECT_EQ(cm.binary_data().at("blob"), "b");
  EXPECT_EQ(cm.metadata().labels().at("keep"), "me");
  EXPECT_EQ(cm.metadata().annotations().at(kDescriptionAnnotation), kRootCACertDescription);
  EXPECT_TRUE(client_.created.empty());
}

TEST_F(RootCACertPublisherSyncTest, LeavesARightConfigMapAndGoneOrTerminatingNamespaces) {
  namespaces_.Upsert(std::make_shared<Namespace>(Ns("team-a")));
  config_maps_.Upsert(std::make_shared<ConfigMap>(Published("team-a", kCa)));
  EXPECT_TRUE(publisher_.Sync("team-a").ok());
  EXPECT_TRUE(publisher_.Sync("gone").ok());
  namespaces_.Upsert(std::make_shared<Namespace>(Ns("leaving", "Terminating")));
  EXPECT_TRUE(publisher_.Sync("leaving").ok());
  EXPECT_TRUE(client_.created.empty());
  EXPECT_TRUE(client_.updated.empty());
}

TEST_F(RootCACertPublisherSyncTest, RacesEndTheSyncAndOtherErrorsAreRetried) {
  namespaces_.Upsert(std::make_shared<Namespace>(Ns("team-a")));
  client_.answer = api::NewAlreadyExists("configmaps", "kube-root-ca.crt");
  EXPECT_TRUE(publisher_.Sync("team-a").ok());
  client_.answer = api::NewApiError(absl::StatusCode::kNotFound, "NotFound", 404,
                                    "namespaces \"team-a\" not found");
  EXPECT_TRUE(publisher_.Sync("team-a").ok());
  client_.answer = api::NewApiError(
      absl::StatusCode::kPermissionDenied, "Forbidden", 403,
      "configmaps \"kube-root-ca.crt\" is forbidden: unable to create new content in namespace "
      "team-a because it is being terminated");
  EXPECT_TRUE(publisher_.Sync("team-a").ok());
  client_.answer = absl::UnavailableError("connection refused");
  EXPECT_EQ(publisher_.Sync("team-a").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(client_.created.size(), 4u);
  // A failed update (a newer object: Conflict) is retried too.
  config_maps_.Upsert(std::make_shared<ConfigMap>(Published("team-a", "old")));
  client_.answer = absl::AbortedError("conflict");
  EXPECT_FALSE(publisher_.Sync("team-a").ok());
  EXPECT_EQ(client_.updated.size(), 1u);
}

TEST(RootCABundle, TheFileTheConnectionsCaOrNothing) {
  testing::TempDir dir;
  absl::StatusOr<pki::CertificateAuthority> ca = pki::CreateSelfSignedCa();
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::StatusOr<std::string> pem = ca->cert.ToPem();
  ASSERT_TRUE(pem.ok());
  const std::string file = dir.Join("ca.crt");
  ASSERT_TRUE(testing::WriteFile(file, *pem).ok());

  client::ApiClientOptions plaintext;
  absl::StatusOr<std::string> bundle = RootCABundle(file, plaintext);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(*bundle, *pem);
  bundle = RootCABundle("", plaintext);
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(*bundle, "");  // a plaintext cluster: nothing to publish

  client::ApiClientOptions inline_ca;
  inline_ca.tls.emplace();
  inline_ca.tls->ca_pem = "inline PEM";
  EXPECT_EQ(*RootCABundle("", inline_ca), "inline PEM");
  EXPECT_EQ(*RootCABundle(file, inline_ca), *pem);  // the flag wins
  client::ApiClientOptions ca_file;
  ca_file.tls.emplace();
  ca_file.tls->ca_file = file;
  EXPECT_EQ(*RootCABundle("", ca_file), *pem);

  absl::StatusOr<std::string> missing = RootCABundle(dir.Join("nope.crt"), plaintext);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("--root-ca-file"));
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.crt"));
  const std::string key_file = dir.Join("key.pem");
  absl::StatusOr<std::string> key_pem = ca->key.ToPem();
  ASSERT_TRUE(key_pem.ok());
  ASSERT_TRUE(testing::WriteFile(key_file, *key_pem).ok());
  absl::StatusOr<std::string> not_a_cert = RootCABundle(key_file, plaintext);
  ASSERT_FALSE(not_a_cert.ok());
  EXPECT_THAT(not_a_cert.status().message(), HasSubstr("only CERTIFICATE PEM blocks"));
}

}  // namespace
}  // namespace minik8s::controllers
