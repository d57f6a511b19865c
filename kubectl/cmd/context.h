// State shared by every mkctl command: the global flags, the output
// streams, the clock and the lazily created apiserver client.
//
// Thread safety: one Context per process, used from the main thread (a
// watch may read the client from another thread; ApiClient is thread-safe).
#ifndef MINIK8S_KUBECTL_CMD_CONTEXT_H_
#define MINIK8S_KUBECTL_CMD_CONTEXT_H_

#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "kubectl/config.h"

namespace minik8s::kubectl {

struct GlobalFlags {
  std::string server;
  std::string namespace_;
  std::string request_timeout = "0";
  std::string kubeconfig;  // --kubeconfig
  std::string token;       // --token
  // --certificate-authority, --client-certificate, --client-key (kubectl's):
  // over the kubeconfig's.
  std::string certificate_authority;
  std::string client_certificate;
  std::string client_key;
  // --as, --as-group (repeatable), --as-uid: impersonation, each over the
  // kubeconfig user's as, as-groups, as-uid (kubectl's order).
  std::string as;
  std::vector<std::string> as_groups;
  std::string as_uid;
};

class Context {
 public:
  Context(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  GlobalFlags& flags() { return flags_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // The resolved cluster configuration (server discovery, config.h).
  absl::StatusOr<ClusterConfig> Config();
  // The client, connected on first use.
  absl::StatusOr<client::ApiClient*> Client();
  // -n, else the config file's namespace, else "default".
  std::string Namespace();
  // True when -n was given.
  bool NamespaceExplicit() const { return !flags_.namespace_.empty(); }
  // The server as `host:port`, for messages.
  std::string ServerHostPort();

  absl::Time Now() const { return now_ ? now_() : absl::Now(); }
  void SetClock(std::function<absl::Time()> now) { now_ = std::move(now); }

  // Prints `status` as kubectl does (see FormatError) and returns exit code 1.
  int Fail(const absl::Status& status);

 private:
  std::ostream& out_;
  std::ostream& err_;
  GlobalFlags flags_;
  std::function<absl::Time()> now_;
  std::unique_ptr<client::ApiClient> client_;
  std::optional<ClusterConfig> config_;
};

// The message kubectl prints for an error:
//   API errors with a reason    `Error from server (NotFound): deployments.apps "x" not found`
//   Invalid with details        `The Deployment "x" is invalid: spec.replicas: Invalid value: ...`
//   server unreachable          `The connection to the server HOST was refused - did you
//                                specify the right host or port?`
//   anything else               `error: <message>`
std::string FormatError(const absl::Status& status, const std::string& server_host_port);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_CONTEXT_H_
