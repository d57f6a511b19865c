// `mkctl run NAME --image=IMG ...`: the bare Pod kubectl run creates, built
// without a server. As kubectl v1.32: label run=NAME unless --labels is
// given, one container named NAME, dnsPolicy ClusterFirst, restartPolicy
// from --restart (default Always), the words after `--` as the container's
// args (its command with --command).
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_CMD_RUN_H_
#define MINIK8S_KUBECTL_CMD_RUN_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubectl {

struct RunOptions {
  std::string name;
  std::string image;
  std::string port;              // "" = no container port
  std::string labels;            // "k=v,k2=v2"; "" = run=NAME
  std::vector<std::string> env;  // "K=V" each
  std::string restart = "Always";
  bool command = false;           // `--` words are the command, not the args
  std::vector<std::string> args;  // the words after `--`
};

// The Pod, or InvalidArgument with kubectl's message (`invalid restart
// policy: X`, `invalid env: X`, `unexpected label spec: X`, ...).
absl::StatusOr<core::v1::Pod> BuildRunPod(const RunOptions& options);

// `k=v,k2=v2` → map; InvalidArgument `unexpected label spec: X` otherwise
// (kubectl's words for --labels of run and expose).
absl::StatusOr<std::map<std::string, std::string>> ParseLabelSpec(const std::string& spec);

// Go's strconv.Atoi as kubectl reports it: InvalidArgument
// `strconv.Atoi: parsing "abc": invalid syntax`.
absl::StatusOr<int> AtoiLikeGo(const std::string& text);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_RUN_H_
