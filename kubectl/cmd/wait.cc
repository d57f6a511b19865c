// mkctl wait --for=delete|create|condition=X[=V]|jsonpath=E[=V] (TYPE/NAME...
// | TYPE NAME... | TYPE -l SELECTOR | TYPE --all) [--timeout=30s]: polls
// each object in turn until it meets the condition, within --timeout per
// object, and words the result as kubectl does.
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/errors.h"
#include "client/resource.h"
#include "common/duration.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/cmd/wait_condition.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(200);

struct WaitOptions {
  std::vector<std::string> args;
  std::string for_;
  std::string timeout = "30s";
  std::string selector;
  bool all = false;
};

struct Target {
  const api::KindInfo* kind;
  std::string name;
  std::string uid;     // "" when it did not exist at the start
  absl::Status error;  // not OK: it could not be read (reported in turn)
};

// Polls `t` until it meets `w` or `timeout` passes. OK when met; otherwise
// the error kubectl reports.
absl::Status WaitOne(client::ApiClient& client, const std::string& ns, const Target& t,
                     const WaitFor& w, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<OwnedObject> obj = GetObject(client, *t.kind, ns, t.name);
    if (!obj.ok() && !api::IsNotFound(obj.status())) return obj.status();
    bool met = false;
    if (w.kind == WaitFor::Kind::kDelete) {
      met = !obj.ok() || (!t.uid.empty() && client::MetaOf(**obj).uid() != t.uid);
    } else if (w.kind == WaitFor::Kind::kCreate) {
      met = obj.ok();
    } else if (obj.ok()) {
      absl::StatusOr<bool> m = WaitConditionMet(w, jsonpath::FromMessage(**obj));
      if (!m.ok()) return m.status();
      met = *m;
    }
    if (met) return absl::OkStatus();
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    absl::SleepFor(std::min(left, kPollInterval));
  }
  if (w.kind == WaitFor::Kind::kCreate) {
    return absl::DeadlineExceededError("timed out waiting for the condition");
  }
  const std::string on = absl::StrCat(t.kind->resource, "/", t.name);
  if (timeout <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(absl::StrCat("condition not met for ", on));
  }
  return absl::DeadlineExceededError(absl::StrCat("timed out waiting for the condition on ", on));
}

int RunWait(Context& ctx, const WaitOptions& o) {
  absl::StatusOr<WaitFor> w = ParseWaitFor(o.for_);
  if (!w.ok()) return ctx.Fail(w.status());
  absl::StatusOr<absl::Duration> timeout = ParseGoDuration(o.timeout);
  if (!timeout.ok()) {
    ctx.err() << "Error: invalid argument \"" << o.timeout
              << "\" for \"--timeout\" flag: time: invalid duration \"" << o.timeout << "\""
              << "\nSee 'mkctl wait --help' for usage.\n";
    return 1;
  }
  if (*timeout < absl::ZeroDuration()) *timeout = absl::Hours(24 * 7);  // kubectl: a week
  if (o.args.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "You must provide one or more resources by argument or filename.\n"
        "Example resource specifications include:\n   '-f rsrc.yaml'\n   "
        "'--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'"));
  }
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(o.args);
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
  const std::string ns = ctx.Namespace();
  std::vector<absl::Status> errors;
  std::vector<Target> targets;
  for (const ResourceRequest& r : *requests) {
    if (by_selector) {
      client::ListOptions options;
      options.label_selector = o.selector;
      absl::StatusOr<std::vector<OwnedObject>> objects =
          ListObjects(**client, *r.kind, NamespaceFor(*r.kind, ns), options);
      if (!objects.ok()) return ctx.Fail(objects.status());
      for (const OwnedObject& obj : *objects) {
        targets.push_back({r.kind, client::MetaOf(*obj).name(), client::MetaOf(*obj).uid()});
      }
      continue;
    }
    for (const std::string& name : r.names) {
      absl::StatusOr<OwnedObject> obj = GetObject(**client, *r.kind, ns, name);
      if (obj.ok()) {
        targets.push_back({r.kind, name, client::MetaOf(**obj).uid()});
      } else if (api::IsNotFound(obj.status()) && w->kind == WaitFor::Kind::kCreate) {
        targets.push_back({r.kind, name, ""});
      } else if (!api::IsNotFound(obj.status()) || w->kind != WaitFor::Kind::kDelete) {
        targets.push_back({r.kind, name, "", obj.status()});
      }
    }
  }
  if (targets.empty() && by_selector && w->kind != WaitFor::Kind::kDelete) {
    return ctx.Fail(absl::NotFoundError("no matching resources found"));
  }
  for (const Target& t : targets) {
    if (!t.error.ok()) {
      errors.push_back(t.error);
      continue;
    }
    absl::Status st = WaitOne(**client, ns, t, *w, *timeout);
    if (st.ok()) {
      ctx.out() << QualifiedName(*t.kind, t.name) << " condition met\n";
      ctx.out().flush();
    } else {
      errors.push_back(st);
    }
  }
  if (errors.size() == 1) return ctx.Fail(errors[0]);
  // Several: one line each, without kubectl's "error: " in front.
  for (const absl::Status& st : errors) {
    std::string line = FormatError(st, ctx.ServerHostPort());
    if (absl::StartsWith(line, "error: ")) line = line.substr(7);
    ctx.err() << line << (absl::EndsWith(line, "\n") ? "" : "\n");
  }
  return errors.empty() ? 0 : 1;
}

}  // namespace

void AddWaitCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<WaitOptions>();
  CLI::App* cmd = app.add_subcommand("wait",
                                     "Experimental: Wait for a specific condition on one or many "
                                     "resources");
  cmd->add_option("resources", o->args, "TYPE/NAME..., TYPE NAME..., or TYPE with -l or --all");
  cmd->add_option("--for", o->for_,
                  "The condition to wait on: [create|delete|condition=condition-name[=condition-"
                  "value]|jsonpath='{JSONPath expression}'=[JSONPath value]]. The default "
                  "condition-value is true. Condition values are compared after Unicode simple "
                  "case folding, which is a more general form of case-insensitivity.");
  cmd->add_option("--timeout", o->timeout,
                  "The length of time to wait before giving up. Zero means check once and don't "
                  "wait, negative means wait for a week.")
      ->capture_default_str();
  cmd->add_option("-l,--selector", o->selector,
                  "Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'.");
  cmd->add_flag("--all", o->all,
                "Select all resources in the namespace of the specified "
                "resource types");
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunWait(ctx, *o); });
}

}  // namespace minik8s::kubectl
