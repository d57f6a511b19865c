// mkctl patch TYPE NAME | TYPE/NAME -p PATCH [--type strategic|merge|json]
// [--patch-file FILE] [--subresource status|scale] [--dry-run]: as kubectl.
// The apiserver applies every patch type (apiserver/merge_patch.h): mkctl
// reads the object, sends the patch with its content type and says
// `patched`, or `patched (no change)` when the answer equals what it read
// (resourceVersion aside).

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/yaml_limits.h"
#include "client/resource.h"
#include "google/protobuf/util/message_differencer.h"
#include "k8s/autoscaling/v1/autoscaling.pb.h"
#include "kubectl/apply/json_node.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/cmd/write_output.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

struct PatchCmdOptions {
  std::vector<std::string> args;
  std::string patch;
  std::string patch_file;
  std::string type = "strategic";
  std::string subresource;
  std::string dry_run = "none";
};

bool SameIgnoringVersion(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  std::unique_ptr<google::protobuf::Message> x(a.New()), y(b.New());
  x->CopyFrom(a);
  y->CopyFrom(b);
  client::MutableMetaOf(x.get())->clear_resource_version();
  client::MutableMetaOf(y.get())->clear_resource_version();
  return google::protobuf::util::MessageDifferencer::Equals(*x, *y);
}

int RunPatch(Context& ctx, const PatchCmdOptions& o) {
  std::string content_type;
  if (o.type == "strategic") {
    content_type = "application/strategic-merge-patch+json";
  } else if (o.type == "merge") {
    content_type = "application/merge-patch+json";
  } else if (o.type == "json") {
    content_type = "application/json-patch+json";
  } else {
    return ctx.Fail(absl::InvalidArgumentError(
        absl::StrCat("--type must be one of [json merge strategic], not \"", o.type, "\"")));
  }
  if (absl::Status st = CheckDryRun(o.dry_run); !st.ok()) return ctx.Fail(st);
  if (!o.patch.empty() && !o.patch_file.empty()) {
    return ctx.Fail(absl::InvalidArgumentError("cannot specify --patch and --patch-file together"));
  }
  std::string text = o.patch;
  if (!o.patch_file.empty()) {
    std::ifstream in(o.patch_file);
    if (!in) {
      return ctx.Fail(absl::InvalidArgumentError(absl::StrCat(
          "unable to read patch file: open ", o.patch_file, ": no such file or directory")));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  if (text.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "must specify --patch or --patch-file containing the contents of the patch"));
  }
  // kubectl accepts YAML too and sends JSON.
  absl::StatusOr<YAML::Node> parsed = api::LoadLimited(text);
  if (!parsed.ok() || !parsed->IsDefined() || parsed->IsNull() || parsed->IsScalar()) {
    return ctx.Fail(absl::InvalidArgumentError(absl::StrCat(
        "unable to parse \"", text, "\": ",
        parsed.ok() ? "not a JSON object or array" : std::string(parsed.status().message()))));
  }
  const std::string patch = NodeToJson(*parsed);
  if (o.args.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "You must provide one or more resources by argument or filename."));
  }
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(o.args);
  if (!requests.ok()) return ctx.Fail(requests.status());
  for (const ResourceRequest& r : *requests) {
    if (r.names.empty()) {
      return ctx.Fail(
          absl::InvalidArgumentError("resource(s) were provided, but no name was specified"));
    }
  }
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  int exit_code = 0;
  for (const ResourceRequest& r : *requests) {
    const std::string ns = NamespaceFor(*r.kind, ctx.Namespace());
    for (const std::string& name : r.names) {
      absl::StatusOr<OwnedObject> before = GetObject(**client, *r.kind, ns, name);
      if (!before.ok()) {
        ctx.Fail(before.status());
        exit_code = 1;
        continue;
      }
      if (o.dry_run == "client") {
        // kubectl patch adds no "(dry run)" to its line.
        ctx.out() << QualifiedName(*r.kind, name) << " patched\n";
        continue;
      }
      OwnedObject after =
          o.subresource == "scale" ? std::make_unique<autoscaling::v1::Scale>() : r.kind->New();
      absl::Status st = (*client)->Patch(r.kind->resource, ns, name, o.subresource, patch,
                                         after.get(), o.dry_run == "server", content_type);
      if (!st.ok()) {
        ctx.Fail(st);
        exit_code = 1;
        continue;
      }
      const bool changed =
          o.subresource == "scale" || (after->GetDescriptor() == (*before)->GetDescriptor() &&
                                       !SameIgnoringVersion(**before, *after));
      ctx.out() << QualifiedName(*r.kind, name) << (changed ? " patched" : " patched (no change)")
                << "\n";
    }
  }
  return exit_code;
}

}  // namespace

void AddPatchCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<PatchCmdOptions>();
  CLI::App* cmd = app.add_subcommand("patch",
                                     "Update fields of a resource using strategic merge patch, a "
                                     "JSON merge patch, or a JSON patch");
  cmd->add_option("args", o->args, "TYPE NAME or TYPE/NAME");
  cmd->add_option("-p,--patch", o->patch, "The patch to be applied to the resource JSON file.");
  cmd->add_option("--patch-file", o->patch_file,
                  "A file containing a patch to be applied to the resource.");
  cmd->add_option("--type", o->type,
                  "The type of patch being provided; one of [json merge strategic]")
      ->capture_default_str();
  cmd->add_option("--subresource", o->subresource,
                  "If specified, patch will operate on the subresource of the requested object "
                  "(status, scale).");
  cmd->add_option("--dry-run", o->dry_run,
                  "Must be \"none\", \"server\", or \"client\". If client strategy, only print "
                  "the object that would be sent, without sending it.")
      ->capture_default_str();
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunPatch(ctx, *o); });
}

}  // namespace minik8s::kubectl
