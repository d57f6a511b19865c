// End-to-end tests of minik8s-apiserver: the real daemon over a real store
// (minik8s-store, and a real etcd), driven through its gRPC API. Every test
// runs once per store backend.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "apiserver/v1/apiserver.grpc.pb.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/autoscaling/v1/autoscaling.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "testing/control_plane.h"

namespace minik8s::apiserver {
namespace {

namespace v1 = ::minik8s::apiserver::v1;
using apps::v1::Deployment;
using core::v1::Pod;
using testing::BackendKind;
using testing::ControlPlane;

Pod NewPod(const std::string& name, std::map<std::string, std::string> labels = {}) {
  Pod pod;
  pod.set_api_version("v1");
  pod.set_kind("Pod");
  pod.mutable_metadata()->set_name(name);
  for (auto& [k, v] : labels) (*pod.mutable_metadata()->mutable_labels())[k] = v;
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  return pod;
}

Deployment NewDeployment(const std::string& name, int replicas) {
  Deployment d;
  d.set_api_version("apps/v1");
  d.set_kind("Deployment");
  d.mutable_metadata()->set_name(name);
  d.mutable_spec()->set_replicas(replicas);
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = name;
  auto* t = d.mutable_spec()->mutable_template_();
  (*t->mutable_metadata()->mutable_labels())["app"] = name;
  auto* c = t->mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  return d;
}

class ApiServerE2E : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(GetParam()); !why.empty()) {
      GTEST_SKIP() << why;
    }
    std::vector<std::string> flags = {"--log-level=debug"};
    for (const auto& f : ExtraFlags()) flags.push_back(f);
    cp_ = std::make_unique<ControlPlane>(
        ControlPlane::Options{.backend = GetParam(), .apiserver_flags = flags});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    port_ = cp_->apiserver_port();
    channel_ = grpc::CreateChannel(cp_->apiserver_address(), grpc::InsecureChannelCredentials());
    stub_ = v1::ApiServer::NewStub(channel_);
  }

  void TearDown() override {
    if (cp_ == nullptr) return;
    if (auto status = cp_->StopApiserver(SIGTERM); status.has_value()) {
      EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
          << "apiserver did not shut down cleanly";
    }
  }

  virtual std::vector<std::string> ExtraFlags() {
    return {"--watch-cache-size=50", "--bookmark-interval=200ms"};
  }

  std::string Log() { return cp_->LogTail("apiserver.log", 3000); }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::ApiServer::Stub::*method)(grpc::ClientContext*, const Req&,
                                                                Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return (stub_.get()->*method)(&ctx, req, resp);
  }

  template <typename T>
  grpc::Status Create(const std::string& resource, const std::string& ns, const T& obj, T* out) {
    v1::CreateRequest req;
    req.set_resource(resource);
    req.set_namespace_(ns);
    req.set_object(obj.SerializeAsString());
    v1::ObjectResponse resp;
    grpc::Status s = Call(&v1::ApiServer::Stub::Create, req, &resp);
    if (s.ok() && out != nullptr) out->ParseFromString(resp.object());
    return s;
  }

  template <typename T>
  grpc::Status Get(const std::string& resource, const std::string& ns, const std::string& name,
                   T* out, const std::string& subresource = "") {
    v1::GetRequest req;
    req.set_resource(resource);
    req.set_namespace_(ns);
    req.set_name(name);
    req.set_subresource(subresource);
    v1::ObjectResponse resp;
    grpc::Status s = Call(&v1::ApiServer::Stub::Get, req, &resp);
    if (s.ok()) out->ParseFromString(resp.object());
    return s;
  }

  template <typename T>
  grpc::Status Update(const std::string& resource, const std::string& ns, const T& obj, T* out,
                      const std::string& subresource = "") {
    v1::UpdateRequest req;
    req.set_resource(resource);
    req.set_namespace_(ns);
    req.set_name(obj.metadata().name());
    req.set_subresource(subresource);
    req.set_object(obj.SerializeAsString());
    v1::ObjectResponse resp;
    grpc::Status s = Call(&v1::ApiServer::Stub::Update, req, &resp);
    if (s.ok() && out != nullptr) out->ParseFromString(resp.object());
    return s;
  }

  grpc::Status Delete(const std::string& resource, const std::string& ns, const std::string& name,
                      const meta::v1::DeleteOptions& options, v1::DeleteResponse* out) {
    v1::DeleteRequest req;
    req.set_resource(resource);
    req.set_namespace_(ns);
    req.set_name(name);
    req.set_options(options.SerializeAsString());
    return Call(&v1::ApiServer::Stub::Delete, req, out);
  }

  v1::ListResponse List(const std::string& resource, const std::string& ns,
                        const std::string& labels = "", const std::string& fields = "",
                        int64_t limit = 0, const std::string& cont = "",
                        const std::string& rv = "") {
    v1::ListRequest req;
    req.set_resource(resource);
    req.set_namespace_(ns);
    req.set_label_selector(labels);
    req.set_field_selector(fields);
    req.set_limit(limit);
    req.set_continue_(cont);
    req.set_resource_version(rv);
    v1::ListResponse resp;
    grpc::Status s = Call(&v1::ApiServer::Stub::List, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // The standard health service's overall status: 1 SERVING, 2 NOT_SERVING,
  // -1 when the call failed. The request (service "") is an empty message;
  // the response is field 1, a varint.
  int HealthStatus() {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::ByteBuffer request;  // empty HealthCheckRequest
    grpc::Slice empty;
    request = grpc::ByteBuffer(&empty, 1);
    grpc::ByteBuffer response;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    grpc::Status status;
    generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                      &response, [&](grpc::Status s) {
                        std::lock_guard<std::mutex> lock(mu);
                        status = s;
                        done = true;
                        cv.notify_one();
                      });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
    if (!status.ok()) return -1;
    std::vector<grpc::Slice> slices;
    if (!response.Dump(&slices).ok()) return -1;
    std::string bytes;
    for (const auto& slice : slices)
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    if (bytes.empty()) return 0;  // UNKNOWN (the default value is not sent)
    if (bytes.size() != 2 || bytes[0] != 0x08) return -1;
    return bytes[1];
  }

  std::unique_ptr<ControlPlane> cp_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ApiServer::Stub> stub_;
};

// A watch stream read on the test thread.
class WatchStream {
 public:
  WatchStream(v1::ApiServer::Stub* stub, const v1::WatchRequest& req) {
    reader_ = stub->Watch(&ctx_, req);
  }
  ~WatchStream() {
    ctx_.TryCancel();
    Finish();
  }
  bool Next(v1::WatchEvent* event) { return reader_->Read(event); }
  // Returns once the server established the watch (or failed it).
  void WaitStarted() { reader_->WaitForInitialMetadata(); }
  grpc::Status Finish() {
    if (!finished_) {
      finished_ = true;
      status_ = reader_->Finish();
    }
    return status_;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader_;
  bool finished_ = false;
  grpc::Status status_;
};

TEST_P(ApiServerE2E, PodAndDeploymentLifecycle) {
  Pod pod;
  ASSERT_TRUE(Create("pods", "default", NewPod("web-1"), &pod).ok());
  EXPECT_FALSE(pod.metadata().uid().empty());
  EXPECT_FALSE(pod.metadata().resource_version().empty());
  EXPECT_TRUE(pod.metadata().has_creation_timestamp());
  EXPECT_EQ(pod.status().phase(), "Pending");

  grpc::Status dup = Create("pods", "default", NewPod("web-1"), &pod);
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(dup.error_message(), "pods \"web-1\" already exists");
  meta::v1::Status details;
  ASSERT_TRUE(details.ParseFromString(dup.error_details()));
  EXPECT_EQ(details.reason(), "AlreadyExists");

  Pod got;
  ASSERT_TRUE(Get("pods", "default", "web-1", &got).ok());
  EXPECT_EQ(got.metadata().uid(), pod.metadata().uid());

  Deployment d;
  ASSERT_TRUE(Create("deployments", "default", NewDeployment("web", 3), &d).ok());
  EXPECT_EQ(d.metadata().generation(), 1);
  EXPECT_EQ(List("deployments", "default").items_size(), 1);
  EXPECT_EQ(List("pods", "").items_size(), 1);

  d.mutable_spec()->set_replicas(5);
  Deployment updated;
  ASSERT_TRUE(Update("deployments", "default", d, &updated).ok());
  EXPECT_EQ(updated.metadata().generation(), 2);
  EXPECT_NE(updated.metadata().resource_version(), d.metadata().resource_version());

  v1::DeleteResponse del;
  ASSERT_TRUE(Delete("deployments", "default", "web", {}, &del).ok());
  EXPECT_TRUE(del.deleted());
  grpc::Status missing = Get("deployments", "default", "web", &d);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "deployments.apps \"web\" not found");

  Pod in_missing_ns;
  grpc::Status no_ns = Create("pods", "nope", NewPod("x"), &in_missing_ns);
  EXPECT_EQ(no_ns.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(no_ns.error_message(), "namespaces \"nope\" not found");

  Pod generated = NewPod("");
  generated.mutable_metadata()->set_generate_name("gen-");
  Pod g;
  ASSERT_TRUE(Create("pods", "default", generated, &g).ok());
  EXPECT_EQ(g.metadata().name().size(), 9u);
}

TEST_P(ApiServerE2E, StaleResourceVersionIsConflict) {
  Deployment d;
  ASSERT_TRUE(Create("deployments", "default", NewDeployment("x", 1), &d).ok());
  Deployment first = d, second = d;
  first.mutable_spec()->set_replicas(2);
  ASSERT_TRUE(Update("deployments", "default", first, &first).ok());
  second.mutable_spec()->set_replicas(3);
  grpc::Status s = Update("deployments", "default", second, &second);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(s.error_message(),
            "Operation cannot be fulfilled on deployments.apps \"x\": the object has been "
            "modified; please apply your changes to the latest version and try again");
}

TEST_P(ApiServerE2E, ValidationAndDefaulting) {
  Deployment bad = NewDeployment("bad", -1);
  Deployment out;
  grpc::Status s = Create("deployments", "default", bad, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find(
                "spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
            std::string::npos)
      << s.error_message();
  meta::v1::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  EXPECT_EQ(details.reason(), "Invalid");
  ASSERT_GE(details.details().causes_size(), 1);
  EXPECT_EQ(details.details().causes(0).field(), "spec.replicas");

  Deployment d;
  ASSERT_TRUE(Create("deployments", "default", NewDeployment("good", 1), &d).ok());
  EXPECT_EQ(d.spec().strategy().type(), "RollingUpdate");
  EXPECT_EQ(d.spec().strategy().rolling_update().max_surge().str_val(), "25%");
  EXPECT_EQ(d.spec().strategy().rolling_update().max_unavailable().str_val(), "25%");
  Pod pod;
  ASSERT_TRUE(Create("pods", "default", NewPod("p"), &pod).ok());
  EXPECT_EQ(pod.spec().restart_policy(), "Always");
}

// The tolerations of `pod` as "key:effect op=Operator for Ns".
std::vector<std::string> TolerationLines(const Pod& pod) {
  std::vector<std::string> out;
  for (const auto& t : pod.spec().tolerations()) {
    std::string line = absl::StrCat(t.key(), ":", t.effect(), " op=", t.operator_());
    if (t.has_toleration_seconds()) absl::StrAppend(&line, " for ", t.toleration_seconds(), "s");
    out.push_back(line);
  }
  return out;
}

TEST_P(ApiServerE2E, PodCreateIsAdmitted) {
  Pod created;
  ASSERT_TRUE(Create("pods", "default", NewPod("adm"), &created).ok());
  Pod pod;
  ASSERT_TRUE(Get("pods", "default", "adm", &pod).ok());
  EXPECT_EQ(pod.SerializeAsString(), created.SerializeAsString()) << "stored as answered";
  EXPECT_EQ(pod.spec().service_account_name(), "default");
  ASSERT_TRUE(pod.spec().has_priority());
  EXPECT_EQ(pod.spec().priority(), 0);
  EXPECT_EQ(pod.spec().preemption_policy(), "PreemptLowerPriority");
  const std::vector<std::string> defaults = {
      "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
      "node.kubernetes.io/unreachable:NoExecute op=Exists for 300s"};
  EXPECT_EQ(TolerationLines(pod), defaults);

  // Unknown PriorityClass, a priority of one's own: Forbidden, nothing stored.
  Pod nope = NewPod("nope");
  nope.mutable_spec()->set_priority_class_name("nope");
  grpc::Status s = Create("pods", "default", nope, static_cast<Pod*>(nullptr));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(),
            "pods \"nope\" is forbidden: no PriorityClass with name nope was found");
  meta::v1::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  EXPECT_EQ(details.reason(), "Forbidden");
  EXPECT_EQ(details.code(), 403);
  Pod absent;
  EXPECT_EQ(Get("pods", "default", "nope", &absent).error_code(), grpc::StatusCode::NOT_FOUND);
  Pod own = NewPod("own");
  own.mutable_spec()->set_priority(1000);
  s = Create("pods", "default", own, static_cast<Pod*>(nullptr));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("the integer value of priority (1000) must not be provided in "
                                   "pod spec"),
            std::string::npos)
      << s.error_message();

  // A built-in class; the pod's own service account and not-ready
  // toleration stay.
  Pod critical = NewPod("critical");
  critical.mutable_spec()->set_priority_class_name("system-node-critical");
  critical.mutable_spec()->set_service_account_name("builder");
  auto* t = critical.mutable_spec()->add_tolerations();
  t->set_key("node.kubernetes.io/not-ready");
  t->set_operator_("Exists");
  t->set_effect("NoExecute");
  ASSERT_TRUE(Create("pods", "default", critical, &critical).ok());
  EXPECT_EQ(critical.spec().priority(), 2000001000);
  EXPECT_EQ(critical.spec().service_account_name(), "builder");
  EXPECT_EQ(
      TolerationLines(critical),
      (std::vector<std::string>{"node.kubernetes.io/not-ready:NoExecute op=Exists",
                                "node.kubernetes.io/unreachable:NoExecute op=Exists for 300s"}));

  // Updates: an existing toleration's seconds may change; an update that
  // leaves out the admitted tolerations and priority gets them again (as
  // Kubernetes' DefaultTolerationSeconds and Priority plugins do on update).
  Pod update = pod;
  update.mutable_spec()->mutable_tolerations(0)->set_toleration_seconds(60);
  Pod updated;
  ASSERT_TRUE(Update("pods", "default", update, &updated).ok());
  EXPECT_EQ(
      TolerationLines(updated),
      (std::vector<std::string>{"node.kubernetes.io/not-ready:NoExecute op=Exists for 60s",
                                "node.kubernetes.io/unreachable:NoExecute op=Exists for 300s"}));
  update = updated;
  update.mutable_spec()->clear_tolerations();
  update.mutable_spec()->clear_priority();
  update.mutable_spec()->clear_preemption_policy();
  grpc::Status us = Update("pods", "default", update, &updated);
  ASSERT_TRUE(us.ok()) << us.error_message();
  EXPECT_EQ(TolerationLines(updated), defaults);
  EXPECT_EQ(updated.spec().priority(), 0);
  EXPECT_EQ(updated.spec().preemption_policy(), "PreemptLowerPriority");
  // A toleration of the pod's own may not be removed (validation); the
  // service account is not defaulted again on update.
  Pod custom = NewPod("custom");
  t = custom.mutable_spec()->add_tolerations();
  t->set_key("dedicated");
  t->set_operator_("Equal");
  t->set_value("web");
  t->set_effect("NoSchedule");
  ASSERT_TRUE(Create("pods", "default", custom, &custom).ok());
  ASSERT_EQ(custom.spec().tolerations_size(), 3);
  update = custom;
  update.mutable_spec()->mutable_tolerations()->erase(
      update.mutable_spec()->mutable_tolerations()->begin());
  us = Update("pods", "default", update, static_cast<Pod*>(nullptr));
  EXPECT_EQ(us.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(us.error_message().find(
                "spec.tolerations: Forbidden: existing toleration can not be modified except its "
                "tolerationSeconds"),
            std::string::npos)
      << us.error_message();
  update = custom;
  update.mutable_spec()->clear_service_account_name();
  us = Update("pods", "default", update, static_cast<Pod*>(nullptr));
  EXPECT_EQ(us.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << us.error_message();

  // Other kinds are not admitted: a Deployment's pod template keeps no
  // tolerations.
  Deployment d;
  ASSERT_TRUE(Create("deployments", "default", NewDeployment("tmpl", 1), &d).ok());
  EXPECT_EQ(d.spec().template_().spec().tolerations_size(), 0);
  EXPECT_EQ(d.spec().template_().spec().service_account_name(), "");
}

TEST_P(ApiServerE2E, GenerationAndStatusSubresource) {
  Deployment d;
  ASSERT_TRUE(Create("deployments", "default", NewDeployment("g", 1), &d).ok());
  Deployment status_update = d;
  status_update.mutable_status()->set_ready_replicas(1);
  status_update.mutable_spec()->set_replicas(9);  // ignored through "status"
  Deployment after;
  ASSERT_TRUE(Update("deployments", "default", status_update, &after, "status").ok());
  EXPECT_EQ(after.status().ready_replicas(), 1);
  EXPECT_EQ(after.spec().replicas(), 1);
  EXPECT_EQ(after.metadata().generation(), 1);
  // A main-resource update cannot change status.
  after.mutable_status()->set_ready_replicas(7);
  after.mutable_metadata()->mutable_labels()->insert({"k", "v"});
  Deployment after2;
  ASSERT_TRUE(Update("deployments", "default", after, &after2).ok());
  EXPECT_EQ(after2.status().ready_replicas(), 1);
  EXPECT_EQ(after2.metadata().generation(), 1);

  // Scale subresource.
  autoscaling::v1::Scale scale;
  ASSERT_TRUE(Get("deployments", "default", "g", &scale, "scale").ok());
  EXPECT_EQ(scale.spec().replicas(), 1);
  EXPECT_EQ(scale.status().selector(), "app=g");
  scale.mutable_spec()->set_replicas(4);
  v1::UpdateRequest req;
  req.set_resource("deployments");
  req.set_namespace_("default");
  req.set_name("g");
  req.set_subresource("scale");
  req.set_object(scale.SerializeAsString());
  v1::ObjectResponse resp;
  ASSERT_TRUE(Call(&v1::ApiServer::Stub::Update, req, &resp).ok());
  ASSERT_TRUE(Get("deployments", "default", "g", &d).ok());
  EXPECT_EQ(d.spec().replicas(), 4);
  EXPECT_EQ(d.metadata().generation(), 2);

  // Merge patch.
  v1::PatchRequest patch;
  patch.set_resource("deployments");
  patch.set_namespace_("default");
  patch.set_name("g");
  patch.set_patch_type("application/merge-patch+json");
  patch.set_patch(R"({"metadata":{"labels":{"tier":"web"}},"spec":{"replicas":2}})");
  ASSERT_TRUE(Call(&v1::ApiServer::Stub::Patch, patch, &resp).ok());
  d.ParseFromString(resp.object());
  EXPECT_EQ(d.spec().replicas(), 2);
  EXPECT_EQ(d.metadata().labels().at("tier"), "web");
}

TEST_P(ApiServerE2E, BindOnceAndGracefulDeletion) {
  Pod pod;
  ASSERT_TRUE(Create("pods", "default", NewPod("b"), &pod).ok());
  core::v1::Binding binding;
  binding.mutable_metadata()->set_name("b");
  binding.mutable_target()->set_kind("Node");
  binding.mutable_target()->set_name("node-1");
  v1::BindRequest bind;
  bind.set_namespace_("default");
  bind.set_name("b");
  bind.set_binding(binding.SerializeAsString());
  v1::BindResponse bound;
  ASSERT_TRUE(Call(&v1::ApiServer::Stub::Bind, bind, &bound).ok());
  grpc::Status again = Call(&v1::ApiServer::Stub::Bind, bind, &bound);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_NE(again.error_message().find("pod b is already assigned to node \"node-1\""),
            std::string::npos)
      << again.error_message();
  ASSERT_TRUE(Get("pods", "default", "b", &pod).ok());
  EXPECT_EQ(pod.spec().node_name(), "node-1");
  ASSERT_GE(pod.status().conditions_size(), 1);
  EXPECT_EQ(pod.status().conditions(0).type(), "PodScheduled");

  v1::DeleteResponse del;
  ASSERT_TRUE(Delete("pods", "default", "b", {}, &del).ok());
  EXPECT_FALSE(del.deleted());
  Pod pending;
  ASSERT_TRUE(pending.ParseFromString(del.object()));
  EXPECT_TRUE(pending.metadata().has_deletion_timestamp());
  EXPECT_EQ(pending.metadata().deletion_grace_period_seconds(), 30);
  ASSERT_TRUE(Get("pods", "default", "b", &pod).ok());
  meta::v1::DeleteOptions now;
  now.set_grace_period_seconds(0);
  ASSERT_TRUE(Delete("pods", "default", "b", now, &del).ok());
  EXPECT_TRUE(del.deleted());
  EXPECT_EQ(Get("pods", "default", "b", &pod).error_code(), grpc::StatusCode::NOT_FOUND);

  // An unscheduled pod goes at once.
  ASSERT_TRUE(Create("pods", "default", NewPod("u"), &pod).ok());
  ASSERT_TRUE(Delete("pods", "default", "u", {}, &del).ok());
  EXPECT_TRUE(del.deleted());
}

TEST_P(ApiServerE2E, FinalizersAndPropagationPolicy) {
  Deployment d = NewDeployment("f", 1);
  d.mutable_metadata()->add_finalizers("example.com/hold");
  ASSERT_TRUE(Create("deployments", "default", d, &d).ok());
  v1::DeleteResponse del;
  ASSERT_TRUE(Delete("deployments", "default", "f", {}, &del).ok());
  EXPECT_FALSE(del.deleted());
  ASSERT_TRUE(Get("deployments", "default", "f", &d).ok());
  EXPECT_TRUE(d.metadata().has_deletion_timestamp());
  d.mutable_metadata()->clear_finalizers();
  Deployment out;
  ASSERT_TRUE(Update("deployments", "default", d, &out).ok());
  EXPECT_EQ(Get("deployments", "default", "f", &d).error_code(), grpc::StatusCode::NOT_FOUND);

  ASSERT_TRUE(Create("deployments", "default", NewDeployment("fg", 1), &d).ok());
  meta::v1::DeleteOptions fg;
  fg.set_propagation_policy("Foreground");
  ASSERT_TRUE(Delete("deployments", "default", "fg", fg, &del).ok());
  ASSERT_TRUE(Get("deployments", "default", "fg", &d).ok());
  ASSERT_EQ(d.metadata().finalizers_size(), 1);
  EXPECT_EQ(d.metadata().finalizers(0), "foregroundDeletion");

  meta::v1::DeleteOptions pre;
  pre.mutable_preconditions()->set_uid("wrong");
  grpc::Status s = Delete("deployments", "default", "fg", pre, &del);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
}

TEST_P(ApiServerE2E, SelectorsInListAndWatch) {
  Pod p;
  ASSERT_TRUE(Create("pods", "default", NewPod("a", {{"app", "web"}}), &p).ok());
  ASSERT_TRUE(Create("pods", "default", NewPod("b", {{"app", "db"}}), &p).ok());
  EXPECT_EQ(List("pods", "default", "app=web").items_size(), 1);
  EXPECT_EQ(List("pods", "default", "app in (web,db)").items_size(), 2);
  EXPECT_EQ(List("pods", "default", "", "metadata.name=b").items_size(), 1);
  EXPECT_EQ(List("pods", "default", "", "spec.nodeName=").items_size(), 2);
  // From the watch cache: at least as new as the last create. (With "0" the
  // cache may answer from before it, as Kubernetes allows.)
  EXPECT_EQ(
      List("pods", "default", "app=web", "", 0, "", p.metadata().resource_version()).items_size(),
      1);

  v1::ListRequest bad;
  bad.set_resource("pods");
  bad.set_field_selector("spec.bogus=1");
  v1::ListResponse out;
  EXPECT_EQ(Call(&v1::ApiServer::Stub::List, bad, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::WatchRequest req;
  req.set_resource("pods");
  req.set_namespace_("default");
  req.set_field_selector("spec.nodeName=n1");
  WatchStream watch(stub_.get(), req);
  core::v1::Binding binding;
  binding.mutable_target()->set_name("n1");
  v1::BindRequest bind;
  bind.set_namespace_("default");
  bind.set_name("b");
  bind.set_binding(binding.SerializeAsString());
  v1::BindResponse bound;
  ASSERT_TRUE(Call(&v1::ApiServer::Stub::Bind, bind, &bound).ok());
  v1::WatchEvent event;
  ASSERT_TRUE(watch.Next(&event));
  EXPECT_EQ(event.type(), "ADDED") << "pod b entered the selection when bound to n1";
  Pod seen;
  ASSERT_TRUE(seen.ParseFromString(event.object()));
  EXPECT_EQ(seen.metadata().name(), "b");
}

TEST_P(ApiServerE2E, WatchSeesLastMatchingStateWhenAnObjectLeavesItsSelection) {
  Pod p;
  ASSERT_TRUE(
      Create("pods", "default", NewPod("leaver", {{"app", "web"}, {"tier", "a"}}), &p).ok());
  v1::WatchRequest req;
  req.set_resource("pods");
  req.set_namespace_("default");
  req.set_label_selector("app=web");
  req.set_resource_version(p.metadata().resource_version());
  WatchStream watch(stub_.get(), req);
  watch.WaitStarted();
  // Still matching: MODIFIED with the new state.
  (*p.mutable_metadata()->mutable_labels())["tier"] = "b";
  ASSERT_TRUE(Update("pods", "default", p, &p).ok());
  // Leaves the selection: DELETED with the last matching state (tier=b,
  // app=web) at the resourceVersion of the change.
  Pod moved = p;
  (*moved.mutable_metadata()->mutable_labels())["app"] = "db";
  ASSERT_TRUE(Update("pods", "default", moved, &moved).ok());
  ASSERT_NE(moved.metadata().resource_version(), p.metadata().resource_version());

  v1::WatchEvent event;
  ASSERT_TRUE(watch.Next(&event));
  EXPECT_EQ(event.type(), "MODIFIED");
  ASSERT_TRUE(watch.Next(&event));
  EXPECT_EQ(event.type(), "DELETED");
  EXPECT_EQ(event.resource_version(), moved.metadata().resource_version());
  Pod seen;
  ASSERT_TRUE(seen.ParseFromString(event.object()));
  EXPECT_EQ(seen.metadata().name(), "leaver");
  EXPECT_EQ(seen.metadata().labels().at("app"), "web");
  EXPECT_EQ(seen.metadata().labels().at("tier"), "b");
  EXPECT_EQ(seen.metadata().resource_version(), moved.metadata().resource_version());

  // Back into the selection: ADDED with the new state.
  (*moved.mutable_metadata()->mutable_labels())["app"] = "web";
  ASSERT_TRUE(Update("pods", "default", moved, &moved).ok());
  ASSERT_TRUE(watch.Next(&event));
  EXPECT_EQ(event.type(), "ADDED");
  ASSERT_TRUE(seen.ParseFromString(event.object()));
  EXPECT_EQ(seen.metadata().resource_version(), moved.metadata().resource_version());
}

TEST_P(ApiServerE2E, WatchWithBatchesPacksQueuedEventsIntoOneMessage) {
  Pod p;
  ASSERT_TRUE(Create("pods", "default", NewPod("bt-00"), &p).ok());
  const std::string start_rv = p.metadata().resource_version();
  std::vector<std::string> rvs;
  for (int i = 1; i <= 12; ++i) {
    ASSERT_TRUE(
        Create("pods", "default", NewPod(absl::StrCat("bt-", i < 10 ? "0" : "", i)), &p).ok());
    rvs.push_back(p.metadata().resource_version());
  }
  // Once the watch cache has them (a List at the last resourceVersion waits
  // for that), resuming from the first pod replays the 12 later ones: all
  // queued at registration, so they leave in one batch message.
  EXPECT_EQ(List("pods", "default", "", "", 0, "", rvs.back()).items_size(), 13);
  v1::WatchRequest req;
  req.set_resource("pods");
  req.set_namespace_("default");
  req.set_resource_version(start_rv);
  req.set_allow_event_batches(true);
  WatchStream watch(stub_.get(), req);
  v1::WatchEvent message;
  ASSERT_TRUE(watch.Next(&message));
  ASSERT_EQ(message.events_size(), 12);
  EXPECT_TRUE(message.type().empty());
  for (int i = 0; i < 12; ++i) {
    const v1::WatchEvent& event = message.events(i);
    EXPECT_EQ(event.type(), "ADDED");
    EXPECT_EQ(event.resource_version(), rvs[i]);
    Pod seen;
    ASSERT_TRUE(seen.ParseFromString(event.object()));
    EXPECT_EQ(seen.metadata().name(), absl::StrCat("bt-", i + 1 < 10 ? "0" : "", i + 1));
    EXPECT_EQ(seen.metadata().resource_version(), rvs[i]);
  }
  // Later events too (one or more per message), in order.
  Pod late;
  ASSERT_TRUE(Create("pods", "default", NewPod("bt-late"), &late).ok());
  ASSERT_TRUE(watch.Next(&message));
  ASSERT_EQ(message.events_size(), 1);
  EXPECT_EQ(message.events(0).resource_version(), late.metadata().resource_version());

  // Without the flag: one event per message, as before.
  req.set_allow_event_batches(false);
  WatchStream single(stub_.get(), req);
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(single.Next(&message));
    EXPECT_EQ(message.events_size(), 0);
    EXPECT_EQ(message.type(), "ADDED");
    EXPECT_EQ(message.resource_version(), rvs[i]);
  }
}

TEST_P(ApiServerE2E, WatchResumeTooOldAndBookmarks) {
  Pod p;
  ASSERT_TRUE(Create("pods", "default", NewPod("w0"), &p).ok());
  const std::string start_rv = p.metadata().resource_version();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(Create("pods", "default", NewPod("w" + std::to_string(i)), &p).ok());
  }
  v1::WatchRequest req;
  req.set_resource("pods");
  req.set_namespace_("default");
  req.set_resource_version(start_rv);
  {
    WatchStream watch(stub_.get(), req);
    for (int i = 1; i <= 3; ++i) {
      v1::WatchEvent event;
      ASSERT_TRUE(watch.Next(&event));
      EXPECT_EQ(event.type(), "ADDED");
      Pod seen;
      seen.ParseFromString(event.object());
      EXPECT_EQ(seen.metadata().name(), "w" + std::to_string(i));
    }
  }
  // Push the start out of the 50-event window.
  for (int i = 0; i < 60; ++i) {
    Pod q = NewPod("w0");
    ASSERT_TRUE(Get("pods", "default", "w0", &q).ok());
    (*q.mutable_metadata()->mutable_labels())["i"] = std::to_string(i);
    ASSERT_TRUE(Update("pods", "default", q, &q).ok());
  }
  {
    WatchStream watch(stub_.get(), req);
    v1::WatchEvent event;
    EXPECT_FALSE(watch.Next(&event));
    grpc::Status s = watch.Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE);
    EXPECT_NE(s.error_message().find("too old resource version: " + start_rv), std::string::npos)
        << s.error_message();
  }
  // Bookmarks for a watcher whose selection sees nothing.
  v1::WatchRequest quiet;
  quiet.set_resource("pods");
  quiet.set_label_selector("nothing=here");
  quiet.set_allow_watch_bookmarks(true);
  WatchStream watch(stub_.get(), quiet);
  ASSERT_TRUE(Create("pods", "default", NewPod("late"), &p).ok());
  v1::WatchEvent event;
  do {
    ASSERT_TRUE(watch.Next(&event));
  } while (std::stoll(event.resource_version()) < std::stoll(p.metadata().resource_version()));
  EXPECT_EQ(event.type(), "BOOKMARK");
}

TEST_P(ApiServerE2E, ListPagination) {
  Pod p;
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(Create("pods", "default", NewPod("pg-" + std::to_string(i)), &p).ok());
  }
  // "" reads the store; the last create's resourceVersion reads the watch
  // cache once it has caught up ("0" might answer from before the creates).
  for (const std::string rv : {std::string(), p.metadata().resource_version()}) {
    std::vector<std::string> names;
    std::string cont;
    int pages = 0;
    do {
      v1::ListResponse page = List("pods", "default", "", "", 3, cont, cont.empty() ? rv : "");
      for (const auto& item : page.items()) {
        Pod q;
        q.ParseFromString(item);
        names.push_back(q.metadata().name());
      }
      cont = page.continue_();
      ++pages;
    } while (!cont.empty() && pages < 10);
    EXPECT_EQ(pages, 3) << "rv=" << rv;
    ASSERT_EQ(names.size(), 7u) << "rv=" << rv;
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  }
}

TEST_P(ApiServerE2E, ListResourceVersionSemantics) {
  Pod p;
  ASSERT_TRUE(Create("pods", "default", NewPod("rv-a"), &p).ok());
  const std::string first_rv = p.metadata().resource_version();
  ASSERT_TRUE(Create("pods", "default", NewPod("rv-b"), &p).ok());
  const std::string second_rv = p.metadata().resource_version();
  auto list = [&](const std::string& rv, const std::string& match, v1::ListResponse* out) {
    v1::ListRequest req;
    req.set_resource("pods");
    req.set_namespace_("default");
    req.set_resource_version(rv);
    req.set_resource_version_match(match);
    return Call(&v1::ApiServer::Stub::List, req, out);
  };
  v1::ListResponse out;
  // "" (consistent read) and "0" (watch cache) both see both pods.
  ASSERT_TRUE(list("", "", &out).ok());
  EXPECT_EQ(out.items_size(), 2);
  EXPECT_GE(std::stoll(out.resource_version()), std::stoll(second_rv));
  ASSERT_TRUE(list(second_rv, "NotOlderThan", &out).ok());
  EXPECT_EQ(out.items_size(), 2);
  EXPECT_GE(std::stoll(out.resource_version()), std::stoll(second_rv));
  // Exact: the list as it was at the first pod's revision.
  ASSERT_TRUE(list(first_rv, "Exact", &out).ok());
  EXPECT_EQ(out.resource_version(), first_rv);
  ASSERT_EQ(out.items_size(), 1);
  Pod seen;
  ASSERT_TRUE(seen.ParseFromString(out.items(0)));
  EXPECT_EQ(seen.metadata().name(), "rv-a");
  // Kubernetes' validation of the combinations.
  EXPECT_EQ(list("", "Exact", &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(list("0", "Exact", &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status bad = list(first_rv, "Newest", &out);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("supported values: \"Exact\", \"NotOlderThan\""),
            std::string::npos)
      << bad.error_message();
}

TEST_P(ApiServerE2E, NamespaceDeletionRemovesItsObjects) {
  core::v1::Namespace ns;
  ns.mutable_metadata()->set_name("team");
  ASSERT_TRUE(Create("namespaces", "", ns, &ns).ok());
  EXPECT_EQ(ns.status().phase(), "Active");
  Pod p;
  ASSERT_TRUE(Create("pods", "team", NewPod("p"), &p).ok());
  Deployment d;
  ASSERT_TRUE(Create("deployments", "team", NewDeployment("d", 1), &d).ok());
  v1::DeleteResponse del;
  ASSERT_TRUE(Delete("namespaces", "", "team", {}, &del).ok());
  core::v1::Namespace terminating;
  ASSERT_TRUE(terminating.ParseFromString(del.object()));
  EXPECT_EQ(terminating.status().phase(), "Terminating");
  grpc::Status forbidden = Create("pods", "team", NewPod("q"), &p);
  EXPECT_EQ(forbidden.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Get("namespaces", "", "team", &ns).error_code() == grpc::StatusCode::NOT_FOUND;
      },
      absl::Seconds(15)));
  EXPECT_EQ(Get("pods", "team", "p", &p).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get("deployments", "team", "d", &d).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A namespace whose pod is still in its grace period stays Terminating; it
// goes as soon as the pod does (the finalizer follows the pod's DELETED
// event; its periodic pass is 30 s away).
TEST_P(ApiServerE2E, TerminatingNamespaceGoesWhenItsLastPodDoes) {
  core::v1::Namespace ns;
  ns.mutable_metadata()->set_name("slow");
  ASSERT_TRUE(Create("namespaces", "", ns, &ns).ok());
  Pod p;
  ASSERT_TRUE(Create("pods", "slow", NewPod("bound"), &p).ok());
  core::v1::Binding binding;
  binding.mutable_target()->set_name("n1");
  v1::BindRequest bind;
  bind.set_namespace_("slow");
  bind.set_name("bound");
  bind.set_binding(binding.SerializeAsString());
  v1::BindResponse bound;
  ASSERT_TRUE(Call(&v1::ApiServer::Stub::Bind, bind, &bound).ok());

  v1::DeleteResponse del;
  ASSERT_TRUE(Delete("namespaces", "", "slow", {}, &del).ok());
  // The finalizer asks the pod to go; a pod on a node keeps its grace period.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Get("pods", "slow", "bound", &p).ok() && p.metadata().has_deletion_timestamp();
      },
      absl::Seconds(15)));
  ASSERT_TRUE(Get("namespaces", "", "slow", &ns).ok()) << "still terminating";
  EXPECT_EQ(ns.status().phase(), "Terminating");

  // The kubelet's final delete (grace period 0): the namespace follows.
  meta::v1::DeleteOptions now;
  now.set_grace_period_seconds(0);
  ASSERT_TRUE(Delete("pods", "slow", "bound", now, &del).ok());
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return Get("namespaces", "", "slow", &ns).error_code() == grpc::StatusCode::NOT_FOUND;
      },
      absl::Seconds(15)))
      << Log();
}

TEST_P(ApiServerE2E, StoreDownIsUnavailableFastAndRecovers) {
  EXPECT_TRUE(testing::WaitFor([&] { return HealthStatus() == 1; }, absl::Seconds(10)));
  cp_->store().Kill9();
  EXPECT_TRUE(testing::WaitFor([&] { return HealthStatus() == 2; }, absl::Seconds(15)))
      << "health must be NOT_SERVING while the store is down";
  absl::Time start = absl::Now();
  Pod p;
  grpc::Status s = Create("pods", "default", NewPod("down"), &p);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_NE(s.error_message().find("storage is unavailable"), std::string::npos)
      << s.error_message();
  EXPECT_LT(absl::Now() - start, absl::Seconds(7));
  ASSERT_TRUE(cp_->store().Restart().ok());
  EXPECT_TRUE(testing::WaitFor([&] { return Create("pods", "default", NewPod("up"), &p).ok(); },
                               absl::Seconds(20)))
      << Log();
  // The watch cache resumed: a list from the cache sees the new pod.
  EXPECT_TRUE(testing::WaitFor(
      [&] { return List("pods", "default", "", "metadata.name=up", 0, "", "0").items_size() == 1; },
      absl::Seconds(10)));
}

// With no periodic progress in sight (bookmark interval of a minute), a
// cache of a resource without changes must still serve a resourceVersion the
// client read from the store after writes to other resources: the apiserver
// asks the store for a progress notification.
class ApiServerProgressE2E : public ApiServerE2E {
 protected:
  std::vector<std::string> ExtraFlags() override { return {"--bookmark-interval=1m"}; }
};

TEST_P(ApiServerProgressE2E, ListAndWatchAtAStoreRevisionStartPromptly) {
  auto create_namespace = [&](const std::string& name) {
    core::v1::Namespace ns;
    ns.mutable_metadata()->set_name(name);
    ASSERT_TRUE(Create("namespaces", "", ns, &ns).ok());
  };
  // No pods; writes to another resource move the store's revision on.
  create_namespace("elsewhere-1");
  create_namespace("elsewhere-2");
  v1::ListResponse pods = List("pods", "");  // from the store
  ASSERT_EQ(pods.items_size(), 0);
  const std::string rv = pods.resource_version();

  v1::WatchRequest req;
  req.set_resource("pods");
  req.set_resource_version(rv);
  absl::Time start = absl::Now();
  WatchStream watch(stub_.get(), req);
  watch.WaitStarted();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << "the watch from " << rv << " waited";
  Pod p;
  ASSERT_TRUE(Create("pods", "default", NewPod("after"), &p).ok());
  v1::WatchEvent event;
  ASSERT_TRUE(watch.Next(&event)) << watch.Finish().error_message();
  EXPECT_EQ(event.type(), "ADDED");
  Pod seen;
  ASSERT_TRUE(seen.ParseFromString(event.object()));
  EXPECT_EQ(seen.metadata().name(), "after");
  EXPECT_GT(std::stoll(event.resource_version()), std::stoll(rv));

  // A list from the cache at a newer store revision.
  create_namespace("elsewhere-3");
  const std::string rv2 = List("deployments", "").resource_version();
  ASSERT_GT(std::stoll(rv2), std::stoll(p.metadata().resource_version()));
  start = absl::Now();
  v1::ListResponse cached = List("pods", "", "", "", 0, "", rv2);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << "the list at " << rv2 << " waited";
  EXPECT_GE(std::stoll(cached.resource_version()), std::stoll(rv2));
  EXPECT_EQ(cached.items_size(), 1);
}

// The apiserver's toleration flags set the seconds of the admitted
// tolerations.
class ApiServerTolerationFlagsE2E : public ApiServerE2E {
 protected:
  std::vector<std::string> ExtraFlags() override {
    return {"--default-not-ready-toleration-seconds=2",
            "--default-unreachable-toleration-seconds=3"};
  }
};

TEST_P(ApiServerTolerationFlagsE2E, NewPodsTolerateForTheFlagsSeconds) {
  Pod pod;
  ASSERT_TRUE(Create("pods", "default", NewPod("short"), &pod).ok());
  EXPECT_EQ(
      TolerationLines(pod),
      (std::vector<std::string>{"node.kubernetes.io/not-ready:NoExecute op=Exists for 2s",
                                "node.kubernetes.io/unreachable:NoExecute op=Exists for 3s"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiServerTolerationFlagsE2E,
                         ::testing::Values(BackendKind::kMinik8sStore, BackendKind::kEtcd),
                         [](const auto& info) { return testing::BackendName(info.param); });

INSTANTIATE_TEST_SUITE_P(Backends, ApiServerProgressE2E,
                         ::testing::Values(BackendKind::kMinik8sStore, BackendKind::kEtcd),
                         [](const auto& info) { return testing::BackendName(info.param); });

INSTANTIATE_TEST_SUITE_P(Backends, ApiServerE2E,
                         ::testing::Values(BackendKind::kMinik8sStore, BackendKind::kEtcd),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace minik8s::apiserver
