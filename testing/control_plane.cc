#include "testing/control_plane.h"

#include <signal.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/kubeconfig.h"
#include "common/net.h"
#include "testing/client_certificate.h"
#include "testing/file_util.h"
#include "testing/wait.h"

namespace minik8s::testing {

std::vector<std::string> ControlPlane::MissingBinaries(const std::vector<std::string>& names) {
  std::vector<std::string> missing;
  for (const std::string& name : names) {
    if (access(BinPath(name).c_str(), X_OK) != 0) missing.push_back(name);
  }
  return missing;
}

std::string ControlPlane::MissingPrerequisite(BackendKind backend,
                                              const std::vector<std::string>& names) {
  std::vector<std::string> wanted = names;
  if (backend == BackendKind::kMinik8sStore) {
    wanted.push_back("minik8s-store");
  } else if (FindOnPath("etcd").empty()) {
    return "etcd is not installed (not on PATH)";
  }
  std::vector<std::string> missing = MissingBinaries(wanted);
  if (missing.empty()) return "";
  return absl::StrCat("not built in ", BinPath(""), ": ", absl::StrJoin(missing, ", "));
}

ControlPlane::ControlPlane(Options options)
    : options_(std::move(options)), store_(StoreBackend::Options{.kind = options_.backend}) {}

ControlPlane::~ControlPlane() {
  for (auto& c : controller_managers_) c->Stop(SIGTERM, absl::Seconds(10));
  for (auto& s : schedulers_) s->Stop(SIGTERM, absl::Seconds(10));
  apiserver_.Stop(SIGTERM, absl::Seconds(10));
  if (store_.running()) (void)store_.Stop(absl::Seconds(10));
}

absl::Status ControlPlane::StartApiserver() {
  std::vector<std::string> argv = {BinPath("minik8s-apiserver"),
                                   "--etcd-servers",
                                   store_.endpoint(),
                                   "--bind-address",
                                   "127.0.0.1",
                                   "--port",
                                   absl::StrCat(apiserver_port_)};
  if (options_.pki.has_value()) {
    argv.insert(argv.end(), {"--grpc-port", absl::StrCat(apiserver_grpc_port_),
                             "--tls-cert-file=" + pki_.apiserver.cert,
                             "--tls-private-key-file=" + pki_.apiserver.key,
                             "--client-ca-file=" + pki_.ca.cert});
    if (options_.service_account_keys) {
      argv.insert(argv.end(), {"--service-account-key-file=" + pki_.service_account_public_key,
                               "--service-account-signing-key-file=" + pki_.service_account_key});
    }
  }
  argv.insert(argv.end(), options_.apiserver_flags.begin(), options_.apiserver_flags.end());
  if (absl::Status s = apiserver_.Start(argv, dir_.Join("apiserver.log")); !s.ok()) return s;
  // Ready once the default namespace can be read (the apiserver creates it).
  bool exited = false;
  bool ready = WaitFor(
      [&] {
        if (apiserver_.Exited()) {
          exited = true;
          return true;
        }
        return clientset_->Namespaces().Get("", "default").ok();
      },
      absl::Seconds(30));
  if (exited || !ready) {
    return absl::DeadlineExceededError(absl::StrCat(
        "minik8s-apiserver ", exited ? "exited during startup" : "did not become ready", ":\n",
        LogTail("apiserver.log")));
  }
  return absl::OkStatus();
}

absl::Status ControlPlane::Start() {
  if (absl::Status s = store_.Start(); !s.ok()) return s;
  absl::StatusOr<int> api_port;
  do {
    api_port = PickFreeLoopbackPort();
    if (!api_port.ok()) return api_port.status();
  } while (*api_port == store_.client_port());
  apiserver_port_ = *api_port;
  if (options_.pki.has_value()) {
    absl::StatusOr<int> grpc_port;
    do {
      grpc_port = PickFreeLoopbackPort();
      if (!grpc_port.ok()) return grpc_port.status();
    } while (*grpc_port == store_.client_port() || *grpc_port == apiserver_port_);
    apiserver_grpc_port_ = *grpc_port;
  }
  apiserver_address_ = absl::StrCat("127.0.0.1:", apiserver_port_);
  client::ApiClientOptions client_options{
      .server = apiserver_address_, .bearer_token = options_.bearer_token, .tls = options_.tls};
  if (options_.pki.has_value()) {
    absl::StatusOr<pki::ClusterPkiPaths> made =
        pki::EnsureClusterPki(dir_.Join("pki"), *options_.pki);
    if (!made.ok()) return made.status();
    pki_ = *std::move(made);
    client_options.bearer_token.clear();
    client_options.tls = TlsClientFiles{
        .ca_file = pki_.ca.cert, .cert_file = pki_.admin.cert, .key_file = pki_.admin.key};
    for (const auto& [name, user] :
         {std::pair{"admin.conf", pki_.admin}, std::pair{"scheduler.conf", pki_.scheduler},
          std::pair{"controller-manager.conf", pki_.controller_manager}}) {
      if (absl::StatusOr<std::string> written = WriteKubeconfig(name, user); !written.ok()) {
        return written.status();
      }
    }
  }
  auto cs = client::Clientset::Connect(client_options);
  if (!cs.ok()) return cs.status();
  clientset_ = *std::move(cs);
  return StartApiserver();
}

absl::Status ControlPlane::RestartStore(int sig) {
  if (sig == SIGKILL) {
    store_.Kill9();
  } else if (store_.running()) {
    // An unclean exit is the test's to notice in the log; the restart goes on.
    (void)store_.Stop(absl::Seconds(20));
  }
  return store_.Restart();
}

absl::Status ControlPlane::RestartApiserver(int sig) {
  apiserver_.Stop(sig, absl::Seconds(20));
  return StartApiserver();
}

std::optional<int> ControlPlane::StopApiserver(int sig) {
  return apiserver_.Stop(sig, absl::Seconds(20));
}

absl::Status ControlPlane::StartScheduler(const std::vector<std::string>& extra_flags) {
  std::vector<std::string> argv = {BinPath("minik8s-scheduler"), "--server", apiserver_address_};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  auto proc = std::make_unique<Subprocess>();
  absl::Status s =
      proc->Start(argv, dir_.Join(absl::StrCat("scheduler-", schedulers_.size(), ".log")));
  if (!s.ok()) return s;
  schedulers_.push_back(std::move(proc));
  return absl::OkStatus();
}

std::optional<int> ControlPlane::StopScheduler() {
  if (schedulers_.empty()) return std::nullopt;
  return schedulers_.back()->Stop(SIGTERM, absl::Seconds(20));
}

std::optional<int> ControlPlane::StopScheduler(size_t n, int sig) {
  if (n >= schedulers_.size()) return std::nullopt;
  return schedulers_[n]->Stop(sig, absl::Seconds(20));
}

absl::Status ControlPlane::StartControllerManager(const std::vector<std::string>& extra_flags) {
  std::vector<std::string> argv = {BinPath("minik8s-controller-manager"), "--server",
                                   apiserver_address_};
  if (options_.pki.has_value()) {
    argv.insert(argv.end(), {"--kubeconfig", dir_.Join("controller-manager.conf")});
  }
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  auto proc = std::make_unique<Subprocess>();
  absl::Status s = proc->Start(
      argv, dir_.Join(absl::StrCat("controller-manager-", controller_managers_.size(), ".log")));
  if (!s.ok()) return s;
  controller_managers_.push_back(std::move(proc));
  return absl::OkStatus();
}

std::optional<int> ControlPlane::StopControllerManager(size_t n, int sig) {
  if (n >= controller_managers_.size()) return std::nullopt;
  return controller_managers_[n]->Stop(sig, absl::Seconds(20));
}

pid_t ControlPlane::scheduler_pid(size_t n) const {
  return n < schedulers_.size() ? schedulers_[n]->pid() : -1;
}

pid_t ControlPlane::controller_manager_pid(size_t n) const {
  return n < controller_managers_.size() ? controller_managers_[n]->pid() : -1;
}

absl::StatusOr<std::string> ControlPlane::WriteKubeconfigText(
    const std::string& name, const std::string& user_fields) const {
  if (!options_.pki.has_value() || apiserver_address_.empty()) {
    return absl::FailedPreconditionError(
        "a kubeconfig needs a control plane started with Options::pki");
  }
  const std::string path = dir_.Join(name);
  absl::Status written = WriteFile(
      path,
      absl::StrCat("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                   "    server: https://",
                   apiserver_address_, "\n    certificate-authority: ", pki_.ca.cert,
                   "\n    extensions:\n    - name: ", client::kGrpcExtension,
                   "\n      extension:\n        server: https://127.0.0.1:", apiserver_grpc_port_,
                   "\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n"
                   "current-context: c\nusers:\n- name: u\n  user:\n",
                   user_fields));
  if (!written.ok()) return written;
  return path;
}

absl::StatusOr<std::string> ControlPlane::WriteKubeconfig(const std::string& name,
                                                          const pki::CertKeyPaths& user) const {
  return WriteKubeconfigText(name, absl::StrCat("    client-certificate: ", user.cert,
                                                "\n    client-key: ", user.key, "\n"));
}

absl::StatusOr<std::string> ControlPlane::WriteTokenKubeconfig(const std::string& name,
                                                               const std::string& token) const {
  return WriteKubeconfigText(name, absl::StrCat("    token: ", token, "\n"));
}

absl::StatusOr<pki::CertKeyPaths> ControlPlane::IssueClientCertificate(
    const std::string& name, std::vector<std::string> groups) const {
  if (!options_.pki.has_value() || pki_.ca.cert.empty()) {
    return absl::FailedPreconditionError(
        "a client certificate needs a control plane started with Options::pki");
  }
  return ::minik8s::testing::IssueClientCertificate(pki_.ca, dir_.path(), name, std::move(groups));
}

int ControlPlane::Kubectl(const std::string& kubeconfig, const std::vector<std::string>& args,
                          std::string* out) const {
  const std::string kubectl = FindOnPath("kubectl");
  if (kubectl.empty()) {
    *out = "kubectl is not installed (not on PATH)";
    return -1;
  }
  std::vector<std::string> argv = {kubectl, "--kubeconfig", kubeconfig};
  const std::vector<std::string> cache = KubectlCacheFlags();
  argv.insert(argv.end(), cache.begin(), cache.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, out, absl::Seconds(30));
}

int ControlPlane::Mkctl(const std::string& kubeconfig, const std::vector<std::string>& args,
                        std::string* out) const {
  std::vector<std::string> argv = {BinPath("mkctl"), "--kubeconfig", kubeconfig};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, out, absl::Seconds(30));
}

std::string ControlPlane::LogTail(const std::string& name, size_t bytes) const {
  return FileTail(name == "store.log" ? store_.log_path() : dir_.Join(name), bytes);
}

}  // namespace minik8s::testing
