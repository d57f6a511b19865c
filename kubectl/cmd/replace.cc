// mkctl replace -f FILE|DIR|-: each document PUT whole over the live object
// (an update without resourceVersion replaces unconditionally), as kubectl
// replace; failures are reported after the other documents were tried.
#include <iostream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "client/resource.h"
#include "kubectl/apply/manifests.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/write_output.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

struct ReplaceOptions {
  std::vector<std::string> filenames;
  bool recursive = false;
  std::string dry_run = "none";
  std::string output;
};

int RunReplace(Context& ctx, const ReplaceOptions& o) {
  if (o.filenames.empty()) {
    ctx.err() << "error: must specify one of -f and -k\n";
    return 1;
  }
  if (absl::Status st = CheckDryRun(o.dry_run); !st.ok()) return ctx.Fail(st);
  if (!o.output.empty() && o.output != "name") {
    return ctx.Fail(absl::InvalidArgumentError(
        absl::StrCat("unable to match a printer suitable for the output format \"", o.output,
                     "\", allowed formats are: name")));
  }
  absl::StatusOr<std::vector<Manifest>> manifests =
      ReadCommandManifests(ctx, o.filenames, o.recursive);
  if (!manifests.ok()) return ctx.Fail(manifests.status());
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  const std::string suffix = DryRunSuffix(o.dry_run);
  std::vector<absl::Status> errors;
  for (Manifest& m : *manifests) {
    const api::KindInfo& kind = *m.decoded.kind;
    google::protobuf::Message* object = m.decoded.object.get();
    auto* meta = client::MutableMetaOf(object);
    const std::string ns =
        kind.namespaced ? (meta->namespace_().empty() ? ctx.Namespace() : meta->namespace_()) : "";
    if (kind.namespaced) meta->set_namespace_(ns);
    const std::string name = meta->name();
    if (o.dry_run != "client") {
      OwnedObject out = kind.New();
      absl::Status st =
          (*client)->Update(kind.resource, ns, name, "", *object, out.get(), o.dry_run == "server");
      if (!st.ok()) {
        errors.push_back(WithSource(st, "replacing", m.source));
        continue;
      }
    }
    ctx.out() << QualifiedName(kind, name)
              << (o.output == "name" ? "" : absl::StrCat(" replaced", suffix)) << "\n";
  }
  ctx.out().flush();
  for (const absl::Status& st : errors) ctx.Fail(st);
  return errors.empty() ? 0 : 1;
}

}  // namespace

void AddReplaceCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<ReplaceOptions>();
  CLI::App* cmd = app.add_subcommand("replace", "Replace a resource by file name or stdin");
  cmd->add_option("-f,--filename", o->filenames,
                  "The files that contain the configurations to replace (a file, a folder, or - "
                  "for stdin)");
  cmd->add_flag("-R,--recursive", o->recursive,
                "Process the directory used in -f, --filename recursively");
  cmd->add_option("-o,--output", o->output, "Output format: name");
  cmd->add_option("--dry-run", o->dry_run,
                  "Must be \"none\", \"server\", or \"client\". If client strategy, only print "
                  "the object that would be sent, without sending it.")
      ->capture_default_str();
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunReplace(ctx, *o); });
}

}  // namespace minik8s::kubectl
