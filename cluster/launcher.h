// The three commands of the `minik8s` tool: up (start a local cluster and
// supervise it in the foreground), down (stop the cluster of a data dir from
// another shell) and status (which of its daemons are alive).
//
// Each returns the process exit code and writes what a user reads to stdout
// (progress, tables) and stderr (errors).
#ifndef MINIK8S_CLUSTER_LAUNCHER_H_
#define MINIK8S_CLUSTER_LAUNCHER_H_

#include <string>

#include "absl/time/time.h"
#include "cluster/plan.h"

namespace minik8s::cluster {

struct UpOptions {
  ClusterOptions cluster;
  // Where the mkctl config (`server: HOST:PORT`) is written; "" = don't.
  std::string mkctl_config;
  // Where the kubeconfig for kubectl is written (kubeconfig.h); "" = don't.
  std::string kubeconfig;
  // The started minik8s-store serves TLS with client certificates from the
  // cluster PKI; false: plaintext (for comparisons, and a plain etcdctl).
  bool store_tls = true;
  // The apiserver serves TLS and authenticates client certificates; each
  // component gets its own certificate and kubeconfig, and the kubeconfig
  // and mkctl config `up` writes carry the CA and the admin's certificate.
  // false: plaintext, for comparisons.
  bool apiserver_tls = true;
  absl::Duration start_timeout = absl::Seconds(60);  // per stage
  absl::Duration stop_timeout = absl::Seconds(10);   // per stage, then SIGKILL
  // The apiserver the state file names (`minik8s status`); "" = this
  // cluster's own (a joined node's is another machine's).
  std::string apiserver;
};

// Call BlockShutdownSignals() first (before any thread starts): up waits for
// SIGINT/SIGTERM with sigtimedwait.
int Up(const UpOptions& options);

// How long a daemon took to become healthy, as `up` prints it: `37ms` below
// a tenth of a second, else seconds with one decimal (`0.4s`, `1.0s`,
// `12.3s`).
std::string FormatStartupTime(absl::Duration d);
// Runs `specs` as `up` runs a cluster (stage by stage, each healthy before
// the next, then supervised in the foreground until SIGINT or SIGTERM, with
// the state file that `down` and `status` read), printing `ready_text` once
// all are healthy. `minik8s join` runs a node's components with it.
int Supervise(const UpOptions& options, std::vector<ComponentSpec> specs,
              const std::string& ready_text);
int Down(const std::string& data_dir, absl::Duration timeout);
// Rows as `status` prints them: columns padded to their widest cell, three
// spaces apart.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);
int Status(const std::string& data_dir);

}  // namespace minik8s::cluster

#endif  // MINIK8S_CLUSTER_LAUNCHER_H_
