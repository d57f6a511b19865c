// What the commands that write objects (apply, create, replace, run, expose,
// label, annotate, patch) share: reading -f manifests, kubectl's --dry-run and -o
// checks and the line or document printed for the object they made.
#ifndef MINIK8S_KUBECTL_CMD_WRITE_OUTPUT_H_
#define MINIK8S_KUBECTL_CMD_WRITE_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "kubectl/apply/manifests.h"
#include "kubectl/cmd/context.h"

namespace minik8s::kubectl {

// The documents of -f (files, folders with `recursive`, `-` for stdin),
// refused with kubectl's message when one names another namespace than an
// explicit --namespace, before anything is sent.
absl::StatusOr<std::vector<Manifest>> ReadCommandManifests(Context& ctx,
                                                           const std::vector<std::string>& paths,
                                                           bool recursive);

// The namespace a manifest's object goes to: its own, else the command's
// (-n, the kubeconfig's, "default"); "" for a cluster-scoped kind.
std::string ManifestNamespace(Context& ctx, const Manifest& manifest);

// --dry-run must be none, server or client (kubectl's message otherwise).
absl::Status CheckDryRun(const std::string& dry_run);
// " (dry run)", " (server dry run)" or "".
std::string DryRunSuffix(const std::string& dry_run);
// -o must be empty, name, yaml or json (kubectl's message otherwise).
absl::Status CheckWriteOutput(const std::string& output);
// -o must be empty or name (apply's and replace's; kubectl's message otherwise).
absl::Status CheckNameOutput(const std::string& output);

// Prints the object a command made as -o asks: YAML, JSON, `display`
// (-o name, e.g. "pod/web"), or by default "<display> <verb>" with the
// dry-run suffix ("pod/web created (dry run)").
void PrintWritten(Context& ctx, const std::string& output, const std::string& display,
                  const std::string& verb, const std::string& dry_run,
                  google::protobuf::Message* object);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_WRITE_OUTPUT_H_
