// mkctl label / mkctl annotate TYPE NAME... | TYPE/NAME... | TYPE (-l SEL | --all)
// KEY=VALUE... KEY-...: as kubectl, through a JSON merge patch of
// metadata.labels or metadata.annotations (metadata_update.h).
#include <memory>

#include "absl/strings/str_cat.h"
#include "client/resource.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/metadata_update.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/cmd/write_output.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

struct MetadataCmdOptions {
  std::vector<std::string> args;
  bool overwrite = false;
  bool all = false;
  std::string selector;
  bool list = false;
  std::string dry_run = "none";
};

std::map<std::string, std::string> MapOf(const google::protobuf::Message& object,
                                         MetadataField field) {
  const auto& meta = client::MetaOf(object);
  const auto& m = field == MetadataField::kLabels ? meta.labels() : meta.annotations();
  return std::map<std::string, std::string>(m.begin(), m.end());
}

int RunMetadataCommand(Context& ctx, const MetadataCmdOptions& o, MetadataField field) {
  const bool labels = field == MetadataField::kLabels;
  std::vector<std::string> args = o.args;
  MetadataChanges changes;
  if (o.list) {
    changes.resources = args;
  } else {
    absl::StatusOr<MetadataChanges> parsed = ParseMetadataArgs(args, field);
    if (!parsed.ok()) return ctx.Fail(parsed.status());
    changes = std::move(*parsed);
  }
  if (absl::Status st = CheckDryRun(o.dry_run); !st.ok()) return ctx.Fail(st);
  if (changes.resources.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "one or more resources must be specified as <resource> <name> or <resource>/<name>"));
  }
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(changes.resources);
  if (!requests.ok()) return ctx.Fail(requests.status());
  const bool by_selector = o.all || !o.selector.empty();
  for (const ResourceRequest& r : *requests) {
    if (by_selector && !r.names.empty()) {
      return ctx.Fail(
          absl::InvalidArgumentError("name cannot be provided when a selector is specified"));
    }
    if (!by_selector && r.names.empty()) {
      return ctx.Fail(
          absl::InvalidArgumentError("resource(s) were provided, but no name was specified"));
    }
  }
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  int exit_code = 0;
  int seen = 0;
  for (const ResourceRequest& r : *requests) {
    client::ListOptions options;
    options.label_selector = o.selector;
    absl::StatusOr<std::vector<OwnedObject>> objects =
        NamedOrSelectedObjects(**client, *r.kind, ctx.Namespace(), ctx.Namespace(), r.names,
                               options, [&](const absl::Status& s) {
                                 ctx.Fail(s);
                                 exit_code = 1;
                               });
    if (!objects.ok()) return ctx.Fail(objects.status());
    for (const OwnedObject& obj : *objects) {
      ++seen;
      const std::string name = client::MetaOf(*obj).name();
      const std::map<std::string, std::string> current = MapOf(*obj, field);
      if (o.list) {
        if (objects->size() > 1 || requests->size() > 1) {
          ctx.out() << "Listing " << (labels ? "labels" : "annotations") << " for " << r.kind->kind
                    << (r.kind->group.empty() ? "" : ".") << r.kind->group << "/" << name << ":\n";
        }
        for (const auto& [k, v] : current) ctx.out() << k << "=" << v << "\n";
        continue;
      }
      absl::StatusOr<MetadataUpdate> update =
          ComputeMetadataUpdate(current, changes, field, o.overwrite);
      if (!update.ok()) {
        ctx.Fail(update.status());
        exit_code = 1;
        continue;
      }
      if (labels) {
        for (const std::string& key : update->not_found) {
          ctx.out() << "label \"" << key << "\" not found.\n";
        }
      }
      if (!update->patch.empty() && o.dry_run != "client") {
        OwnedObject out = r.kind->New();
        absl::Status st =
            (*client)->Patch(r.kind->resource, NamespaceFor(*r.kind, ctx.Namespace()), name, "",
                             update->patch, out.get(), o.dry_run == "server");
        if (!st.ok()) {
          ctx.Fail(st);
          exit_code = 1;
          continue;
        }
      }
      ctx.out() << QualifiedName(*r.kind, name) << " " << update->verb << DryRunSuffix(o.dry_run)
                << "\n";
    }
  }
  if (seen == 0 && exit_code == 0) {
    return ctx.Fail(absl::InvalidArgumentError(
        absl::StrCat("no objects passed to ", labels ? "label" : "annotate")));
  }
  return exit_code;
}

void AddMetadataCommand(CLI::App& app, Context& ctx, int& exit_code, MetadataField field) {
  const bool labels = field == MetadataField::kLabels;
  auto o = std::make_shared<MetadataCmdOptions>();
  CLI::App* cmd = app.add_subcommand(
      labels ? "label" : "annotate",
      labels ? "Update the labels on a resource" : "Update the annotations on a resource");
  cmd->add_option("args", o->args,
                  labels ? "TYPE NAME|TYPE/NAME... KEY_1=VAL_1 ... KEY_N=VAL_N (KEY- removes)"
                         : "TYPE NAME|TYPE/NAME... KEY_1=VAL_1 ... KEY_N=VAL_N (KEY- removes)");
  cmd->add_flag("--overwrite", o->overwrite,
                labels ? "If true, allow labels to be overwritten, otherwise reject label updates "
                         "that overwrite existing labels."
                       : "If true, allow annotations to be overwritten, otherwise reject "
                         "annotation updates that overwrite existing annotations.");
  cmd->add_flag("--all", o->all,
                "Select all resources, in the namespace of the specified resource types");
  cmd->add_option("-l,--selector", o->selector,
                  "Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'.");
  cmd->add_flag("--list", o->list,
                labels ? "If true, display the labels for a given resource."
                       : "If true, display the annotations for a given resource.");
  cmd->add_option("--dry-run", o->dry_run,
                  "Must be \"none\", \"server\", or \"client\". If client strategy, only print "
                  "the object that would be sent, without sending it.")
      ->capture_default_str();
  cmd->callback([&ctx, &exit_code, o, field] { exit_code = RunMetadataCommand(ctx, *o, field); });
}

}  // namespace

void AddLabelCommand(CLI::App& app, Context& ctx, int& exit_code) {
  AddMetadataCommand(app, ctx, exit_code, MetadataField::kLabels);
}

void AddAnnotateCommand(CLI::App& app, Context& ctx, int& exit_code) {
  AddMetadataCommand(app, ctx, exit_code, MetadataField::kAnnotations);
}

}  // namespace minik8s::kubectl
