// The chaos test (issue #15): a whole cluster started as a user starts it
// (`minik8s up`: minik8s-store, minik8s-apiserver, minik8s-controller-manager,
// minik8s-scheduler, and per node a minik8s-runtime and a minik8s-kubelet),
// one of whose daemons is killed with SIGKILL every few seconds and started
// again at once the way `minik8s up` started it (the same command line, the
// same data dir, its output appended to the same log), while a driver thread
// scales and rolls out a few Deployments through the API and creates new
// ones. Every write the apiserver acknowledged is recorded.
//
// After the chaos phase the killing stops, the driver finishes the write it
// was retrying, and the test waits (bounded) for the cluster to settle, then
// checks:
//   - every daemon is back up: its process runs and its health endpoint
//     answers (the store's etcd Status as well);
//   - every Deployment has exactly spec.replicas pods, Running and Ready, all
//     owned by its newest ReplicaSet (the one whose template has the
//     Deployment's image, and only one such), the older ReplicaSets at 0, its
//     status caught up (observedGeneration, replicas, updated, ready,
//     available);
//   - no orphans: every pod is controlled by a live ReplicaSet, every
//     ReplicaSet by a live Deployment, every pod is bound to an existing node;
//   - no acknowledged write is lost: each Deployment's last acknowledged
//     replicas and image are what the server holds, and every Deployment
//     whose creation was acknowledged exists;
//   - the store's revision never went backwards: after each restart of the
//     store it is at least what it was before the kill, and at the end at
//     least the newest resourceVersion any acknowledged write returned.
//
// Writes are read-modify-write with the object's resourceVersion (Update and
// the scale subresource), retried until acknowledged: a write whose answer
// was lost (the apiserver killed mid-request) is either applied or not, and
// the retry makes the intended value the acknowledged one; a stale write
// that lands late is refused as a conflict, so "last acknowledged == what
// the server holds" is exact.
//
// Randomness is seeded; the seed is printed at the start and in every
// failure message. The kill schedule (which daemon, when, how long it stays
// down) and the driver's choices replay from the seed; the interleaving with
// the daemons' own timing does not.
//
// Environment:
//   MINIK8S_CHAOS_SECONDS  length of the chaos phase (default 90, short
//                          enough for CI). For a longer run by hand, e.g.
//                          MINIK8S_CHAOS_SECONDS=600 build/bin/chaos_e2e_test
//                          (ctest's TIMEOUT would stop a long run: run the
//                          binary directly).
//   MINIK8S_CHAOS_SEED     replay a seed printed by an earlier run.
//   MINIK8S_CHAOS_NODES    nodes of the cluster (default 2).
#include <grpcpp/create_channel.h>
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/errors.h"
#include "cluster/health.h"
#include "cluster/plan.h"
#include "cluster/state_file.h"
#include "cluster/supervisor.h"
#include "common/tls.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/file_util.h"
#include "testing/subprocess.h"

namespace minik8s {
namespace {

using apps::v1::Deployment;
using apps::v1::ReplicaSet;
using core::v1::Pod;
using testing::ClusterHarness;

constexpr char kNamespace[] = "default";
constexpr int kInitialDeployments = 3;
constexpr int kMaxCreatedDeployments = 2;  // created by the driver during the chaos
constexpr int kMaxReplicas = 4;
// How long a restarted daemon may take to answer its health check, and the
// whole cluster to reach the invariants once the killing stopped.
constexpr absl::Duration kDaemonsBackTimeout = absl::Seconds(60);
constexpr absl::Duration kSettleTimeout = absl::Seconds(120);
// After the chaos, the driver's pending write must be acknowledged by then.
constexpr absl::Duration kDriverFinishTimeout = absl::Seconds(60);

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  int out = 0;
  if (v == nullptr || !absl::SimpleAtoi(v, &out)) return fallback;
  return out;
}

uint64_t ChaosSeed() {
  const char* v = std::getenv("MINIK8S_CHAOS_SEED");
  uint64_t seed = 0;
  if (v != nullptr && absl::SimpleAtoi(v, &seed)) return seed;
  return std::random_device{}();
}

int64_t ParseRv(const std::string& rv) {
  int64_t out = 0;
  return absl::SimpleAtoi(rv, &out) ? out : 0;
}

// The store's revision from etcd Maintenance.Status.
absl::StatusOr<int64_t> StoreRevision(const std::string& target,
                                      const minik8s::TlsClientFiles& tls) {
  auto credentials = minik8s::MakeChannelCredentials(tls);
  if (!credentials.ok()) return credentials.status();
  auto channel = grpc::CreateChannel(target, *credentials);
  auto stub = etcdserverpb::Maintenance::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  etcdserverpb::StatusRequest request;
  etcdserverpb::StatusResponse response;
  grpc::Status s = stub->Status(&ctx, request, &response);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  return response.header().revision();
}

bool PodReady(const Pod& p) {
  for (const auto& c : p.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

const std::string& ControllerUid(
    const google::protobuf::RepeatedPtrField<minik8s::meta::v1::OwnerReference>& refs) {
  static const std::string kNone;
  for (const auto& r : refs) {
    if (r.controller()) return r.uid();
  }
  return kNone;
}

Deployment MakeDeployment(const std::string& name, int replicas, const std::string& image) {
  Deployment d;
  d.mutable_metadata()->set_name(name);
  d.mutable_metadata()->set_namespace_(kNamespace);
  d.mutable_spec()->set_replicas(replicas);
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = name;
  auto* tmpl = d.mutable_spec()->mutable_template_();
  (*tmpl->mutable_metadata()->mutable_labels())["app"] = name;
  auto* c = tmpl->mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image(image);
  return d;
}

// What the driver was told OK for, per Deployment.
struct Acked {
  int replicas = 0;
  std::string image;
  int writes = 0;  // acknowledged writes, creation included
};

// Runs rollouts, scaling and creations through the API from its own thread,
// each write retried until acknowledged.
class Driver {
 public:
  Driver(std::string api, std::optional<minik8s::TlsClientFiles> tls, uint64_t seed)
      : api_(std::move(api)), tls_(std::move(tls)), rng_(seed) {}

  absl::Status Connect() {
    auto cs =
        client::Clientset::Connect({.server = api_, .timeout = absl::Seconds(5), .tls = tls_});
    if (!cs.ok()) return cs.status();
    cs_ = *std::move(cs);
    return absl::OkStatus();
  }

  // Creates the initial Deployments (before the chaos).
  absl::Status CreateInitial() {
    for (int i = 0; i < kInitialDeployments; ++i) {
      if (!Create(absl::StrCat("chaos-", i), 2, NextImage(), absl::Now() + absl::Seconds(30))) {
        return absl::DeadlineExceededError(absl::StrCat("creating chaos-", i, ": ", last_error_));
      }
    }
    return absl::OkStatus();
  }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  // Asks the driver to stop after the write in progress; it then has until
  // `deadline` to get that write acknowledged.
  void Finish(absl::Time deadline) {
    deadline_.store(absl::ToUnixNanos(deadline));
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

  std::map<std::string, Acked> acked() const {
    absl::MutexLock l(&mu_);
    return acked_;
  }
  int64_t max_acked_rv() const { return max_rv_.load(); }
  // A write that was never acknowledged before its deadline ("" when none).
  std::string unfinished() const {
    absl::MutexLock l(&mu_);
    return unfinished_;
  }
  int ops() const { return ops_.load(); }
  int retries() const { return retries_.load(); }

 private:
  void Run() {
    int created = 0;
    while (!stop_.load()) {
      std::vector<std::string> names;
      for (const auto& [name, a] : acked()) names.push_back(name);
      const int op = std::uniform_int_distribution<int>(0, 99)(rng_);
      const std::string name =
          names[std::uniform_int_distribution<size_t>(0, names.size() - 1)(rng_)];
      bool ok = true;
      const absl::Time far = absl::InfiniteFuture();
      if (op < 5 && created < kMaxCreatedDeployments) {
        const int replicas = std::uniform_int_distribution<int>(0, kMaxReplicas)(rng_);
        ok = Create(absl::StrCat("chaos-new-", created++), replicas, NextImage(), far);
      } else if (op < 50) {
        const int replicas = std::uniform_int_distribution<int>(0, kMaxReplicas)(rng_);
        const bool via_scale = std::uniform_int_distribution<int>(0, 1)(rng_) == 1;
        ok = via_scale ? ScaleSubresource(name, replicas) : UpdateSpec(name, replicas, "");
      } else {
        ok = UpdateSpec(name, -1, NextImage());
      }
      ++ops_;
      if (!ok) return;  // the deadline passed; unfinished_ says which write
      absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(200, 1200)(rng_)));
    }
  }

  std::string NextImage() { return absl::StrCat("nginx:1.", ++image_counter_); }

  // True while the write may still be retried.
  bool MayRetry(const std::string& what) {
    const int64_t d = deadline_.load();
    if (stop_.load() && d != 0 && absl::Now() > absl::FromUnixNanos(d)) {
      absl::MutexLock l(&mu_);
      unfinished_ = absl::StrCat(what, " (last error: ", last_error_, ")");
      return false;
    }
    return true;
  }

  void Pause(const absl::Status& s) {
    last_error_ = s.ToString();
    ++retries_;
    if (!api::IsConflict(s)) absl::SleepFor(absl::Milliseconds(200));
  }

  void Ack(const std::string& name, int replicas, const std::string& image, const std::string& rv) {
    absl::MutexLock l(&mu_);
    Acked& a = acked_[name];
    if (replicas >= 0) a.replicas = replicas;
    if (!image.empty()) a.image = image;
    ++a.writes;
    const int64_t v = ParseRv(rv);
    int64_t cur = max_rv_.load();
    while (v > cur && !max_rv_.compare_exchange_weak(cur, v)) {
    }
  }

  bool Create(const std::string& name, int replicas, const std::string& image, absl::Time until) {
    const Deployment d = MakeDeployment(name, replicas, image);
    const std::string what = absl::StrCat("create ", name);
    while (MayRetry(what)) {
      if (absl::Now() > until) return false;
      auto out = cs_->Deployments().Create(d);
      if (out.ok()) {
        Ack(name, replicas, image, out->metadata().resource_version());
        return true;
      }
      if (api::IsAlreadyExists(out.status())) {
        // Only this driver creates these names: an earlier attempt whose
        // answer was lost did create it, with these values.
        auto got = cs_->Deployments().Get(kNamespace, name);
        if (got.ok()) {
          Ack(name, replicas, image, got->metadata().resource_version());
          return true;
        }
        Pause(got.status());
        continue;
      }
      Pause(out.status());
    }
    return false;
  }

  // replicas < 0: unchanged; image "": unchanged.
  bool UpdateSpec(const std::string& name, int replicas, const std::string& image) {
    const std::string what =
        absl::StrCat("update ", name, " replicas=", replicas, " image=", image);
    while (MayRetry(what)) {
      auto d = cs_->Deployments().Get(kNamespace, name);
      if (!d.ok()) {
        Pause(d.status());
        continue;
      }
      if (replicas >= 0) d->mutable_spec()->set_replicas(replicas);
      if (!image.empty()) {
        d->mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->set_image(
            image);
      }
      auto out = cs_->Deployments().Update(*d);  // carries the resourceVersion read
      if (out.ok()) {
        Ack(name, replicas, image, out->metadata().resource_version());
        return true;
      }
      Pause(out.status());
    }
    return false;
  }

  bool ScaleSubresource(const std::string& name, int replicas) {
    const std::string what = absl::StrCat("scale ", name, " to ", replicas);
    while (MayRetry(what)) {
      auto scale = cs_->Deployments().GetScale(kNamespace, name);
      if (!scale.ok()) {
        Pause(scale.status());
        continue;
      }
      scale->mutable_spec()->set_replicas(replicas);
      auto out = cs_->Deployments().UpdateScale(kNamespace, name, *scale);
      if (out.ok()) {
        Ack(name, replicas, "", out->metadata().resource_version());
        return true;
      }
      Pause(out.status());
    }
    return false;
  }

  const std::string api_;
  const std::optional<minik8s::TlsClientFiles> tls_;
  std::mt19937_64 rng_;
  std::unique_ptr<client::Clientset> cs_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> deadline_{0};
  std::atomic<int64_t> max_rv_{0};
  std::atomic<int> ops_{0};
  std::atomic<int> retries_{0};
  int image_counter_ = 0;
  std::string last_error_;  // driver thread only
  mutable absl::Mutex mu_;
  std::map<std::string, Acked> acked_ ABSL_GUARDED_BY(mu_);
  std::string unfinished_ ABSL_GUARDED_BY(mu_);
};

// A daemon of the cluster: started by `minik8s up`, and after each kill by
// the test with the command line `up` gave it.
struct Daemon {
  std::string name;
  std::vector<std::string> argv;
  std::string binary;
  std::string log_file;
  pid_t up_pid = 0;  // the process `minik8s up` started, until the first kill
  std::unique_ptr<testing::Subprocess> restarted;
  int kills = 0;
  int unexpected_exits = 0;
  // Health targets: gRPC health (all) and etcd Status (the store).
  std::string grpc_health;
  std::string etcd;

  pid_t pid() const { return restarted != nullptr ? restarted->pid() : up_pid; }
};

class ChaosE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing =
        ClusterHarness::MissingPrerequisite(testing::BackendKind::kMinik8sStore);
    if (!missing.empty()) GTEST_SKIP() << missing;
    seed_ = ChaosSeed();
    chaos_seconds_ = std::max(1, EnvInt("MINIK8S_CHAOS_SECONDS", 90));
    nodes_ = std::clamp(EnvInt("MINIK8S_CHAOS_NODES", 2), 1, 10);
    std::cout << "chaos: seed " << seed_ << " (replay with MINIK8S_CHAOS_SEED=" << seed_ << "), "
              << chaos_seconds_ << " s of chaos on " << nodes_ << " nodes" << std::endl;
    cluster_ = std::make_unique<ClusterHarness>(ClusterHarness::Options{.nodes = nodes_});
    absl::Status s = cluster_->Start();
    ASSERT_TRUE(s.ok()) << s << "\n" << cluster_->Diagnostics();
  }

  void TearDown() override {
    if (cluster_ == nullptr) return;
    if (HasFailure()) {
      std::cout << "chaos: failed with seed " << seed_ << "\n" << Timeline() << Diagnostics();
    }
    // `minik8s up` stops the daemons it started and those restarted here (it
    // finds them by the address they serve); the Subprocesses reap them.
    absl::Status s = cluster_->Stop();
    EXPECT_TRUE(s.ok()) << s;
    daemons_.clear();
    cluster_.reset();
  }

  std::string Seed() const { return absl::StrCat("seed ", seed_); }

  void Event(const std::string& what) {
    const std::string line =
        absl::StrCat(absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::UTCTimeZone()), "  ", what);
    timeline_.push_back(line);
    std::cout << "chaos: " << line << std::endl;
  }

  std::string Timeline() const {
    return absl::StrCat("---- chaos timeline\n", absl::StrJoin(timeline_, "\n"), "\n");
  }

  std::string Diagnostics() const {
    std::string out = cluster_->Diagnostics();
    for (const auto& [name, d] : daemons_) {
      if (name == "store" || absl::StartsWith(name, "runtime")) {
        absl::StrAppend(&out, "---- ", name, " log (tail)\n", cluster::LogTail(d->log_file, 25),
                        "\n");
      }
    }
    return out;
  }

  // How the store is dialled: TLS with the apiserver's client certificate
  // from the cluster's PKI.
  minik8s::TlsClientFiles StoreTls() const {
    return cluster::StoreTlsFromPki(cluster::PkiDir(cluster_->data_dir())).ClientFiles();
  }

  // Reads the daemons `minik8s up` started: their command lines and health
  // endpoints.
  void LoadDaemons() {
    auto state = cluster::ReadStateFile(cluster::StateFilePath(cluster_->data_dir()));
    ASSERT_TRUE(state.ok()) << state.status();
    int api_port = 0;
    ASSERT_TRUE(absl::SimpleAtoi(
        std::vector<std::string>(absl::StrSplit(cluster_->api(), ':')).back(), &api_port));
    auto ports = cluster::DerivePorts(api_port - 3, nodes_);
    ASSERT_TRUE(ports.ok()) << ports.status();
    auto loopback = [](int port) { return absl::StrCat("127.0.0.1:", port); };
    for (const cluster::ProcessRecord& p : state->processes) {
      auto d = std::make_unique<Daemon>();
      d->name = p.name;
      d->binary = p.binary;
      d->log_file = p.log_file;
      d->up_pid = p.pid;
      d->argv = absl::StrSplit(testing::ReadFile(absl::StrCat("/proc/", p.pid, "/cmdline")), '\0');
      while (!d->argv.empty() && d->argv.back().empty()) d->argv.pop_back();
      ASSERT_FALSE(d->argv.empty()) << p.name;
      if (p.name == cluster::kStore) {
        d->etcd = loopback(ports->store);
        d->grpc_health = loopback(ports->store_health);
      } else if (p.name == cluster::kApiserver) {
        d->grpc_health = loopback(ports->apiserver);
      } else if (p.name == cluster::kControllerManager) {
        d->grpc_health = loopback(ports->controller_manager);
      } else if (p.name == cluster::kScheduler) {
        d->grpc_health = loopback(ports->scheduler);
      } else {
        for (int i = 1; i <= nodes_; ++i) {
          if (p.name == absl::StrCat("runtime-", cluster::NodeName(i))) {
            d->grpc_health = loopback(ports->runtime_health[i - 1]);
          }
          if (p.name == absl::StrCat("kubelet-", cluster::NodeName(i))) {
            d->grpc_health = loopback(ports->kubelet_health[i - 1]);
          }
          if (p.name == absl::StrCat("proxy-", cluster::NodeName(i))) {
            d->grpc_health = loopback(ports->proxy_health[i - 1]);
          }
        }
      }
      ASSERT_FALSE(d->grpc_health.empty()) << "no health endpoint known for " << p.name;
      names_.push_back(p.name);
      daemons_[p.name] = std::move(d);
    }
    // Store, apiserver, controller-manager, scheduler; a runtime, a kubelet
    // and a proxy per node.
    ASSERT_EQ(static_cast<int>(daemons_.size()), 4 + 3 * nodes_);
  }

  bool Alive(Daemon& d) {
    if (d.restarted != nullptr) return d.restarted->running() && !d.restarted->Exited();
    return cluster::ProcessRunning(d.up_pid, d.binary);
  }

  // SIGKILL, and wait until the process is gone (reaped by `minik8s up`, or
  // here).
  void Kill(Daemon& d) {
    ++d.kills;
    if (d.restarted != nullptr) {
      d.restarted->Stop(SIGKILL);
      return;
    }
    const pid_t pid = d.up_pid;
    kill(pid, SIGKILL);
    EXPECT_TRUE(testing::WaitFor([&] { return !cluster::ProcessRunning(pid, d.binary); },
                                 absl::Seconds(10)))
        << d.name << " (pid " << pid << ") survived SIGKILL";
  }

  // Starts the daemon again as `minik8s up` did: same argv, same log.
  void Restart(Daemon& d, const std::string& why) {
    {
      std::ofstream log(d.log_file, std::ios::app);
      log << "\n---- chaos test: " << why << "; started again with the same flags (" << Seed()
          << ")\n";
    }
    // Subprocess::Stop reaps; Exited() has reaped a process that died.
    if (d.restarted != nullptr && d.restarted->running()) d.restarted->Stop(SIGKILL);
    d.restarted = std::make_unique<testing::Subprocess>();
    absl::Status s = d.restarted->Start(d.argv, d.log_file);
    EXPECT_TRUE(s.ok()) << d.name << ": " << s;
    Event(absl::StrCat("started ", d.name, " again (pid ", d.restarted->pid(), ")"));
  }

  absl::Status Healthy(Daemon& d) {
    if (!Alive(d)) return absl::UnavailableError("not running");
    if (!d.etcd.empty()) {
      absl::Status s = cluster::CheckEtcd(d.etcd, absl::Seconds(2), StoreTls());
      if (!s.ok()) return s;
    }
    // Every health port speaks TLS only (the apiserver's API port too): the
    // check presents the admin's certificate.
    return cluster::CheckGrpcHealth(d.grpc_health, absl::Seconds(2), cluster_->admin_tls());
  }

  // A daemon that died on its own (not by our kill) is a failure: recorded
  // with its log tail, and it is started again so the chaos goes on.
  void RestartDeadOnes() {
    for (const std::string& name : names_) {
      Daemon& d = *daemons_[name];
      if (Alive(d)) continue;
      ++d.unexpected_exits;
      failures_.push_back(absl::StrCat(d.name, " exited by itself (", Seed(),
                                       "); last lines of its log:\n",
                                       cluster::LogTail(d.log_file, 30)));
      Event(absl::StrCat(d.name, " exited by itself"));
      Restart(d, "exited by itself");
    }
  }

  // The store's revision now, when it answers; also checks it against the
  // highest seen so far.
  void ObserveStoreRevision(const std::string& when) {
    auto rev = StoreRevision(daemons_[cluster::kStore]->etcd, StoreTls());
    if (!rev.ok()) return;
    if (*rev < max_store_revision_) {
      failures_.push_back(absl::StrCat("the store's revision went backwards ", when, ": ", *rev,
                                       " after ", max_store_revision_, " (", Seed(), ")"));
      Event(absl::StrCat("store revision went backwards: ", *rev, " < ", max_store_revision_));
    }
    max_store_revision_ = std::max(max_store_revision_, *rev);
  }

  // Everything wrong with the cluster now, against what the driver was
  // acknowledged; empty when every invariant holds.
  std::vector<std::string> Violations(const std::map<std::string, Acked>& acked) {
    std::vector<std::string> v;
    client::Clientset& cs = cluster_->clientset();
    auto deployments = cs.Deployments().List(kNamespace);
    auto replicasets = cs.ReplicaSets().List(kNamespace);
    auto pods = cs.Pods().List(kNamespace);
    auto nodes = cs.Nodes().List("");
    if (!deployments.ok() || !replicasets.ok() || !pods.ok() || !nodes.ok()) {
      v.push_back(absl::StrCat("cannot list: ", !deployments.ok() ? deployments.status().ToString()
                                                : !replicasets.ok()
                                                    ? replicasets.status().ToString()
                                                : !pods.ok() ? pods.status().ToString()
                                                             : nodes.status().ToString()));
      return v;
    }
    std::set<std::string> node_names;
    for (const auto& n : nodes->items) node_names.insert(n.metadata().name());
    std::map<std::string, const Deployment*> d_by_uid, d_by_name;
    for (const Deployment& d : deployments->items) {
      d_by_uid[d.metadata().uid()] = &d;
      d_by_name[d.metadata().name()] = &d;
    }
    std::map<std::string, const ReplicaSet*> rs_by_uid;
    std::map<std::string, std::vector<const ReplicaSet*>> rs_by_deployment;
    for (const ReplicaSet& rs : replicasets->items) {
      rs_by_uid[rs.metadata().uid()] = &rs;
      const std::string& owner = ControllerUid(rs.metadata().owner_references());
      auto it = d_by_uid.find(owner);
      if (it == d_by_uid.end()) {
        v.push_back(absl::StrCat("orphan ReplicaSet ", rs.metadata().name(), " (controller uid '",
                                 owner, "' is no live Deployment)"));
        continue;
      }
      rs_by_deployment[it->second->metadata().name()].push_back(&rs);
    }
    std::map<std::string, std::vector<const Pod*>> pods_by_rs;
    for (const Pod& p : pods->items) {
      const std::string& owner = ControllerUid(p.metadata().owner_references());
      if (rs_by_uid.count(owner) == 0) {
        v.push_back(absl::StrCat("orphan Pod ", p.metadata().name(), " (controller uid '", owner,
                                 "' is no live ReplicaSet)"));
      } else {
        pods_by_rs[owner].push_back(&p);
      }
      if (!p.spec().node_name().empty() && node_names.count(p.spec().node_name()) == 0) {
        v.push_back(absl::StrCat("Pod ", p.metadata().name(), " is bound to node ",
                                 p.spec().node_name(), ", which does not exist"));
      }
    }

    for (const auto& [name, want] : acked) {
      auto it = d_by_name.find(name);
      if (it == d_by_name.end()) {
        v.push_back(
            absl::StrCat("Deployment ", name, " was acknowledged as created but does not exist"));
        continue;
      }
      const Deployment& d = *it->second;
      const int replicas = d.spec().replicas();
      const std::string& image = d.spec().template_().spec().containers(0).image();
      if (replicas != want.replicas || image != want.image) {
        v.push_back(absl::StrCat("Deployment ", name, ": acknowledged replicas=", want.replicas,
                                 " image=", want.image, ", the server holds replicas=", replicas,
                                 " image=", image, " (an acknowledged write was lost)"));
      }
      const auto& st = d.status();
      if (st.observed_generation() < d.metadata().generation() || st.replicas() != replicas ||
          st.updated_replicas() != replicas || st.ready_replicas() != replicas ||
          st.available_replicas() != replicas || st.unavailable_replicas() != 0) {
        v.push_back(absl::StrCat("Deployment ", name, " status not caught up: generation ",
                                 d.metadata().generation(), " observed ", st.observed_generation(),
                                 ", replicas ", st.replicas(), " updated ", st.updated_replicas(),
                                 " ready ", st.ready_replicas(), " available ",
                                 st.available_replicas(), " unavailable ",
                                 st.unavailable_replicas(), " (spec ", replicas, ")"));
      }
      std::vector<const ReplicaSet*> newest;
      for (const ReplicaSet* rs : rs_by_deployment[name]) {
        const bool is_new = rs->spec().template_().spec().containers_size() > 0 &&
                            rs->spec().template_().spec().containers(0).image() == image;
        if (is_new) {
          newest.push_back(rs);
          continue;
        }
        if (rs->spec().replicas() != 0 || rs->status().replicas() != 0 ||
            !pods_by_rs[rs->metadata().uid()].empty()) {
          v.push_back(absl::StrCat("old ReplicaSet ", rs->metadata().name(), " of ", name,
                                   " not scaled to 0: spec ", rs->spec().replicas(), ", status ",
                                   rs->status().replicas(), ", ",
                                   pods_by_rs[rs->metadata().uid()].size(), " pods"));
        }
      }
      if (newest.size() != 1) {
        v.push_back(absl::StrCat("Deployment ", name, " has ", newest.size(),
                                 " ReplicaSets with its template (image ", image, "), not 1"));
        continue;
      }
      const ReplicaSet& rs = *newest[0];
      if (rs.spec().replicas() != replicas) {
        v.push_back(absl::StrCat("newest ReplicaSet ", rs.metadata().name(), " of ", name,
                                 " wants ", rs.spec().replicas(), ", not ", replicas));
      }
      int good = 0;
      std::vector<std::string> bad;
      for (const Pod* p : pods_by_rs[rs.metadata().uid()]) {
        if (!p->metadata().has_deletion_timestamp() && p->status().phase() == "Running" &&
            PodReady(*p)) {
          ++good;
        } else {
          bad.push_back(absl::StrCat(p->metadata().name(), " (", p->status().phase(),
                                     p->metadata().has_deletion_timestamp() ? ", terminating" : "",
                                     PodReady(*p) ? "" : ", not ready", ", node '",
                                     p->spec().node_name(), "')"));
        }
      }
      if (good != replicas || !bad.empty()) {
        v.push_back(absl::StrCat("Deployment ", name, ": ", good, " Running pods of ", replicas,
                                 " in ReplicaSet ", rs.metadata().name(),
                                 bad.empty() ? "" : "; others: ", absl::StrJoin(bad, ", ")));
      }
    }
    for (const auto& [name, d] : d_by_name) {
      if (acked.count(name) == 0) v.push_back(absl::StrCat("unexpected Deployment ", name));
    }
    return v;
  }

  uint64_t seed_ = 0;
  int chaos_seconds_ = 90;
  int nodes_ = 2;
  std::unique_ptr<ClusterHarness> cluster_;
  std::map<std::string, std::unique_ptr<Daemon>> daemons_;
  std::vector<std::string> names_;  // in start order
  std::vector<std::string> timeline_;
  std::vector<std::string> failures_;
  int64_t max_store_revision_ = 0;
};

TEST_F(ChaosE2eTest, KillingRandomDaemonsLosesNothingAndConverges) {
  ASSERT_NO_FATAL_FAILURE(LoadDaemons());
  ObserveStoreRevision("at the start");

  Driver driver(cluster_->api(), cluster_->admin_tls(), seed_ + 1);
  ASSERT_TRUE(driver.Connect().ok());
  absl::Status created = driver.CreateInitial();
  ASSERT_TRUE(created.ok()) << created;
  driver.Start();

  // The chaos: every 2-5 s one daemon, chosen at random, gets SIGKILL, stays
  // down 0-1.5 s and is started again.
  std::mt19937_64 rng(seed_);
  const absl::Time chaos_end = absl::Now() + absl::Seconds(chaos_seconds_);
  int kills = 0;
  while (absl::Now() < chaos_end) {
    const absl::Duration gap =
        absl::Milliseconds(std::uniform_int_distribution<int>(2000, 5000)(rng));
    const std::string victim =
        names_[std::uniform_int_distribution<size_t>(0, names_.size() - 1)(rng)];
    const absl::Duration down =
        absl::Milliseconds(std::uniform_int_distribution<int>(0, 1500)(rng));
    const absl::Time next = absl::Now() + gap;
    while (absl::Now() < next) {
      RestartDeadOnes();
      absl::SleepFor(absl::Milliseconds(100));
    }
    Daemon& d = *daemons_[victim];
    if (victim == cluster::kStore) ObserveStoreRevision(absl::StrCat("before kill ", kills + 1));
    Event(absl::StrCat("kill -9 ", d.name, " (pid ", d.pid(), "), down for ",
                       absl::FormatDuration(down)));
    Kill(d);
    ++kills;
    absl::SleepFor(down);
    Restart(d, absl::StrCat("killed with SIGKILL (kill ", kills, ")"));
    if (victim == cluster::kStore) {
      // The store answers again: its revision must not be behind what it
      // reported before the kill.
      testing::WaitFor([&] { return StoreRevision(d.etcd, StoreTls()).ok(); }, absl::Seconds(10));
      ObserveStoreRevision(absl::StrCat("after kill ", kills));
    }
  }
  Event(absl::StrCat("chaos over after ", kills, " kills; waiting for the driver"));

  // The killing stops. The driver gets its pending write acknowledged.
  driver.Finish(absl::Now() + kDriverFinishTimeout);
  RestartDeadOnes();
  Event(absl::StrCat("driver done: ", driver.ops(), " acknowledged operations, ", driver.retries(),
                     " failed attempts retried"));
  EXPECT_EQ(driver.unfinished(), "")
      << "a write was never acknowledged after the chaos (" << Seed() << ")";

  // Every daemon is back up.
  std::map<std::string, std::string> unhealthy;
  const bool back = testing::WaitFor(
      [&] {
        unhealthy.clear();
        for (const std::string& name : names_) {
          absl::Status s = Healthy(*daemons_[name]);
          if (!s.ok()) unhealthy[name] = s.ToString();
        }
        return unhealthy.empty();
      },
      kDaemonsBackTimeout, absl::Milliseconds(500));
  EXPECT_TRUE(back) << "daemons not healthy " << absl::FormatDuration(kDaemonsBackTimeout)
                    << " after the chaos (" << Seed()
                    << "): " << absl::StrJoin(unhealthy, "; ", absl::PairFormatter(": "));

  // The cluster settles to the invariants.
  const std::map<std::string, Acked> acked = driver.acked();
  std::vector<std::string> violations;
  const absl::Time settle_start = absl::Now();
  int first_check = -1;  // violations at the first check: how far from settled the chaos left it
  const bool settled = testing::WaitFor(
      [&] {
        violations = Violations(acked);
        if (first_check < 0) first_check = static_cast<int>(violations.size());
        return violations.empty();
      },
      kSettleTimeout, absl::Milliseconds(500));
  EXPECT_TRUE(settled) << "the cluster did not settle within "
                       << absl::FormatDuration(kSettleTimeout) << " after the chaos (" << Seed()
                       << "):\n  " << absl::StrJoin(violations, "\n  ");
  if (settled) {
    Event(absl::StrCat("settled after ", absl::FormatDuration(absl::Now() - settle_start), " (",
                       first_check, " violations at the first check)"));
  }
  int total_replicas = 0;
  for (const auto& [name, a] : acked) {
    total_replicas += a.replicas;
    Event(absl::StrCat(name, ": replicas ", a.replicas, ", image ", a.image, ", ", a.writes,
                       " acknowledged writes"));
  }

  // The store's revision: never behind what an acknowledged write returned.
  ObserveStoreRevision("at the end");
  EXPECT_GE(max_store_revision_, driver.max_acked_rv())
      << "the store's revision is behind an acknowledged write's resourceVersion (" << Seed()
      << ")";
  EXPECT_EQ(StoreRevision(daemons_[cluster::kStore]->etcd, StoreTls()).status(), absl::OkStatus());

  EXPECT_TRUE(failures_.empty()) << absl::StrJoin(failures_, "\n");
  EXPECT_GT(kills, 0);
  std::cout << "chaos: " << kills << " kills, " << driver.ops() << " operations, " << total_replicas
            << " replicas at the end, " << Seed() << std::endl;
}

}  // namespace
}  // namespace minik8s
