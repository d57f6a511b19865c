// mkctl trace deployment/NAME | rs/NAME | pod/NAME: the object, what it
// owns, and the timeline of how it came to be (printers/trace.h).
#include "kubectl/printers/trace.h"

#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/related.h"
#include "kubectl/cmd/resource_args.h"

namespace minik8s::kubectl {
namespace {

int RunTrace(Context& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(args);
  if (!requests.ok()) return ctx.Fail(requests.status());
  if (requests->size() != 1 || (*requests)[0].names.size() != 1) {
    return ctx.Fail(absl::InvalidArgumentError(
        "trace needs exactly one object: deployment/NAME, replicaset/NAME or pod/NAME"));
  }
  const api::KindInfo& kind = *(*requests)[0].kind;
  const std::string name = (*requests)[0].names[0];
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  const std::string ns = ctx.Namespace();
  TraceInput input;
  if (kind.kind == "Deployment") {
    apps::v1::Deployment d;
    absl::Status st = (*client)->Get("deployments", ns, name, &d);
    if (!st.ok()) return ctx.Fail(st);
    absl::StatusOr<std::vector<apps::v1::ReplicaSet>> sets =
        ReplicaSetsOwnedBy(**client, ns, d.metadata().uid());
    if (!sets.ok()) return ctx.Fail(sets.status());
    input.deployments.push_back(std::move(d));
    input.replica_sets = std::move(*sets);
  } else if (kind.kind == "ReplicaSet") {
    apps::v1::ReplicaSet rs;
    absl::Status st = (*client)->Get("replicasets", ns, name, &rs);
    if (!st.ok()) return ctx.Fail(st);
    input.replica_sets.push_back(std::move(rs));
  } else if (kind.kind == "Pod") {
    core::v1::Pod pod;
    absl::Status st = (*client)->Get("pods", ns, name, &pod);
    if (!st.ok()) return ctx.Fail(st);
    input.pods.push_back(std::move(pod));
  } else {
    return ctx.Fail(absl::InvalidArgumentError(absl::StrCat(
        "cannot trace ", kind.GroupResource(), ": use a deployment, replicaset or pod")));
  }
  for (const auto& rs : input.replica_sets) {
    absl::StatusOr<std::vector<core::v1::Pod>> pods =
        PodsOwnedBy(**client, ns, rs.metadata().uid());
    if (!pods.ok()) return ctx.Fail(pods.status());
    for (auto& p : *pods) input.pods.push_back(std::move(p));
  }
  std::set<std::string> uids;
  for (const auto& d : input.deployments) uids.insert(d.metadata().uid());
  for (const auto& rs : input.replica_sets) uids.insert(rs.metadata().uid());
  for (const auto& p : input.pods) uids.insert(p.metadata().uid());
  absl::StatusOr<client::ObjectList> events =
      (*client)->List("events", ns, {}, core::v1::Event::default_instance());
  if (!events.ok()) return ctx.Fail(events.status());
  for (const auto& item : events->items) {
    const auto& e = static_cast<const core::v1::Event&>(*item);
    if (uids.count(e.involved_object().uid()) > 0) input.events.push_back(e);
  }
  ctx.out() << RenderTrace(input, ctx.Now());
  return 0;
}

}  // namespace

void AddTraceCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "trace",
      "Show how an object came to be: its owned objects and the timeline of their "
      "creation, scheduling, start and readiness, with the component of each step");
  cmd->add_option("object", *args, "deployment/NAME, replicaset/NAME or pod/NAME")->required();
  cmd->callback([&ctx, &exit_code, args] { exit_code = RunTrace(ctx, *args); });
}

}  // namespace minik8s::kubectl
