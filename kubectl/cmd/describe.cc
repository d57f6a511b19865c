// mkctl describe: pods, deployments, replica sets, jobs, nodes, services,
// endpoints and certificate signing requests with their events.
#include "kubectl/printers/describe.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/errors.h"
#include "client/resource.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/related.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/printers/describe_certificates.h"

namespace minik8s::kubectl {
namespace {

struct DescribeOptions {
  std::vector<std::string> args;
  std::string selector;
  bool all_namespaces = false;
  bool show_events = true;
};

absl::StatusOr<std::string> Describe(Context& ctx, client::ApiClient& client,
                                     const api::KindInfo& kind,
                                     const google::protobuf::Message& obj, bool show_events) {
  const auto& meta = client::MetaOf(obj);
  std::vector<core::v1::Event> events;
  if (show_events) {
    absl::StatusOr<std::vector<core::v1::Event>> e =
        EventsFor(client, meta.namespace_(), meta.name(), meta.uid());
    if (!e.ok()) return e.status();
    events = std::move(*e);
  }
  const absl::Time now = ctx.Now();
  if (kind.kind == "Pod") {
    return DescribePod(static_cast<const core::v1::Pod&>(obj), events, now);
  }
  if (kind.kind == "Deployment") {
    const auto& d = static_cast<const apps::v1::Deployment&>(obj);
    absl::StatusOr<std::vector<apps::v1::ReplicaSet>> owned =
        ReplicaSetsOwnedBy(client, meta.namespace_(), meta.uid());
    if (!owned.ok()) return owned.status();
    std::vector<const apps::v1::ReplicaSet*> ptrs, old_rs;
    for (const auto& rs : *owned) ptrs.push_back(&rs);
    const apps::v1::ReplicaSet* new_rs = nullptr;
    SplitReplicaSets(d, ptrs, &old_rs, &new_rs);
    return DescribeDeployment(d, old_rs, new_rs, events, now);
  }
  if (kind.kind == "ReplicaSet") {
    absl::StatusOr<std::vector<core::v1::Pod>> pods =
        PodsOwnedBy(client, meta.namespace_(), meta.uid());
    if (!pods.ok()) return pods.status();
    std::vector<const core::v1::Pod*> ptrs;
    for (const auto& p : *pods) ptrs.push_back(&p);
    return DescribeReplicaSet(static_cast<const apps::v1::ReplicaSet&>(obj), ptrs, events, now);
  }
  if (kind.kind == "CertificateSigningRequest" && kind.group == "certificates.k8s.io") {
    return DescribeCertificateSigningRequest(
        static_cast<const certificates::v1::CertificateSigningRequest&>(obj), events, now);
  }
  if (kind.kind == "Job" && kind.group == "batch") {
    return DescribeJob(static_cast<const batch::v1::Job&>(obj), events, now);
  }
  if (kind.kind == "Node") {
    coordination::v1::Lease lease;
    const bool has_lease = client.Get("leases", "kube-node-lease", meta.name(), &lease).ok();
    client::ListOptions options;
    options.field_selector = absl::StrCat("spec.nodeName=", meta.name());
    absl::StatusOr<client::ObjectList> list =
        client.List("pods", "", options, core::v1::Pod::default_instance());
    if (!list.ok()) return list.status();
    std::vector<const core::v1::Pod*> pods;
    for (const auto& item : list->items) {
      const auto& p = static_cast<const core::v1::Pod&>(*item);
      if (p.status().phase() == "Succeeded" || p.status().phase() == "Failed") continue;
      pods.push_back(&p);
    }
    return DescribeNode(static_cast<const core::v1::Node&>(obj), has_lease ? &lease : nullptr, pods,
                        events, now);
  }
  if (kind.kind == "Service") {
    client::ListOptions options;
    options.label_selector = absl::StrCat("kubernetes.io/service-name=", meta.name());
    absl::StatusOr<client::ObjectList> list =
        client.List("endpointslices", meta.namespace_(), options,
                    discovery::v1::EndpointSlice::default_instance());
    if (!list.ok()) return list.status();
    std::vector<discovery::v1::EndpointSlice> slices;
    for (const auto& item : list->items) {
      slices.push_back(static_cast<const discovery::v1::EndpointSlice&>(*item));
    }
    return DescribeService(static_cast<const core::v1::Service&>(obj), slices, events, now);
  }
  if (kind.kind == "Endpoints") {
    return DescribeEndpoints(static_cast<const core::v1::Endpoints&>(obj), events, now);
  }
  // Other kinds: the object as YAML, then its events.
  return absl::StrCat(api::EncodeYaml(obj), DescribeEvents(events, now));
}

int RunDescribe(Context& ctx, const DescribeOptions& o) {
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(o.args);
  if (!requests.ok()) return ctx.Fail(requests.status());
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  const std::string ns = o.all_namespaces ? "" : ctx.Namespace();
  int exit_code = 0;
  bool first = true;
  bool any = false;
  for (const ResourceRequest& r : *requests) {
    client::ListOptions options;
    options.label_selector = o.selector;
    absl::StatusOr<std::vector<OwnedObject>> objects = NamedOrSelectedObjects(
        **client, *r.kind, ctx.Namespace(), ns, r.names, options, [&](const absl::Status& s) {
          ctx.Fail(s);
          exit_code = 1;
        });
    if (!objects.ok()) return ctx.Fail(objects.status());
    for (const OwnedObject& obj : *objects) {
      absl::StatusOr<std::string> text = Describe(ctx, **client, *r.kind, *obj, o.show_events);
      if (!text.ok()) return ctx.Fail(text.status());
      if (!first) ctx.out() << "\n\n";
      first = false;
      any = true;
      ctx.out() << *text;
    }
  }
  if (!any && exit_code == 0) {
    if (o.all_namespaces) {
      ctx.err() << "No resources found\n";
    } else {
      ctx.err() << "No resources found in " << ns << " namespace.\n";
    }
  }
  return exit_code;
}

}  // namespace

void AddDescribeCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<DescribeOptions>();
  CLI::App* cmd =
      app.add_subcommand("describe", "Show details of a specific resource or group of resources");
  cmd->add_option("resources", o->args, "TYPE [NAME...] or TYPE/NAME...");
  cmd->add_option("-l,--selector", o->selector,
                  "Selector (label query) to filter on, supports '=', '==', '!=', 'in', "
                  "'notin', 'key' and '!key'");
  cmd->add_flag("-A,--all-namespaces", o->all_namespaces,
                "If present, list the requested object(s) across all namespaces");
  cmd->add_flag("--show-events", o->show_events,
                "If true, display events related to the described object (default true).");
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunDescribe(ctx, *o); });
}

}  // namespace minik8s::kubectl
