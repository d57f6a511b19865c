// A whole minik8s cluster for end-to-end tests, started as a user starts it:
// `minik8s up` on a free port range and a temp data dir, over minik8s-store
// or over a real etcd (started here from PATH, on free loopback ports, with
// its own data dir that survives a cluster restart). Tests drive it with the
// mkctl binary (Mkctl), the real kubectl (Kubectl, through the kubeconfig
// `minik8s up --kubeconfig` writes in the temp dir) and, where a stream of
// changes must be observed, the client library (clientset()).
//
// Not thread-safe: one test thread drives a harness; clientset() may be
// used from helper threads the test joins before the harness is destroyed.
#ifndef MINIK8S_TESTING_CLUSTER_HARNESS_H_
#define MINIK8S_TESTING_CLUSTER_HARNESS_H_

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/clientset.h"
#include "common/tls.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace minik8s::testing {

// A `minik8s up --port-base` for `nodes` nodes whose whole port range
// (store .. last kubelet) is free now; 0 when none was found.
int PickClusterPortBase(int nodes);

class ClusterHarness {
 public:
  // Why the cluster cannot run here ("" when it can): a binary that is not
  // built, or no etcd on PATH for BackendKind::kEtcd.
  static std::string MissingPrerequisite(BackendKind backend);

  struct Options {
    BackendKind backend = BackendKind::kMinik8sStore;
    int nodes = 2;
    // Extra `minik8s up` flags, e.g. "--controller-manager-arg=--node-monitor-grace-period=4s".
    std::vector<std::string> up_flags;
    // `minik8s up --apiserver-tls` (true, as `up` defaults): the harness's
    // client, mkctl and kubectl use the admin certificate `up` made; false
    // runs the apiserver in plaintext.
    bool apiserver_tls = true;
  };

  explicit ClusterHarness(Options options);
  ~ClusterHarness();  // stops the cluster and etcd
  ClusterHarness(const ClusterHarness&) = delete;
  ClusterHarness& operator=(const ClusterHarness&) = delete;

  // Starts etcd (first time, for kEtcd) and `minik8s up`, waits for its
  // ready line and for every node to be Ready. The first start picks the
  // port base, and picks another when `up` finds one of its ports taken.
  absl::Status Start();
  // SIGTERM to `minik8s up`; error unless it exits 0 having stopped every
  // daemon. With kEtcd, `stop_etcd` also stops etcd (Start restarts it on
  // the same data dir).
  absl::Status Stop(bool stop_etcd = false);
  bool running() { return up_.running() && !up_.Exited(); }

  // The argv that runs mkctl against the cluster (the kubeconfig `up` wrote,
  // or --server in plaintext), then `args`.
  std::vector<std::string> MkctlCommand(std::vector<std::string> args) const;
  // Runs MkctlCommand(args): exit code, stdout+stderr in *out.
  int Mkctl(std::vector<std::string> args, std::string* out,
            const std::string& stdin_data = "") const;

  // The kubeconfig `minik8s up` wrote for this cluster (in the temp dir, so
  // the user's ~/.minik8s/kubeconfig is never touched).
  std::string kubeconfig() const { return dir_.Join("kubeconfig"); }
  // The argv that runs /usr/bin/kubectl against the cluster: its kubeconfig,
  // and a discovery cache in the temp dir (removed with it), then `args`.
  std::vector<std::string> KubectlCommand(std::vector<std::string> args) const;
  // Runs KubectlCommand(args) to completion (or `timeout`, then killed:
  // -1): exit code, stdout+stderr in *out.
  int Kubectl(std::vector<std::string> args, std::string* out, const std::string& stdin_data = "",
              absl::Duration timeout = absl::Seconds(120)) const;

  // Path of a file in the harness' temp dir, written with `text`.
  std::string WriteFile(const std::string& name, const std::string& text) const;

  // The pid `minik8s up` recorded for a daemon ("kubelet-node-1"), 0 if none.
  pid_t DaemonPid(const std::string& name) const;

  // What `minik8s up` has printed so far.
  std::string UpOutput() const;

  // What to print when a test fails: `up`'s output and the daemons' log tails.
  std::string Diagnostics() const;

  const std::string& api() const { return api_; }
  // The CA and the admin's certificate when the apiserver serves TLS.
  std::optional<TlsClientFiles> admin_tls() const;
  const std::string& data_dir() const { return data_dir_; }
  // The cluster's --port-base (0 before the first Start).
  int port_base() const { return port_base_; }
  client::Clientset& clientset() { return *cs_; }

 private:
  // Start() at port_base_.
  absl::Status StartAtPortBase();
  Options options_;
  TempDir dir_;
  std::string data_dir_;
  int port_base_ = 0;
  std::string api_;
  std::unique_ptr<StoreBackend> etcd_;
  bool etcd_started_ = false;
  Subprocess up_;
  std::unique_ptr<client::Clientset> cs_;
};

// Rows of a `get` table (header excluded), split on runs of spaces.
std::vector<std::vector<std::string>> TableRows(const std::string& table);

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_CLUSTER_HARNESS_H_
