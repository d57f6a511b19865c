// What the commands that create one object (create, run, expose) share:
// kubectl's --dry-run and -o checks and the line or document printed for
// the object they made.
#ifndef MINIK8S_KUBECTL_CMD_WRITE_OUTPUT_H_
#define MINIK8S_KUBECTL_CMD_WRITE_OUTPUT_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "kubectl/cmd/context.h"

namespace minik8s::kubectl {

// --dry-run must be none, server or client (kubectl's message otherwise).
absl::Status CheckDryRun(const std::string& dry_run);
// " (dry run)", " (server dry run)" or "".
std::string DryRunSuffix(const std::string& dry_run);
// -o must be empty, name, yaml or json (kubectl's message otherwise).
absl::Status CheckWriteOutput(const std::string& output);

// Prints the object a command made as -o asks: YAML, JSON, `display`
// (-o name, e.g. "pod/web"), or by default "<display> <verb>" with the
// dry-run suffix ("pod/web created (dry run)").
void PrintWritten(Context& ctx, const std::string& output, const std::string& display,
                  const std::string& verb, const std::string& dry_run,
                  google::protobuf::Message* object);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_WRITE_OUTPUT_H_
