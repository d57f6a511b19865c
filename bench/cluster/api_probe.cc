#include "bench/cluster/api_probe.h"

#include <grpcpp/create_channel.h>

#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/errors.h"
#include "api/time.h"

namespace minik8s::bench {
namespace {

constexpr char kLeaseName[] = "cluster-bench-probe";
constexpr char kStoreKey[] = "/cluster-bench/probe";

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(30);
}

}  // namespace

using minik8s::coordination::v1::Lease;

absl::StatusOr<std::unique_ptr<ApiProbe>> ApiProbe::Create(
    const std::string& server, const std::string& store,
    std::shared_ptr<grpc::ChannelCredentials> store_credentials, std::string ns, std::string node,
    std::string label_selector, absl::Duration interval, std::optional<TlsClientFiles> api_tls) {
  auto cs = client::Clientset::Connect({.server = server,
                                        .timeout = absl::Seconds(30),
                                        .user_agent = "cluster-bench-probe",
                                        .tls = std::move(api_tls)});
  if (!cs.ok()) return cs.status();
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  if (!store.empty()) {
    kv = etcdserverpb::KV::NewStub(grpc::CreateChannel(store, store_credentials));
  }
  return std::unique_ptr<ApiProbe>(new ApiProbe(*std::move(cs), std::move(kv), std::move(ns),
                                                std::move(node), std::move(label_selector),
                                                interval));
}

ApiProbe::ApiProbe(std::unique_ptr<client::Clientset> cs,
                   std::unique_ptr<etcdserverpb::KV::Stub> store, std::string ns, std::string node,
                   std::string label_selector, absl::Duration interval)
    : cs_(std::move(cs)),
      store_(std::move(store)),
      ns_(std::move(ns)),
      node_(std::move(node)),
      label_selector_(std::move(label_selector)),
      interval_(interval) {}

ApiProbe::~ApiProbe() { Stop(); }

absl::Status ApiProbe::Start() {
  Lease lease;
  lease.mutable_metadata()->set_name(kLeaseName);
  lease.mutable_metadata()->set_namespace_(ns_);
  lease.mutable_spec()->set_holder_identity("cluster-bench");
  lease.mutable_spec()->set_lease_duration_seconds(10);
  *lease.mutable_spec()->mutable_renew_time() = api::NowMicroTime();
  auto created = cs_->Leases().Create(lease);
  if (!created.ok() && !api::IsAlreadyExists(created.status())) {
    return absl::Status(created.status().code(),
                        absl::StrCat("creating the probe Lease: ", created.status().message()));
  }
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void ApiProbe::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

ApiProbe::Stats ApiProbe::stats() const {
  absl::MutexLock l(&mu_);
  return stats_;
}

void ApiProbe::Record(std::vector<double> Stats::*series, absl::Time start, const absl::Status& s) {
  const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
  absl::MutexLock l(&mu_);
  if (s.ok()) {
    (stats_.*series).push_back(ms);
    return;
  }
  ++stats_.errors;
  if (stats_.first_error.empty()) stats_.first_error = s.ToString();
}

void ApiProbe::ProbeStore() {
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    etcdserverpb::PutRequest req;
    req.set_key(kStoreKey);
    req.set_value(std::string(64, 'x'));
    etcdserverpb::PutResponse resp;
    const absl::Time t = absl::Now();
    grpc::Status s = store_->Put(&ctx, req, &resp);
    Record(&Stats::store_put_ms, t,
           s.ok() ? absl::OkStatus() : absl::UnavailableError(s.error_message()));
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  etcdserverpb::RangeRequest req;
  req.set_key(kStoreKey);
  etcdserverpb::RangeResponse resp;
  const absl::Time t = absl::Now();
  grpc::Status s = store_->Range(&ctx, req, &resp);
  Record(&Stats::store_range_ms, t,
         s.ok() ? absl::OkStatus() : absl::UnavailableError(s.error_message()));
}

void ApiProbe::Loop() {
  std::optional<Lease> lease;
  while (!stop_.WaitForNotificationWithTimeout(interval_)) {
    if (store_ != nullptr) ProbeStore();
    absl::Time t = absl::Now();
    auto node = cs_->Nodes().Get("", node_);
    Record(&Stats::get_ms, t, node.status());

    t = absl::Now();
    auto pods = cs_->Pods().List(ns_, {.label_selector = label_selector_, .limit = 100});
    Record(&Stats::list_ms, t, pods.status());

    if (!lease.has_value()) {
      auto got = cs_->Leases().Get(ns_, kLeaseName);
      if (!got.ok()) continue;
      lease = *std::move(got);
    }
    *lease->mutable_spec()->mutable_renew_time() = api::NowMicroTime();
    t = absl::Now();
    auto updated = cs_->Leases().Update(*lease);
    if (updated.ok()) {
      lease = *std::move(updated);
    } else {
      lease.reset();  // re-read before the next renewal (a conflict)
    }
    Record(&Stats::update_ms, t, updated.status());
  }
}

}  // namespace minik8s::bench
