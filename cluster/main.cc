// minik8s: a local minik8s cluster with one command.
//
//   minik8s up [--nodes 3] [--port-base 6440] [--data-dir ~/.minik8s/data]
//              [--kubeconfig ~/.minik8s/kubeconfig]
//   minik8s status [--data-dir DIR]
//   minik8s down [--data-dir DIR]
//   minik8s token create|list|delete [--data-dir DIR]
//   minik8s join --server https://ADDR:PORT [--grpc-server https://ADDR:PORT] --token T
//                --ca-cert-hash sha256:H [--node-ip IP]
//
// Only parses flags; the work is in launcher.h.
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cluster/join.h"
#include "cluster/launcher.h"
#include "cluster/plan.h"
#include "common/duration_flag.h"
#include "common/signals.h"

namespace {

using namespace minik8s::cluster;  // NOLINT

std::string Home() {
  const char* home = std::getenv("HOME");
  return home != nullptr ? home : "";
}

std::string ExpandPath(const std::string& path) {
  std::string p = path;
  if (p == "~" || p.rfind("~/", 0) == 0) p = Home() + p.substr(1);
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(p, ec);
  return ec ? p : abs.lexically_normal().string();
}

std::string ExecutableDir() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "." : self.parent_path().string();
}

std::string DefaultMkctlConfig() {
  const char* env = std::getenv("MINIK8S_CONFIG");
  if (env != nullptr && *env != '\0') return env;
  return Home() + "/.minik8s/config";
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts: `up` waits for these with sigtimedwait, and
  // its children unblock them before exec.
  minik8s::BlockShutdownSignals();

  CLI::App app{
      "minik8s: run a local minik8s cluster (store, apiserver, controller-manager, "
      "scheduler, and a runtime + kubelet per node) as processes on this machine"};
  app.require_subcommand(1);
  std::string data_dir = "~/.minik8s/data";
  const std::string data_dir_help =
      "Folder of the cluster: the store's data, logs/, run/ (runtime sockets) and the state "
      "file that `down` and `status` read; kept across runs";

  UpOptions up;
  ClusterOptions& co = up.cluster;
  std::string bin_dir;
  std::string mkctl_config = DefaultMkctlConfig();
  // Not $KUBECONFIG: that usually names ~/.kube/config, which `up` never
  // touches.
  std::string kubeconfig = "~/.minik8s/kubeconfig";
  std::vector<std::string> store_args, apiserver_args, cm_args, scheduler_args, runtime_args,
      kubelet_args, proxy_args;
  CLI::App* up_cmd = app.add_subcommand(
      "up", "Start a cluster and supervise it in the foreground until Ctrl-C or SIGTERM");
  up_cmd->add_option("--data-dir", data_dir, data_dir_help)->capture_default_str();
  up_cmd
      ->add_option("--nodes", co.nodes,
                   "Nodes node-1..node-N, each a minik8s-runtime and a minik8s-kubelet")
      ->capture_default_str()
      ->check(CLI::Range(0, kMaxNodes));
  up_cmd
      ->add_option("--scale-nodes", co.scale_nodes,
                   "Also simulate this many nodes (sim-node-0..) in one extra kubelet "
                   "process (the kubelet's --nodes scale mode, in-process runtime)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  up_cmd
      ->add_option("--port-base", co.port_base,
                   "First port: store = base (its health base+1), apiserver = base+3, "
                   "controller-manager and scheduler health = base+7 and base+8, scale "
                   "kubelet = base+9 (its health base+2), kubelet of node-i = base+9+i, its "
                   "health base+9+N+i, its runtime's health base+9+2N+i and its proxy's "
                   "health base+9+3N+i for N nodes (the scale proxy's health base+4); "
                   "clusters whose ranges do not overlap run side by side")
      ->capture_default_str();
  up_cmd->add_option("--etcd-servers", co.etcd_servers,
                     "Use this etcd (comma-separated URLs, e.g. http://127.0.0.1:2379) instead "
                     "of starting minik8s-store");
  up_cmd->add_option("--etcd-cafile", co.store_tls.ca_file,
                     "With an https:// --etcd-servers: PEM CA bundle its certificate is checked "
                     "against");
  up_cmd->add_option("--etcd-certfile", co.store_tls.client_cert,
                     "With an https:// --etcd-servers: PEM client certificate the apiserver "
                     "presents (with --etcd-keyfile)");
  up_cmd->add_option("--etcd-keyfile", co.store_tls.client_key,
                     "PEM private key of --etcd-certfile");
  up_cmd
      ->add_option("--store-tls", up.store_tls,
                   "Serve minik8s-store's TCP port on https with client-certificate auth, "
                   "the certificates from <data-dir>/pki (true/false; false: plaintext, for "
                   "comparisons or a plain etcdctl)")
      ->capture_default_str();
  up_cmd
      ->add_option("--store-socket", co.store_socket,
                   "The apiserver reaches the minik8s-store that up starts through a unix "
                   "socket in <data-dir>/run, created 0600 (true/false; false: through the "
                   "store's TCP port, on TLS with --store-tls)")
      ->capture_default_str();
  up_cmd
      ->add_option("--apiserver-tls", up.apiserver_tls,
                   "Serve the apiserver's port over TLS only, with client certificates from "
                   "<data-dir>/pki: each component presents its own (the controller-manager's, "
                   "the scheduler's, the proxies' system:kube-proxy, each kubelet's "
                   "system:node:<name>) through a kubeconfig "
                   "under <data-dir>/kubeconfigs, and the kubeconfig and mkctl config written "
                   "carry the CA and the admin's certificate (true/false; false: plaintext, "
                   "anyone on this machine can do anything, for comparisons)")
      ->capture_default_str();
  up_cmd
      ->add_option("--authorization-mode", co.authorization_mode,
                   "The apiserver's --authorization-mode when it serves TLS: Node,RBAC as "
                   "kubeadm sets it (kubelets by the Node authorizer and NodeRestriction, every "
                   "other caller by RBAC and its bootstrap roles); AlwaysAllow for comparisons")
      ->capture_default_str();
  up_cmd
      ->add_option("--advertise-address", co.advertise_address,
                   "The IP address the apiserver binds and every component dials; it goes into "
                   "the apiserver's certificate, and `minik8s join` on another machine reaches "
                   "the cluster through it")
      ->capture_default_str();
  up_cmd->add_option("--bin-dir", bin_dir,
                     "Folder with the minik8s-* daemons (default: the folder of this executable)");
  up_cmd->add_option("--log-level", co.log_level, "Log level of every daemon")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  up_cmd
      ->add_option("--mkctl-config", mkctl_config,
                   "Where to write the mkctl config (server: 127.0.0.1:<apiserver port>); "
                   "default $MINIK8S_CONFIG, else ~/.minik8s/config; empty: write none")
      ->capture_default_str();
  up_cmd
      ->add_option("--kubeconfig", kubeconfig,
                   "Where to write the kubeconfig for kubectl (cluster, user and context "
                   "\"minik8s\", server http://127.0.0.1:<apiserver port>); use it with "
                   "KUBECONFIG=PATH. Never ~/.kube/config unless given; a file with other "
                   "clusters is left alone; empty: write none")
      ->capture_default_str();
  minik8s::AddDurationFlag(
      *up_cmd, "--start-timeout", &up.start_timeout,
      "How long each start stage may take to become healthy (Go duration, e.g. 90s)",
      minik8s::DurationBound::kPositive);
  minik8s::AddDurationFlag(*up_cmd, "--stop-timeout", &up.stop_timeout,
                           "How long a daemon gets after SIGTERM before SIGKILL (Go duration)",
                           minik8s::DurationBound::kPositive);
  struct Extra {
    const char* flag;
    const char* kind;
    std::vector<std::string>* values;
  };
  const Extra extras[] = {{"--store-arg", kStore, &store_args},
                          {"--apiserver-arg", kApiserver, &apiserver_args},
                          {"--controller-manager-arg", kControllerManager, &cm_args},
                          {"--scheduler-arg", kScheduler, &scheduler_args},
                          {"--runtime-arg", kRuntime, &runtime_args},
                          {"--kubelet-arg", kKubelet, &kubelet_args},
                          {"--proxy-arg", kProxy, &proxy_args}};
  for (const Extra& e : extras) {
    up_cmd
        ->add_option(
            e.flag, *e.values,
            absl::StrCat("Extra flag for every minik8s-", e.kind,
                         " (repeatable; write it with =, e.g. ", e.flag, "=--log-level=debug)"))
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->allow_extra_args(false);
  }

  JoinOptions join;
  std::string join_bin_dir;
  CLI::App* join_cmd = app.add_subcommand(
      "join",
      "Start a node (a runtime, a kubelet and a service proxy) that joins the cluster of another "
      "`minik8s up`, as kubeadm join does: the CA is pinned by --ca-cert-hash, the kubelet and "
      "the proxy get their certificates through the bootstrap token and "
      "CertificateSigningRequests; supervised in the foreground until Ctrl-C or SIGTERM");
  join_cmd->add_option("--server", join.server, "The apiserver: https://ADDR:PORT")->required();
  join_cmd->add_option("--grpc-server", join.grpc_server,
                       "The apiserver's own gRPC port, https://ADDR:PORT, as `minik8s up` printed "
                       "it: the node's kubelet and proxy send their gRPC calls there (without it, "
                       "to --server, which relays them)");
  join_cmd
      ->add_option("--token", join.token,
                   "The bootstrap token <id>.<secret> that `minik8s up` printed")
      ->required();
  join_cmd
      ->add_option("--ca-cert-hash", join.ca_cert_hash,
                   "sha256:<hex> of the cluster CA's public key, as `minik8s up` printed it; "
                   "the apiserver must prove it holds that CA before the token is sent")
      ->required();
  join_cmd->add_option("--node-name", join.node_name, "The node's name (default: the host name)");
  join_cmd
      ->add_option("--node-ip", join.node_ip,
                   "The node's address (its InternalIP); on one machine a second loopback "
                   "address such as 127.0.0.2 gives the node an address of its own")
      ->capture_default_str();
  join_cmd->add_option("--pod-cidr", join.pod_cidr, "The addresses of the node's pods")
      ->capture_default_str();
  join_cmd
      ->add_option("--data-dir", data_dir, "Folder of the node: pki/, kubeconfigs/, logs/, run/")
      ->capture_default_str();
  join_cmd
      ->add_option(
          "--port-base", join.port_base,
          "The node's ports: runtime health = base, kubelet health = base+1, kubelet API = "
          "base+2 (on --node-ip), proxy health = base+3")
      ->capture_default_str();
  join_cmd->add_option("--bin-dir", join_bin_dir,
                       "Folder with the minik8s-* daemons (default: the folder of this "
                       "executable)");
  join_cmd->add_option("--log-level", join.log_level, "Log level of the node's daemons")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  minik8s::AddDurationFlag(*join_cmd, "--start-timeout", &join.start_timeout,
                           "How long each start stage may take, the kubelet's TLS bootstrap "
                           "included (Go duration)",
                           minik8s::DurationBound::kPositive);

  TokenOptions token;
  CLI::App* token_cmd = app.add_subcommand(
      "token",
      "Bootstrap tokens of the cluster running from --data-dir, for `minik8s join` (kubeadm "
      "token's commands): create, list, delete");
  token_cmd->require_subcommand(1);
  token_cmd->add_option("--data-dir", data_dir, data_dir_help)->capture_default_str();
  CLI::App* token_create = token_cmd->add_subcommand("create", "Create a new token and print it");
  minik8s::AddDurationFlag(*token_create, "--ttl", &token.ttl,
                           "How long the token is valid (Go duration; 0s: never expires)",
                           minik8s::DurationBound::kNonNegative);
  token_create->add_option("--description", token.description, "What the token is for");
  token_create->add_flag("--print-join-command", token.print_join_command,
                         "Print the whole `minik8s join` command, not just the token");
  CLI::App* token_list = token_cmd->add_subcommand("list", "List the bootstrap tokens");
  CLI::App* token_delete =
      token_cmd->add_subcommand("delete", "Delete tokens, given whole or by their id");
  token_delete->add_option("token", token.tokens, "<id>.<secret> or <id>")->required();
  // --data-dir may follow the verb too.
  for (CLI::App* verb : {token_create, token_list, token_delete}) verb->fallthrough();

  absl::Duration down_timeout = absl::Seconds(10);
  CLI::App* down_cmd = app.add_subcommand(
      "down", "Stop the cluster running from a data dir (started by `minik8s up` elsewhere)");
  down_cmd->add_option("--data-dir", data_dir, data_dir_help)->capture_default_str();
  minik8s::AddDurationFlag(*down_cmd, "--timeout", &down_timeout,
                           "How long a daemon gets after SIGTERM before SIGKILL (Go duration)",
                           minik8s::DurationBound::kPositive);

  CLI::App* status_cmd = app.add_subcommand(
      "status", "Show which daemons of the cluster in a data dir are running (exit 0: all)");
  status_cmd->add_option("--data-dir", data_dir, data_dir_help)->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  data_dir = ExpandPath(data_dir);
  if (*down_cmd) return Down(data_dir, down_timeout);
  if (*status_cmd) return Status(data_dir);
  if (*token_cmd) {
    token.data_dir = data_dir;
    token.verb = *token_create ? "create" : *token_list ? "list" : "delete";
    return Token(token);
  }
  if (*join_cmd) {
    join.data_dir = data_dir;
    join.bin_dir = join_bin_dir.empty() ? ExecutableDir() : ExpandPath(join_bin_dir);
    if (join.node_name.empty()) {
      char host[256] = {0};
      gethostname(host, sizeof(host) - 1);
      join.node_name = host;
    }
    return Join(join);
  }

  co.data_dir = data_dir;
  co.bin_dir = bin_dir.empty() ? ExecutableDir() : ExpandPath(bin_dir);
  for (std::string* file :
       {&co.store_tls.ca_file, &co.store_tls.client_cert, &co.store_tls.client_key}) {
    if (file->empty()) continue;
    if (co.etcd_servers.empty()) {
      std::cerr << "minik8s: --etcd-cafile, --etcd-certfile and --etcd-keyfile go with "
                   "--etcd-servers (the minik8s-store that up starts uses the cluster's own "
                   "certificates)\n";
      return 2;
    }
    *file = ExpandPath(*file);
  }
  for (const Extra& e : extras) {
    if (!e.values->empty()) co.extra_args[e.kind] = *e.values;
  }
  up.mkctl_config = mkctl_config.empty() ? "" : ExpandPath(mkctl_config);
  up.kubeconfig = kubeconfig.empty() ? "" : ExpandPath(kubeconfig);
  return Up(up);
}
