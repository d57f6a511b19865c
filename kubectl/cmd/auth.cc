// mkctl auth can-i VERB (TYPE[.GROUP] | TYPE[.GROUP]/NAME | NONRESOURCEURL)
// [--subresource S] [-n NS | -A] [-q]: asks the apiserver with a
// SelfSubjectAccessReview (apiserver/authz/access_review.h) whether the
// current user (or the one --as names) may do it, as kubectl auth can-i
// does: prints `yes`, or `no` (with ` - <reason>` when the server gave
// one), and exits 0 for yes and 1 for no.
//
// mkctl auth can-i --list [-n NS] [--no-headers]: asks with a
// SelfSubjectRulesReview what the user may do in the namespace and prints
// kubectl's table (kubectl/printers/access_list.h).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/scheme.h"
#include "k8s/authorization/v1/authorization.pb.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/printers/access_list.h"

namespace minik8s::kubectl {
namespace {

struct CanIOptions {
  std::vector<std::string> args;
  std::string subresource;
  bool all_namespaces = false;
  bool quiet = false;
  bool list = false;
  bool no_headers = false;
};

int RunCanI(Context& ctx, const CanIOptions& o) {
  // kubectl's checks, in its order (Complete, then Validate).
  if (o.list) {
    if (!o.args.empty()) {
      ctx.err() << "error: list option must be specified with no arguments\n";
      return 1;
    }
    if (o.quiet || o.all_namespaces || !o.subresource.empty()) {
      ctx.err() << "error: list option can't be specified with neither quiet, all-namespaces "
                   "nor subresource options\n";
      return 1;
    }
    authorization::v1::SelfSubjectRulesReview review;
    review.mutable_spec()->set_namespace_(ctx.Namespace());
    absl::StatusOr<client::ApiClient*> client = ctx.Client();
    if (!client.ok()) return ctx.Fail(client.status());
    authorization::v1::SelfSubjectRulesReview answer;
    if (absl::Status s = (*client)->Create("selfsubjectrulesreviews", "", review, &answer);
        !s.ok()) {
      return ctx.Fail(s);
    }
    if (answer.status().incomplete()) {
      ctx.err() << "Warning: the list may be incomplete: " << answer.status().evaluation_error()
                << "\n";
    }
    ctx.out() << AccessListTable(answer.status(), o.no_headers);
    return 0;
  }
  if (o.args.size() != 2) {
    ctx.err() << "error: you must specify two arguments: verb resource or verb resource/"
                 "resourceName.\nSee 'mkctl auth can-i -h' for help and examples.\n";
    return 1;
  }
  if (o.no_headers) {
    ctx.err() << "error: --no-headers cannot be set without --list specified\n";
    return 1;
  }
  const std::string& verb = o.args[0];
  const std::string& target = o.args[1];
  authorization::v1::SelfSubjectAccessReview review;
  if (absl::StartsWith(target, "/")) {
    auto* attributes = review.mutable_spec()->mutable_non_resource_attributes();
    attributes->set_verb(verb);
    attributes->set_path(target);
  } else {
    std::string resource = target;
    std::string name;
    if (size_t slash = target.find('/'); slash != std::string::npos) {
      resource = target.substr(0, slash);
      name = target.substr(slash + 1);
    }
    auto* attributes = review.mutable_spec()->mutable_resource_attributes();
    attributes->set_verb(verb);
    attributes->set_name(name);
    attributes->set_subresource(o.subresource);
    if (!o.all_namespaces) attributes->set_namespace_(ctx.Namespace());
    if (const api::KindInfo* kind = api::Scheme::Default().FindByResource(resource);
        kind != nullptr) {
      attributes->set_group(kind->group);
      attributes->set_resource(kind->resource);
      if (!kind->namespaced) attributes->clear_namespace_();
    } else {
      ctx.err() << "Warning: the server doesn't have a resource type '" << resource << "'\n";
      attributes->set_resource(resource);
    }
  }
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  authorization::v1::SelfSubjectAccessReview answer;
  if (absl::Status s = (*client)->Create("selfsubjectaccessreviews", "", review, &answer);
      !s.ok()) {
    return ctx.Fail(s);
  }
  const auto& status = answer.status();
  if (!o.quiet) {
    if (status.allowed()) {
      ctx.out() << "yes\n";
    } else {
      ctx.out() << "no";
      if (!status.reason().empty()) ctx.out() << " - " << status.reason();
      if (!status.evaluation_error().empty()) ctx.out() << " - " << status.evaluation_error();
      ctx.out() << "\n";
    }
  }
  return status.allowed() ? 0 : 1;
}

}  // namespace

void AddAuthCommand(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* auth = app.add_subcommand("auth", "Inspect authorization");
  auth->require_subcommand(1);
  auto o = std::make_shared<CanIOptions>();
  CLI::App* can_i = auth->add_subcommand("can-i", "Check whether an action is allowed");
  can_i->add_option("args", o->args, "VERB TYPE[.GROUP][/NAME] or VERB NONRESOURCEURL");
  can_i->add_option("--subresource", o->subresource,
                    "SubResource such as pod/log or deployment/scale");
  can_i->add_flag("-A,--all-namespaces", o->all_namespaces,
                  "If true, check the specified action in all namespaces.");
  can_i->add_flag("-q,--quiet", o->quiet,
                  "If true, suppress output and just return the exit code.");
  can_i->add_flag("--list", o->list, "If true, prints all allowed actions.");
  can_i->add_flag("--no-headers", o->no_headers, "If true, prints allowed actions without headers");
  can_i->callback([&ctx, &exit_code, o] { exit_code = RunCanI(ctx, *o); });
}

}  // namespace minik8s::kubectl
