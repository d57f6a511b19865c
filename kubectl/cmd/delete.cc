// mkctl delete: by name, -f, -l, --all; --cascade, --grace-period, --now, --wait.
#include <iostream>
#include <iterator>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "client/resource.h"
#include "kubectl/apply/manifests.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

struct DeleteCmdOptions {
  std::vector<std::string> args;
  std::vector<std::string> filenames;
  bool recursive = false;
  std::string selector;
  std::string field_selector;
  bool all = false;
  bool all_namespaces = false;
  std::string cascade = "background";
  int grace_period = -1;
  bool now = false;
  bool force = false;
  bool wait = true;
  bool ignore_not_found = false;
  std::string timeout = "0s";
  std::string output;
};

struct Target {
  const api::KindInfo* kind;
  std::string ns;
  std::string name;
};

}  // namespace

// Maps --cascade to a propagation policy; exposed for tests through the CLI.
absl::StatusOr<std::string> CascadeToPropagation(const std::string& cascade) {
  if (cascade == "background" || cascade == "true") return std::string("Background");
  if (cascade == "foreground") return std::string("Foreground");
  if (cascade == "orphan" || cascade == "false") return std::string("Orphan");
  return absl::InvalidArgumentError(
      absl::StrCat("invalid cascade value (", cascade,
                   "). Must be \"background\", \"foreground\", or \"orphan\""));
}

absl::StatusOr<absl::Duration> ParseWaitTimeout(const std::string& value,
                                                absl::Duration zero_means) {
  absl::Duration timeout = absl::ZeroDuration();
  if (!absl::ParseDuration(value, &timeout) || timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid argument \"", value, "\" for \"--timeout\" flag"));
  }
  return timeout == absl::ZeroDuration() ? zero_means : timeout;
}

namespace {

int RunDelete(Context& ctx, const DeleteCmdOptions& o) {
  absl::StatusOr<std::string> propagation = CascadeToPropagation(o.cascade);
  if (!propagation.ok()) return ctx.Fail(propagation.status());
  absl::StatusOr<absl::Duration> parsed = ParseWaitTimeout(o.timeout, absl::Seconds(60));
  if (!parsed.ok()) return ctx.Fail(parsed.status());
  const absl::Duration timeout = *parsed;
  int grace = o.grace_period;
  if (o.now) {
    if (grace >= 0) {
      return ctx.Fail(
          absl::InvalidArgumentError("--now and --grace-period cannot be specified together"));
    }
    grace = 1;
  }
  if (o.force && grace < 0) grace = 0;
  const bool has_files = !o.filenames.empty();
  if (has_files && !o.args.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "resources specified by filename cannot also be given as arguments"));
  }
  if (!has_files && o.args.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "You must provide one or more resources by argument or filename.\nExample resource "
        "specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> "
        "<name>'\n   '<resource>'"));
  }
  std::vector<Target> targets;
  std::vector<ResourceRequest> lists;
  if (has_files) {
    auto read_stdin = [] {
      return std::string(std::istreambuf_iterator<char>(std::cin),
                         std::istreambuf_iterator<char>());
    };
    absl::StatusOr<std::vector<Manifest>> manifests =
        ReadManifests(o.filenames, o.recursive, read_stdin);
    if (!manifests.ok()) return ctx.Fail(manifests.status());
    for (const Manifest& m : *manifests) {
      const auto& meta = client::MetaOf(*m.decoded.object);
      const std::string ns = meta.namespace_().empty() ? ctx.Namespace() : meta.namespace_();
      targets.push_back({m.decoded.kind, NamespaceFor(*m.decoded.kind, ns), meta.name()});
    }
  } else {
    absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(o.args);
    if (!requests.ok()) return ctx.Fail(requests.status());
    for (const ResourceRequest& r : *requests) {
      if (r.names.empty()) {
        if (!o.all && o.selector.empty() && o.field_selector.empty()) {
          return ctx.Fail(
              absl::InvalidArgumentError("resource(s) were provided, but no name was specified"));
        }
        lists.push_back(r);
      } else {
        if (o.all || !o.selector.empty()) {
          return ctx.Fail(
              absl::InvalidArgumentError("name cannot be provided when a selector is specified"));
        }
        for (const std::string& name : r.names) {
          targets.push_back({r.kind, NamespaceFor(*r.kind, ctx.Namespace()), name});
        }
      }
    }
  }
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  for (const ResourceRequest& r : lists) {
    client::ListOptions options;
    options.label_selector = o.selector;
    options.field_selector = o.field_selector;
    const std::string ns = o.all_namespaces ? "" : ctx.Namespace();
    absl::StatusOr<std::vector<OwnedObject>> objects = ListObjects(**client, *r.kind, ns, options);
    if (!objects.ok()) return ctx.Fail(objects.status());
    for (const OwnedObject& obj : *objects) {
      const auto& meta = client::MetaOf(*obj);
      targets.push_back({r.kind, meta.namespace_(), meta.name()});
    }
  }
  if (targets.empty() && !lists.empty()) {
    ctx.err() << "No resources found\n";
    return 0;
  }

  client::DeleteOptions options;
  options.propagation_policy = *propagation;
  if (grace >= 0) options.grace_period_seconds = grace;
  if (grace == 0 && o.force) {
    ctx.err() << "Warning: Immediate deletion does not wait for confirmation that the running "
                 "resource has been terminated. The resource may continue to run on the "
                 "cluster indefinitely.\n";
  }
  int exit_code = 0;
  std::vector<Target> pending;
  for (const Target& t : targets) {
    bool deleted = false;
    absl::Status st = (*client)->Delete(t.kind->resource, t.ns, t.name, options, nullptr, &deleted);
    if (!st.ok()) {
      if (api::IsNotFound(st) && o.ignore_not_found) continue;
      ctx.Fail(st);
      exit_code = 1;
      continue;
    }
    if (o.output == "name") {
      ctx.out() << QualifiedName(*t.kind, t.name) << "\n";
    } else {
      ctx.out() << KindPrefix(*t.kind) << " \"" << t.name << "\" deleted\n";
    }
    ctx.out().flush();
    if (!deleted) pending.push_back(t);
  }
  if (!o.wait) return exit_code;
  // Wait until every deleted object is gone from storage.
  const absl::Time deadline = absl::Now() + timeout;
  for (const Target& t : pending) {
    while (true) {
      OwnedObject obj = t.kind->New();
      absl::Status st = (*client)->Get(t.kind->resource, t.ns, t.name, obj.get());
      if (api::IsNotFound(st)) break;
      if (!st.ok()) return ctx.Fail(st);
      // Another object took the name: ours is gone.
      if (!client::MetaOf(*obj).has_deletion_timestamp()) break;
      if (absl::Now() > deadline) {
        return ctx.Fail(absl::DeadlineExceededError(absl::StrCat(
            "timed out waiting for the condition on ", KindPrefix(*t.kind), "/", t.name)));
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
  return exit_code;
}

}  // namespace

void AddDeleteCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<DeleteCmdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "delete",
      "Delete resources by file names, stdin, resources and names, or by resources "
      "and label selector");
  cmd->add_option("resources", o->args, "TYPE NAME..., TYPE/NAME..., or TYPE with -l/--all");
  cmd->add_option("-f,--filename", o->filenames,
                  "Files, folders or - (stdin) containing the resources to delete");
  cmd->add_flag("-R,--recursive", o->recursive,
                "Process the directory used in -f, --filename recursively");
  cmd->add_option("-l,--selector", o->selector,
                  "Selector (label query) to filter on, supports '=', '==', '!=', 'in', "
                  "'notin', 'key' and '!key'");
  cmd->add_option("--field-selector", o->field_selector,
                  "Selector (field query) to filter on, supports '=', '==', and '!='");
  cmd->add_flag("--all", o->all,
                "Delete all resources, in the namespace of the specified resource types");
  cmd->add_flag("-A,--all-namespaces", o->all_namespaces,
                "If present, list the requested object(s) across all namespaces");
  cmd->add_option("--cascade", o->cascade,
                  "Must be \"background\", \"orphan\", or \"foreground\". Selects the deletion "
                  "cascading strategy for the dependents (e.g. Pods created by a "
                  "ReplicationController). Defaults to background.")
      ->capture_default_str();
  cmd->add_option("--grace-period", o->grace_period,
                  "Period of time in seconds given to the resource to terminate gracefully. "
                  "Ignored if negative. Set to 1 for immediate shutdown. Can only be set to 0 "
                  "when --force is true (force deletion).")
      ->capture_default_str();
  cmd->add_flag("--now", o->now,
                "If true, resources are signaled for immediate shutdown (same as "
                "--grace-period=1).");
  cmd->add_flag("--force", o->force,
                "If true, immediately remove resources from API and bypass graceful deletion.");
  cmd->add_flag("--wait", o->wait,
                "If true, wait for resources to be gone before returning. This waits for "
                "finalizers. Default true; --wait=false returns at once.");
  cmd->add_flag("--ignore-not-found", o->ignore_not_found,
                "Treat \"resource not found\" as a successful delete.");
  cmd->add_option("--timeout", o->timeout,
                  "The length of time to wait before giving up on a delete (e.g. 30s); 0 "
                  "means 60s")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Output mode. Use \"-o name\" for shorter output");
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunDelete(ctx, *o); });
}

}  // namespace minik8s::kubectl
