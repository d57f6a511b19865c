#include "bench/cluster/api_probe.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/time.h"
#include "client/errors.h"

namespace minik8s::bench {
namespace {

constexpr char kLeaseName[] = "cluster-bench-probe";

}  // namespace

using minik8s::coordination::v1::Lease;

absl::StatusOr<std::unique_ptr<ApiProbe>> ApiProbe::Create(const std::string& server,
                                                           std::string ns,
                                                           std::string deployment,
                                                           std::string label_selector,
                                                           absl::Duration interval) {
  auto cs = client::Clientset::Connect(
      {.server = server, .timeout = absl::Seconds(30), .user_agent = "cluster-bench-probe"});
  if (!cs.ok()) return cs.status();
  return std::unique_ptr<ApiProbe>(new ApiProbe(*std::move(cs), std::move(ns),
                                                std::move(deployment), std::move(label_selector),
                                                interval));
}

ApiProbe::ApiProbe(std::unique_ptr<client::Clientset> cs, std::string ns, std::string deployment,
                   std::string label_selector, absl::Duration interval)
    : cs_(std::move(cs)),
      ns_(std::move(ns)),
      deployment_(std::move(deployment)),
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
  if (!created.ok() && !client::IsAlreadyExists(created.status())) {
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

void ApiProbe::Record(std::vector<double> Stats::*series, absl::Time start,
                      const absl::Status& s) {
  const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
  absl::MutexLock l(&mu_);
  if (s.ok()) {
    (stats_.*series).push_back(ms);
    return;
  }
  ++stats_.errors;
  if (stats_.first_error.empty()) stats_.first_error = s.ToString();
}

void ApiProbe::Loop() {
  std::optional<Lease> lease;
  while (!stop_.WaitForNotificationWithTimeout(interval_)) {
    absl::Time t = absl::Now();
    auto d = cs_->Deployments().Get(ns_, deployment_);
    Record(&Stats::get_ms, t, d.status());

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
