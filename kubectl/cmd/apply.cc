// mkctl apply -f: create, or three-way merge patch over the live object.
#include <iostream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "client/resource.h"
#include "kubectl/apply/last_applied.h"
#include "kubectl/apply/manifests.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/write_output.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

struct ApplyOptions {
  std::vector<std::string> filenames;
  bool recursive = false;
  std::string output;
  std::string dry_run = "none";
};

int RunApply(Context& ctx, const ApplyOptions& o) {
  if (absl::Status st = CheckDryRun(o.dry_run); !st.ok()) return ctx.Fail(st);
  if (absl::Status st = CheckNameOutput(o.output); !st.ok()) return ctx.Fail(st);
  absl::StatusOr<std::vector<Manifest>> manifests =
      ReadCommandManifests(ctx, o.filenames, o.recursive);
  if (!manifests.ok()) return ctx.Fail(manifests.status());
  // Namespace checks before anything is sent.
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  const bool dry_run = o.dry_run != "none";
  const std::string suffix = DryRunSuffix(o.dry_run);
  int exit_code = 0;
  for (Manifest& m : *manifests) {
    const api::KindInfo& kind = *m.decoded.kind;
    google::protobuf::Message* object = m.decoded.object.get();
    auto* meta = client::MutableMetaOf(object);
    const std::string ns = ManifestNamespace(ctx, m);
    const std::string name = meta->name();
    if (name.empty()) {
      ctx.Fail(absl::InvalidArgumentError(
          absl::StrCat("error when retrieving current configuration of:\nResource: \"",
                       kind.GroupResource(), "\", Namespace: \"", ns, "\"\nfrom server for: \"",
                       m.source, "\": resource name may not be empty")));
      exit_code = 1;
      continue;
    }
    SetLastApplied(object);
    const std::string display = QualifiedName(kind, name);
    OwnedObject live = kind.New();
    absl::Status got = (*client)->Get(kind.resource, ns, name, live.get());
    if (api::IsNotFound(got)) {
      if (o.dry_run != "client") {
        OwnedObject created = kind.New();
        absl::Status st = (*client)->Create(kind.resource, ns, *object, created.get(), dry_run);
        if (!st.ok()) {
          ctx.Fail(WithSource(st, "creating", m.source));
          exit_code = 1;
          continue;
        }
      }
      ctx.out() << display << (o.output == "name" ? "" : " created") << suffix << "\n";
      continue;
    }
    if (!got.ok()) {
      ctx.Fail(WithSource(got, "retrieving current configuration of", m.source));
      exit_code = 1;
      continue;
    }
    absl::StatusOr<std::string> patch = ComputeApplyPatch(*object, *live);
    if (!patch.ok()) {
      ctx.Fail(patch.status());
      exit_code = 1;
      continue;
    }
    if (patch->empty()) {
      ctx.out() << display << (o.output == "name" ? "" : " unchanged") << suffix << "\n";
      continue;
    }
    if (o.dry_run != "client") {
      OwnedObject patched = kind.New();
      absl::Status st =
          (*client)->Patch(kind.resource, ns, name, "", *patch, patched.get(), dry_run);
      if (!st.ok()) {
        ctx.Fail(WithSource(st, "patching", m.source));
        exit_code = 1;
        continue;
      }
    }
    ctx.out() << display << (o.output == "name" ? "" : " configured") << suffix << "\n";
  }
  return exit_code;
}

}  // namespace

void AddApplyCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<ApplyOptions>();
  CLI::App* cmd =
      app.add_subcommand("apply", "Apply a configuration to a resource by file name or stdin");
  cmd->add_option("-f,--filename", o->filenames,
                  "The files that contain the configurations to apply (a file, a folder, or - "
                  "for stdin)");
  cmd->add_flag("-R,--recursive", o->recursive,
                "Process the directory used in -f, --filename recursively");
  cmd->add_option("-o,--output", o->output, "Output format: name");
  cmd->add_option("--dry-run", o->dry_run,
                  "Must be \"none\", \"server\", or \"client\". If client strategy, only print "
                  "the object that would be sent, without sending it. If server strategy, "
                  "submit server-side request without persisting the resource.")
      ->capture_default_str();
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunApply(ctx, *o); });
}

}  // namespace minik8s::kubectl
