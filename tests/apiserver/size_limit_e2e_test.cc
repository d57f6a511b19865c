// Object size limits end to end (apiserver/README.md, "Object size"): over
// minik8s-store, a pod whose status could not be stored is refused at
// creation, and a status write over the store's request limit is answered
// with RequestEntityTooLarge (413) whether the apiserver or the store
// notices first. Skips when the binaries are not built.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "client/api_client.h"
#include "k8s/core/v1/core.pb.h"
#include "testing/control_plane.h"

namespace minik8s::apiserver {
namespace {

using core::v1::Pod;
using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

Pod NewPod(const std::string& name, int containers) {
  Pod pod;
  pod.mutable_metadata()->set_name(name);
  for (int i = 0; i < containers; ++i) {
    auto* c = pod.mutable_spec()->add_containers();
    c->set_name(absl::StrCat("c", i));
    c->set_image("busybox");
  }
  return pod;
}

class SizeLimitE2E : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> apiserver_flags) {
    if (std::string why = ControlPlane::MissingPrerequisite(BackendKind::kMinik8sStore);
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .backend = BackendKind::kMinik8sStore, .apiserver_flags = std::move(apiserver_flags)});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    client::ApiClientOptions options;
    options.server = cp_->apiserver_address();
    auto c = client::ApiClient::Connect(options);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = *std::move(c);
  }

  // Writes `pod`'s status with a message of `bytes` bytes.
  absl::Status WriteBigStatus(Pod pod, size_t bytes) {
    pod.mutable_status()->set_message(std::string(bytes, 'x'));
    Pod out;
    return client_->Update("pods", "default", pod.metadata().name(), "status", pod, &out);
  }

  std::unique_ptr<ControlPlane> cp_;
  std::unique_ptr<client::ApiClient> client_;
};

TEST_F(SizeLimitE2E, PodWhoseStatusCannotFitIsRefusedAtCreation) {
  Start({});
  if (IsSkipped()) return;
  Pod out;
  absl::Status s = client_->Create("pods", "default", NewPod("wide", 10000), &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(api::Reason(s), "RequestEntityTooLarge") << s;
  ASSERT_TRUE(api::StatusObject(s).has_value());
  EXPECT_EQ(api::StatusObject(s)->code(), 413);
  EXPECT_TRUE(absl::StartsWith(s.message(),
                               "Request entity too large: limit is 1572864: pods \"wide\" with "
                               "room for the status of its 10000 containers needs "))
      << s.message();
  EXPECT_TRUE(api::IsNotFound(client_->Get("pods", "default", "wide", &out)));

  // A pod of ordinary width is created as before.
  EXPECT_TRUE(client_->Create("pods", "default", NewPod("narrow", 3), &out).ok());
}

TEST_F(SizeLimitE2E, OversizedStatusWriteIsRequestEntityTooLarge) {
  Start({});
  if (IsSkipped()) return;
  Pod created;
  ASSERT_TRUE(client_->Create("pods", "default", NewPod("web", 1), &created).ok());
  // 1.6 MiB: over the 1.5 MiB request limit, under the 2 MiB gRPC limit.
  absl::Status s = WriteBigStatus(created, 1600 * 1024);
  EXPECT_EQ(api::Reason(s), "RequestEntityTooLarge") << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "limit is 1572864: pods \"web\" needs ")) << s;
  // 2.6 MB, as the kubelet once wrote: the same answer, not a transport error.
  s = WriteBigStatus(created, 2600 * 1000);
  EXPECT_EQ(api::Reason(s), "RequestEntityTooLarge") << s;
  // Nothing was written.
  Pod now;
  ASSERT_TRUE(client_->Get("pods", "default", "web", &now).ok());
  EXPECT_EQ(now.metadata().resource_version(), created.metadata().resource_version());
  // A status that fits still goes through.
  EXPECT_TRUE(WriteBigStatus(created, 1000).ok());
}

TEST_F(SizeLimitE2E, StoreRefusalIsInterpretedToo) {
  // The apiserver believes the store takes 4 MiB; minik8s-store refuses
  // past 1.5 MiB, and past its 2 MiB gRPC limit the request never arrives.
  Start({"--etcd-max-request-bytes=4194304"});
  if (IsSkipped()) return;
  Pod created;
  ASSERT_TRUE(client_->Create("pods", "default", NewPod("web", 1), &created).ok());
  for (size_t bytes : {size_t{1600} * 1024, size_t{2600} * 1000}) {
    absl::Status s = WriteBigStatus(created, bytes);
    EXPECT_EQ(api::Reason(s), "RequestEntityTooLarge") << bytes << ": " << s;
    EXPECT_TRUE(absl::StrContains(s.message(),
                                  "bytes in the store, over the store's limit (etcdserver: "
                                  "request is too large)"))
        << s;
  }
}

}  // namespace
}  // namespace minik8s::apiserver
