// End-to-end: `minik8s up` starts a real 2-node cluster (store, apiserver,
// controller-manager, scheduler, 2 runtimes, 2 kubelets) on a free port range
// and a temp data dir; a Deployment converges; SIGTERM stops every daemon;
// a second `up` on the same data dir finds the Deployment again. Plus the
// start-up errors a user meets: a busy port, a second `up`, a daemon that
// dies at start. Skips when a daemon is not built.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/clientset.h"
#include "cluster/listener.h"
#include "cluster/plan.h"
#include "cluster/state_file.h"
#include "cluster/supervisor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/file_util.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace minik8s::cluster {
namespace {

using ::minik8s::testing::BinPath;
using ::minik8s::testing::PickClusterPortBase;
using ::minik8s::testing::ReadFile;
using ::minik8s::testing::RunCommand;
using ::minik8s::testing::Subprocess;
using ::minik8s::testing::TempDir;
using ::minik8s::testing::WaitFor;
using ::testing::HasSubstr;

constexpr int kNodes = 2;
constexpr char kReadyLine[] = "minik8s: cluster is ready";

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Listens on 127.0.0.1:port until destroyed.
class PortHolder {
 public:
  explicit PortHolder(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    // As the daemons bind: a port another test's connection left in
    // TIME_WAIT is free to listen on.
    const int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && listen(fd_, 1) == 0;
    if (!ok_) error_ = strerror(errno);
  }
  ~PortHolder() { close(fd_); }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::string error_;
};

apps::v1::Deployment NginxDeployment() {
  apps::v1::Deployment d;
  d.mutable_metadata()->set_name("nginx-deployment");
  d.mutable_metadata()->set_namespace_("default");
  (*d.mutable_metadata()->mutable_labels())["app"] = "nginx";
  d.mutable_spec()->set_replicas(3);
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "nginx";
  auto* tmpl = d.mutable_spec()->mutable_template_();
  (*tmpl->mutable_metadata()->mutable_labels())["app"] = "nginx";
  auto* c = tmpl->mutable_spec()->add_containers();
  c->set_name("nginx");
  c->set_image("nginx:1.14.2");
  c->add_ports()->set_container_port(80);
  return d;
}

class ClusterE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* bin :
         {"minik8s", "minik8s-store", "minik8s-apiserver", "minik8s-controller-manager",
          "minik8s-scheduler", "minik8s-runtime", "minik8s-kubelet"}) {
      if (!Exists(BinPath(bin))) {
        GTEST_SKIP() << bin << " is not built in " << BinPath("")
                     << "; build the daemons to run the cluster e2e tests";
      }
    }
    base_ = PickClusterPortBase(kNodes);
    ASSERT_NE(base_, 0) << "no free port range found";
    api_ = absl::StrCat("127.0.0.1:", base_ + 3);
    data_dir_ = dir_.Join("data");
  }

  void TearDown() override {
    if (up_.running()) up_.Stop(SIGTERM, absl::Seconds(60));
    if (HasFailure()) {
      std::cerr << "---- minik8s up output\n" << ReadFile(UpLog()) << "\n";
      for (const char* name : {"apiserver", "controller-manager", "scheduler", "kubelet-node-1"}) {
        std::cerr << "---- " << name << " log (tail)\n"
                  << LogTail(absl::StrCat(data_dir_, "/logs/", name, ".log"), 30) << "\n";
      }
    }
  }

  std::string UpLog() const { return dir_.Join("up.log"); }

  std::vector<std::string> UpCommand() const {
    return {BinPath("minik8s"), "up",
            "--nodes",          std::to_string(kNodes),
            "--port-base",      std::to_string(base_),
            "--data-dir",       data_dir_,
            "--mkctl-config",   dir_.Join("mkctl-config")};
  }

  // Starts `minik8s up` and waits for its ready line.
  void StartCluster() {
    std::remove(UpLog().c_str());
    ASSERT_TRUE(up_.Start(UpCommand(), UpLog()).ok());
    ASSERT_TRUE(
        WaitFor([&] { return absl::StrContains(ReadFile(UpLog()), kReadyLine) || up_.Exited(); },
                absl::Seconds(120)));
    ASSERT_TRUE(up_.running()) << "minik8s up exited:\n" << ReadFile(UpLog());
    ASSERT_THAT(ReadFile(UpLog()), HasSubstr(kReadyLine));
    auto cs = client::Clientset::Connect(
        {.server = api_, .timeout = absl::Seconds(5), .tls = AdminTls()});
    ASSERT_TRUE(cs.ok()) << cs.status();
    cs_ = *std::move(cs);
  }

  // The apiserver serves TLS (`up`'s default): the CA and the admin's
  // certificate from the cluster's PKI.
  TlsClientFiles AdminTls() const { return AdminTlsFromPki(PkiDir(data_dir_)); }

  // mkctl with kubectl's flags for the admin, then `args`.
  std::vector<std::string> Mkctl(std::vector<std::string> args) const {
    const TlsClientFiles tls = AdminTls();
    args.insert(args.begin(),
                {BinPath("mkctl"), "--server", "https://" + api_, "--certificate-authority",
                 tls.ca_file, "--client-certificate", tls.cert_file, "--client-key", tls.key_file});
    return args;
  }

  // Every node Ready.
  void ExpectNodesReady() {
    auto nodes = cs_->Nodes().List("");
    ASSERT_TRUE(nodes.ok()) << nodes.status();
    int ready = 0;
    for (const auto& n : nodes->items) {
      for (const auto& c : n.status().conditions()) {
        if (c.type() == "Ready" && c.status() == "True") ++ready;
      }
    }
    EXPECT_EQ(ready, kNodes);
  }

  int RunningNginxPods() {
    auto pods = cs_->Pods().List("default", {.label_selector = "app=nginx"});
    if (!pods.ok()) return -1;
    int running = 0;
    for (const auto& p : pods->items) {
      if (p.status().phase() == "Running" && !p.metadata().has_deletion_timestamp()) ++running;
    }
    return running;
  }

  bool DeploymentAvailable() {
    auto d = cs_->Deployments().Get("default", "nginx-deployment");
    return d.ok() && d->status().ready_replicas() == 3 && d->status().available_replicas() == 3 &&
           RunningNginxPods() == 3;
  }

  std::vector<ProcessRecord> Daemons() {
    auto state = ReadStateFile(StateFilePath(data_dir_));
    EXPECT_TRUE(state.ok()) << state.status();
    if (!state.ok()) return {};
    EXPECT_EQ(state->supervisor_pid, up_.pid());
    EXPECT_EQ(state->apiserver, api_);
    return state->processes;
  }

  TempDir dir_;
  int base_ = 0;
  std::string api_;
  std::string data_dir_;
  Subprocess up_;
  std::unique_ptr<client::Clientset> cs_;
};

TEST_F(ClusterE2eTest, UpRunsADeploymentAndKeepsItAcrossRestarts) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  EXPECT_THAT(ReadFile(dir_.Join("mkctl-config")), HasSubstr("server: https://" + api_));
  const std::string out = ReadFile(UpLog());
  for (const char* name :
       {"store", "apiserver", "controller-manager", "scheduler", "runtime-node-1", "runtime-node-2",
        "kubelet-node-1", "kubelet-node-2", "proxy-node-1", "proxy-node-2"}) {
    EXPECT_THAT(out, HasSubstr(name));
    EXPECT_TRUE(Exists(absl::StrCat(data_dir_, "/logs/", name, ".log"))) << name;
  }
  ExpectNodesReady();
  std::vector<ProcessRecord> daemons = Daemons();
  EXPECT_EQ(daemons.size(), 10u);

  // status: everything runs.
  std::string status;
  EXPECT_EQ(RunCommand({BinPath("minik8s"), "status", "--data-dir", data_dir_}, &status), 0)
      << status;
  EXPECT_THAT(status, HasSubstr("kubelet-node-2"));

  // A second `up` on the same data dir is refused.
  std::string second;
  const int base2 = PickClusterPortBase(kNodes);
  EXPECT_NE(RunCommand({BinPath("minik8s"), "up", "--port-base", std::to_string(base2),
                        "--data-dir", data_dir_, "--mkctl-config", ""},
                       &second, absl::Seconds(30)),
            0);
  EXPECT_THAT(second, HasSubstr("already running from " + data_dir_)) << second;

  // The Deployment, through mkctl when it is built, else through the client.
  const std::string mkctl = BinPath("mkctl");
  const bool have_mkctl = Exists(mkctl);
  if (have_mkctl) {
    std::string applied;
    ASSERT_EQ(
        RunCommand(Mkctl({"apply", "-f",
                          std::string(MINIK8S_SOURCE_DIR) + "/examples/nginx-deployment.yaml"}),
                   &applied),
        0)
        << applied;
    EXPECT_THAT(applied, HasSubstr("deployment.apps/nginx-deployment created"));
  } else {
    auto created = cs_->Deployments().Create(NginxDeployment());
    ASSERT_TRUE(created.ok()) << created.status();
  }
  ASSERT_TRUE(WaitFor([&] { return DeploymentAvailable(); }, absl::Seconds(60)))
      << "running nginx pods: " << RunningNginxPods();
  if (have_mkctl) {
    std::string pods;
    ASSERT_EQ(RunCommand(Mkctl({"get", "pods"}), &pods), 0) << pods;
    int running = 0;
    for (absl::string_view line : absl::StrSplit(pods, '\n')) {
      if (absl::StrContains(line, "nginx-deployment-") && absl::StrContains(line, "Running")) {
        ++running;
      }
    }
    EXPECT_EQ(running, 3) << pods;
  }

  // SIGTERM stops every daemon and `up` exits 0.
  std::optional<int> exit_status = up_.Stop(SIGTERM, absl::Seconds(90));
  ASSERT_TRUE(exit_status.has_value());
  EXPECT_TRUE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) == 0)
      << DescribeWaitStatus(*exit_status);
  for (const ProcessRecord& p : daemons) {
    EXPECT_FALSE(ProcessRunning(p.pid, p.binary)) << p.name << " still runs";
  }
  EXPECT_FALSE(Exists(StateFilePath(data_dir_)));
  EXPECT_THAT(ReadFile(UpLog()), HasSubstr("cluster stopped"));
  EXPECT_NE(RunCommand({BinPath("minik8s"), "status", "--data-dir", data_dir_}, &status), 0);

  // Same data dir again: the Deployment is still there and converges.
  cs_.reset();
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  auto d = cs_->Deployments().Get("default", "nginx-deployment");
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_TRUE(WaitFor([&] { return DeploymentAvailable(); }, absl::Seconds(90)))
      << "running nginx pods: " << RunningNginxPods();
  ExpectNodesReady();

  // `minik8s down` from "another shell" stops it.
  daemons = Daemons();
  std::string down;
  EXPECT_EQ(
      RunCommand({BinPath("minik8s"), "down", "--data-dir", data_dir_}, &down, absl::Seconds(120)),
      0)
      << down;
  EXPECT_TRUE(WaitFor([&] { return up_.Exited(); }, absl::Seconds(10)));
  for (const ProcessRecord& p : daemons) {
    EXPECT_FALSE(ProcessRunning(p.pid, p.binary)) << p.name << " still runs";
  }
}

// A daemon that died and was restarted by hand (same command line: it serves
// the recorded address under a new pid) still belongs to the cluster:
// `status` shows it and `down` stops it.
TEST_F(ClusterE2eTest, DownStopsADaemonRestartedByHand) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  ProcessRecord scheduler;
  for (const ProcessRecord& p : Daemons()) {
    if (p.name == "scheduler") scheduler = p;
  }
  ASSERT_GT(scheduler.pid, 0);
  std::vector<std::string> argv =
      absl::StrSplit(ReadFile(absl::StrCat("/proc/", scheduler.pid, "/cmdline")), '\0');
  while (!argv.empty() && argv.back().empty()) argv.pop_back();
  ASSERT_FALSE(argv.empty());
  ASSERT_EQ(kill(scheduler.pid, SIGKILL), 0);
  ASSERT_TRUE(
      WaitFor([&] { return !ProcessRunning(scheduler.pid, scheduler.binary); }, absl::Seconds(10)));

  Subprocess by_hand;
  ASSERT_TRUE(by_hand.Start(argv, dir_.Join("scheduler-by-hand.log")).ok());
  const pid_t hand_pid = by_hand.pid();
  ASSERT_TRUE(
      WaitFor([&] { return FindDaemonServing(scheduler.address, scheduler.binary) == hand_pid; },
              absl::Seconds(30)))
      << ReadFile(dir_.Join("scheduler-by-hand.log"));
  std::string status;
  EXPECT_EQ(RunCommand({BinPath("minik8s"), "status", "--data-dir", data_dir_}, &status), 0)
      << status;
  EXPECT_THAT(status, HasSubstr(absl::StrCat(hand_pid)));
  EXPECT_THAT(status, HasSubstr("running (started by hand)"));

  std::string down;
  EXPECT_EQ(
      RunCommand({BinPath("minik8s"), "down", "--data-dir", data_dir_}, &down, absl::Seconds(120)),
      0)
      << down;
  EXPECT_TRUE(WaitFor([&] { return by_hand.Exited(); }, absl::Seconds(10)))
      << "the scheduler started by hand still runs";
  EXPECT_TRUE(WaitFor([&] { return up_.Exited(); }, absl::Seconds(10)));
  EXPECT_THAT(ReadFile(UpLog()), HasSubstr(absl::StrCat("stopping scheduler (pid ", hand_pid,
                                                        ", started outside minik8s up)")));
}

TEST_F(ClusterE2eTest, BusyPortIsAClearError) {
  PortHolder holder(base_ + 3);
  ASSERT_TRUE(holder.ok()) << "port " << base_ + 3 << ": " << holder.error();
  std::string out;
  const int code =
      RunCommand({BinPath("minik8s"), "up", "--nodes", "1", "--port-base", std::to_string(base_),
                  "--data-dir", data_dir_, "--mkctl-config", ""},
                 &out, absl::Seconds(30));
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, HasSubstr(absl::StrCat("port ", base_ + 3,
                                          " is already in use (apiserver); choose another "
                                          "--port-base")));
  EXPECT_FALSE(Exists(StateFilePath(data_dir_)));
}

TEST_F(ClusterE2eTest, DaemonDyingAtStartStopsTheOthers) {
  std::string out;
  const int code = RunCommand(
      {BinPath("minik8s"), "up", "--nodes", "1", "--port-base", std::to_string(base_), "--data-dir",
       data_dir_, "--mkctl-config", "", "--apiserver-arg=--event-ttl=bogus"},
      &out, absl::Seconds(60));
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("apiserver (pid "));
  EXPECT_THAT(out, HasSubstr("exited with status"));
  EXPECT_THAT(out, HasSubstr("--event-ttl"));  // the tail of its log
  EXPECT_FALSE(Exists(StateFilePath(data_dir_)));
  // The store it had started is gone: its port is free again.
  EXPECT_TRUE(WaitFor([&] { return !LoopbackPortInUse(base_); }, absl::Seconds(10)));
}

TEST_F(ClusterE2eTest, MissingBinaryIsAClearError) {
  std::string out;
  const int code =
      RunCommand({BinPath("minik8s"), "up", "--port-base", std::to_string(base_), "--data-dir",
                  data_dir_, "--mkctl-config", "", "--bin-dir", dir_.Join("empty")},
                 &out, absl::Seconds(30));
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, HasSubstr("cannot find " + dir_.Join("empty") + "/minik8s-store (store)"));
}

}  // namespace
}  // namespace minik8s::cluster
