#include "client/leader_election.h"

#include <signal.h>
#include <unistd.h>

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "client/typed_client.h"
#include "spdlog/spdlog.h"

namespace minik8s::client {
namespace {

using minik8s::coordination::v1::Lease;

class ApiLeaseClient : public LeaseClient {
 public:
  explicit ApiLeaseClient(ApiClient* api) : leases_(api) {}
  absl::StatusOr<Lease> Get(absl::string_view ns, absl::string_view name) override {
    return leases_.Get(ns, name);
  }
  absl::StatusOr<Lease> Create(const Lease& lease) override { return leases_.Create(lease); }
  absl::StatusOr<Lease> Update(const Lease& lease) override { return leases_.Update(lease); }

 private:
  TypedClient<Lease> leases_;
};

void SetMicroTime(minik8s::meta::v1::MicroTime* out, absl::Time t) {
  int64_t micros = absl::ToUnixMicros(t);
  out->set_seconds(micros / 1000000);
  out->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

}  // namespace

std::unique_ptr<LeaseClient> NewApiLeaseClient(ApiClient* api) {
  return std::make_unique<ApiLeaseClient>(api);
}

LeaderElector::LeaderElector(LeaseClient* client, LeaderElectionConfig config)
    : client_(client),
      config_(std::move(config)),
      clock_(config_.clock != nullptr ? config_.clock : common::RealClock::Get()) {}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopped_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool LeaderElector::IsLeader() const {
  absl::MutexLock lock(&mu_);
  return leading_;
}

std::string LeaderElector::GetLeader() const {
  absl::MutexLock lock(&mu_);
  return observed_holder_;
}

bool LeaderElector::Sleep(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopped_), clock_->Now() + d);
  return stopped_;
}

void LeaderElector::Observe(const Lease& lease, absl::Time now) {
  std::string record =
      absl::StrCat(lease.spec().holder_identity(), "|", lease.spec().renew_time().seconds(), ".",
                   lease.spec().renew_time().nanos(), "|", lease.metadata().resource_version());
  if (record != observed_renew_) {
    observed_renew_ = std::move(record);
    observed_time_ = now;
  }
  observed_duration_s_ = lease.spec().has_lease_duration_seconds()
                             ? lease.spec().lease_duration_seconds()
                             : static_cast<int32_t>(absl::ToInt64Seconds(config_.lease_duration));
  const std::string& holder = lease.spec().holder_identity();
  bool changed;
  {
    absl::MutexLock lock(&mu_);
    changed = holder != observed_holder_;
    observed_holder_ = holder;
  }
  if (changed && !holder.empty() && config_.callbacks.on_new_leader) {
    config_.callbacks.on_new_leader(holder);
  }
}

bool LeaderElector::TryAcquireOrRenew() {
  absl::Time now = clock_->Now();
  const int32_t duration_s = static_cast<int32_t>(absl::ToInt64Seconds(config_.lease_duration));
  absl::StatusOr<Lease> current = client_->Get(config_.lease_namespace, config_.lease_name);
  if (!current.ok()) {
    if (!api::IsNotFound(current.status())) {
      spdlog::warn("leader election {}/{}: cannot read lease: {}", config_.lease_namespace,
                   config_.lease_name, current.status().ToString());
      return false;
    }
    Lease lease;
    lease.set_api_version("coordination.k8s.io/v1");
    lease.set_kind("Lease");
    lease.mutable_metadata()->set_namespace_(config_.lease_namespace);
    lease.mutable_metadata()->set_name(config_.lease_name);
    lease.mutable_spec()->set_holder_identity(config_.identity);
    lease.mutable_spec()->set_lease_duration_seconds(duration_s);
    SetMicroTime(lease.mutable_spec()->mutable_acquire_time(), now);
    SetMicroTime(lease.mutable_spec()->mutable_renew_time(), now);
    lease.mutable_spec()->set_lease_transitions(0);
    absl::StatusOr<Lease> created = client_->Create(lease);
    if (!created.ok()) return false;  // someone else created it first
    Observe(*created, now);
    return true;
  }

  Observe(*current, now);
  const std::string& holder = current->spec().holder_identity();
  bool mine = holder == config_.identity;
  if (!holder.empty() && !mine && observed_time_ + absl::Seconds(observed_duration_s_) > now) {
    return false;  // held by someone else and not expired
  }

  Lease next = *current;
  auto* spec = next.mutable_spec();
  spec->set_holder_identity(config_.identity);
  spec->set_lease_duration_seconds(duration_s);
  SetMicroTime(spec->mutable_renew_time(), now);
  if (!mine) {
    SetMicroTime(spec->mutable_acquire_time(), now);
    spec->set_lease_transitions(current->spec().lease_transitions() + 1);
  }
  absl::StatusOr<Lease> updated = client_->Update(next);
  if (!updated.ok()) {
    if (!api::IsConflict(updated.status())) {
      spdlog::warn("leader election {}/{}: cannot update lease: {}", config_.lease_namespace,
                   config_.lease_name, updated.status().ToString());
    }
    return false;
  }
  Observe(*updated, now);
  return true;
}

void LeaderElector::Release() {
  absl::StatusOr<Lease> current = client_->Get(config_.lease_namespace, config_.lease_name);
  if (!current.ok() || current->spec().holder_identity() != config_.identity) return;
  absl::Time now = clock_->Now();
  Lease next = *current;
  auto* spec = next.mutable_spec();
  spec->set_holder_identity("");
  spec->set_lease_duration_seconds(1);
  SetMicroTime(spec->mutable_renew_time(), now);
  SetMicroTime(spec->mutable_acquire_time(), now);
  absl::StatusOr<Lease> updated = client_->Update(next);
  if (!updated.ok()) {
    spdlog::warn("leader election {}/{}: cannot release lease: {}", config_.lease_namespace,
                 config_.lease_name, updated.status().ToString());
  }
}

void LeaderElector::Run() {
  absl::BitGen gen;
  auto jittered = [&](absl::Duration d) { return d + absl::Uniform(gen, 0.0, 0.2) * d; };
  while (true) {
    // Campaign.
    bool stopped = false;
    while (!(stopped = Sleep(absl::ZeroDuration())) && !TryAcquireOrRenew()) {
      if (Sleep(jittered(config_.retry_period))) {
        stopped = true;
        break;
      }
    }
    if (stopped) return;
    spdlog::info("leader election {}/{}: {} is the leader", config_.lease_namespace,
                 config_.lease_name, config_.identity);
    {
      absl::MutexLock lock(&mu_);
      leading_ = true;
    }
    if (config_.callbacks.on_started_leading) config_.callbacks.on_started_leading();

    // Lead: renew until stopped or the renew deadline passes.
    absl::Time last_renew = clock_->Now();
    while (true) {
      if (Sleep(config_.retry_period)) {
        stopped = true;
        break;
      }
      if (TryAcquireOrRenew()) {
        last_renew = clock_->Now();
        continue;
      }
      if (clock_->Now() - last_renew >= config_.renew_deadline) {
        spdlog::warn("leader election {}/{}: {} failed to renew for {}, stepping down",
                     config_.lease_namespace, config_.lease_name, config_.identity,
                     absl::FormatDuration(config_.renew_deadline));
        break;
      }
    }
    if (stopped && config_.release_on_stop) Release();
    {
      absl::MutexLock lock(&mu_);
      leading_ = false;
    }
    if (config_.callbacks.on_stopped_leading) config_.callbacks.on_stopped_leading();
    if (stopped) return;
  }
}

std::string NewLeaderIdentity() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  absl::BitGen gen;
  return absl::StrCat(host, "_", absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16));
}

LeaderElectionConfig ConfigFromFlags(const LeaderElectionFlags& flags) {
  LeaderElectionConfig config;
  config.lease_namespace = flags.resource_namespace;
  config.lease_name = flags.resource_name;
  config.lease_duration = flags.lease_duration;
  config.renew_deadline = flags.renew_deadline;
  config.retry_period = flags.retry_period;
  return config;
}

DaemonLeaderElection::DaemonLeaderElection(LeaseClient* leases, LeaderElectionConfig config,
                                           std::function<void()> lead,
                                           std::function<void()> on_lost)
    : lead_(std::move(lead)), on_lost_(std::move(on_lost)) {
  if (config.identity.empty()) config.identity = NewLeaderIdentity();
  identity_ = config.identity;
  lease_ = absl::StrCat(config.lease_namespace, "/", config.lease_name);
  if (!on_lost_) on_lost_ = [] { kill(getpid(), SIGTERM); };
  config.callbacks.on_started_leading = [this] {
    spdlog::info("became the leader of Lease {} as {}", lease_, identity_);
    if (!led_.exchange(true)) lead_();
  };
  config.callbacks.on_stopped_leading = [this] {
    if (stopping_.load() || !led_.load()) return;  // our own release, or never led
    if (lost_.exchange(true)) return;
    spdlog::error("leader election lost (Lease {}); exiting", lease_);
    on_lost_();
  };
  config.callbacks.on_new_leader = [this](const std::string& leader) {
    if (leader != identity_) spdlog::info("the leader of Lease {} is {}", lease_, leader);
  };
  elector_ = std::make_unique<LeaderElector>(leases, std::move(config));
}

DaemonLeaderElection::~DaemonLeaderElection() { Stop(); }

void DaemonLeaderElection::Start() {
  spdlog::info("waiting to lead Lease {} as {}", lease_, identity_);
  elector_->Start();
}

void DaemonLeaderElection::Stop() {
  stopping_ = true;
  elector_->Stop();
}

}  // namespace minik8s::client
