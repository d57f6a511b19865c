// ControlPlane: a real store (minik8s-store, or a real etcd) and a real
// minik8s-apiserver on free loopback ports in a TempDir, for end-to-end tests
// and benchmarks. Also starts minik8s-scheduler and
// minik8s-controller-manager processes on request, and stops / restarts any
// daemon (the store keeps its data dir and port, the apiserver its port, so
// clients reconnect to the same addresses). Every process is stopped and
// reaped by the destructor.
//
// With Options::pki the apiserver is secured as `minik8s up` secures it: a
// cluster PKI, TLS with client certificates, the admin's clientset, a
// controller-manager with its own certificate, and kubeconfigs and client
// certificates for the real kubectl (the security end-to-end tests).
//
// Not thread-safe: one owner drives it; clientset() may be used from helper
// threads the owner joins before the ControlPlane is destroyed.
#ifndef MINIK8S_TESTING_CONTROL_PLANE_H_
#define MINIK8S_TESTING_CONTROL_PLANE_H_

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/clientset.h"
#include "common/tls.h"
#include "pki/cluster_pki.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace minik8s::testing {

class ControlPlane {
 public:
  struct Options {
    BackendKind backend = BackendKind::kMinik8sStore;
    // Appended to minik8s-apiserver's command line, e.g. {"--watch-cache-size=50"}.
    std::vector<std::string> apiserver_flags;
    // The clientset's bearer token (for an apiserver given --token-auth-file).
    std::string bearer_token;
    // The clientset's TLS files (for an apiserver given --tls-cert-file).
    std::optional<TlsClientFiles> tls;
    // TLS as `minik8s up` sets it: Start() makes a cluster PKI under
    // dir()/pki (pki::EnsureClusterPki with these options, e.g. `nodes` for
    // kubelet certificates); the apiserver serves TLS with its certificate
    // and takes client certificates of its CA (--tls-cert-file,
    // --tls-private-key-file, --client-ca-file, before apiserver_flags); the
    // clientset is the admin (CN=kubernetes-admin, O=system:masters), so
    // `tls` and `bearer_token` are not used; controller-managers connect as
    // system:kube-controller-manager with its certificate.
    std::optional<pki::ClusterPkiOptions> pki;
    // With `pki`: the apiserver also signs ServiceAccount tokens with the
    // PKI's sa.key and verifies them with sa.pub
    // (--service-account-signing-key-file, --service-account-key-file).
    bool service_account_keys = false;
  };

  // The binaries among `names` missing from the build tree (empty: all
  // there). Without arguments: store, apiserver and scheduler.
  static std::vector<std::string> MissingBinaries(const std::vector<std::string>& names = {
                                                      "minik8s-store", "minik8s-apiserver",
                                                      "minik8s-scheduler"});
  // Why a control plane over `backend` with the daemons `names` cannot run
  // here ("" when it can): a binary that is not built, or no etcd on PATH.
  static std::string MissingPrerequisite(BackendKind backend,
                                         const std::vector<std::string>& names = {
                                             "minik8s-apiserver"});

  ControlPlane() : ControlPlane(Options{}) {}
  explicit ControlPlane(Options options);
  ~ControlPlane();

  // Starts store and apiserver and waits until the apiserver answers.
  absl::Status Start();

  // Stops the store (`sig`: SIGTERM for a clean stop, SIGKILL for a crash)
  // and starts it again on the same port and data dir; waits until it
  // serves.
  absl::Status RestartStore(int sig);
  // The same for the apiserver; waits until it answers requests.
  absl::Status RestartApiserver(int sig);
  // Sends `sig` to the apiserver and reaps it; returns its wait status
  // (nullopt when it was not running).
  std::optional<int> StopApiserver(int sig = SIGTERM);
  // Starts the stopped apiserver again on the same port; waits until it
  // answers requests.
  absl::Status StartApiserver();

  // Starts a scheduler with extra flags; its log is scheduler-<n>.log, and
  // it is scheduler number n (0, 1, ...) for the calls below.
  absl::Status StartScheduler(const std::vector<std::string>& extra_flags = {});
  // SIGTERM to the most recent scheduler; returns its exit status.
  std::optional<int> StopScheduler();
  // Sends `sig` to scheduler `n` and reaps it; returns its exit status.
  std::optional<int> StopScheduler(size_t n, int sig);

  // Starts a controller-manager with extra flags; its log is
  // controller-manager-<n>.log, and it is number n for the calls below.
  // With Options::pki it connects through dir()/controller-manager.conf
  // (the kube-controller-manager certificate).
  absl::Status StartControllerManager(const std::vector<std::string>& extra_flags = {});
  std::optional<int> StopControllerManager(size_t n, int sig);

  // Process ids (-1 when not running), e.g. to read /proc/<pid>/status.
  pid_t store_pid() const { return store_.pid(); }
  pid_t apiserver_pid() const { return apiserver_.pid(); }
  pid_t scheduler_pid(size_t n) const;
  pid_t controller_manager_pid(size_t n) const;

  client::Clientset* clientset() { return clientset_.get(); }
  // "127.0.0.1:<port>": gRPC and the HTTP API share the port.
  const std::string& apiserver_address() const { return apiserver_address_; }
  int apiserver_port() const { return apiserver_port_; }
  // With Options::pki: the apiserver's own gRPC port (--grpc-port), which
  // the kubeconfigs below name (client::kGrpcExtension); clientset() goes
  // through apiserver_port(), whose TLS relays gRPC.
  int apiserver_grpc_port() const { return apiserver_grpc_port_; }
  StoreBackend& store() { return store_; }
  const TempDir& dir() const { return dir_; }
  // The flags the real kubectl needs so that its discovery cache is this
  // control plane's own: "--cache-dir <dir>/kube-cache". Without them kubectl
  // reads ~/.kube/cache/discovery/127.0.0.1_<port>, which an earlier
  // apiserver on the same (reused) port may have filled, so it skips
  // discovery and answers from another server's resource list.
  std::vector<std::string> KubectlCacheFlags() const {
    return {"--cache-dir", dir_.Join("kube-cache")};
  }
  // With Options::pki, after Start(): the PKI's files.
  const pki::ClusterPkiPaths& pki() const { return pki_; }
  // With Options::pki, after Start(): the kubeconfigs Start() wrote for the
  // real kubectl and mkctl, dir()/admin.conf (CN=kubernetes-admin,
  // O=system:masters) and dir()/scheduler.conf (CN=system:kube-scheduler).
  std::string admin_kubeconfig() const { return dir_.Join("admin.conf"); }
  std::string scheduler_kubeconfig() const { return dir_.Join("scheduler.conf"); }
  // With Options::pki, after Start(): writes dir()/<name>, a kubeconfig
  // naming the apiserver (https://127.0.0.1:<port>, the PKI's CA) whose user
  // is the client certificate `user`, or the bearer token `token`; returns
  // its path.
  absl::StatusOr<std::string> WriteKubeconfig(const std::string& name,
                                              const pki::CertKeyPaths& user) const;
  absl::StatusOr<std::string> WriteTokenKubeconfig(const std::string& name,
                                                   const std::string& token) const;
  // With Options::pki, after Start(): a new client certificate of the PKI's
  // CA for CN=`name`, O=`groups`, in dir()/<name>.crt and .key (a user the
  // apiserver authenticates and RBAC grants nothing yet).
  absl::StatusOr<pki::CertKeyPaths> IssueClientCertificate(const std::string& name,
                                                           std::vector<std::string> groups) const;
  // Runs the real kubectl (from PATH) with `--kubeconfig kubeconfig`,
  // KubectlCacheFlags() and `args`, for at most 30 s: its exit code (-1
  // when it is not installed or did not finish), its stdout and stderr in
  // *out.
  int Kubectl(const std::string& kubeconfig, const std::vector<std::string>& args,
              std::string* out) const;
  // The same with the build's mkctl (which has no discovery cache to keep
  // apart, so no cache flags).
  int Mkctl(const std::string& kubeconfig, const std::vector<std::string>& args,
            std::string* out) const;

  // The tail of a process log (for failure messages): "store.log",
  // "apiserver.log", "scheduler-<n>.log", "controller-manager-<n>.log".
  std::string LogTail(const std::string& name, size_t bytes = 4000) const;

 private:
  // Writes dir()/<name>, the kubeconfig whose user has `user_fields` (YAML
  // lines under `user:`); returns its path.
  absl::StatusOr<std::string> WriteKubeconfigText(const std::string& name,
                                                  const std::string& user_fields) const;

  Options options_;
  TempDir dir_;
  StoreBackend store_;
  Subprocess apiserver_;
  int apiserver_port_ = 0;
  int apiserver_grpc_port_ = 0;
  std::vector<std::unique_ptr<Subprocess>> schedulers_;
  std::vector<std::unique_ptr<Subprocess>> controller_managers_;
  std::string apiserver_address_;
  pki::ClusterPkiPaths pki_;  // with Options::pki
  std::unique_ptr<client::Clientset> clientset_;
};

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_CONTROL_PLANE_H_
