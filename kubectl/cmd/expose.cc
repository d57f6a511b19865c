// mkctl expose deployment|pod|replicaset|service NAME [--port] [--target-port]
// [--type] [--name] [--protocol] [--selector] [--labels] [--cluster-ip]
// [--dry-run] [-o]: creates a Service for the object, as kubectl.
#include "kubectl/cmd/expose.h"

#include <map>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "api/scheme.h"
#include "k8s/apps/v1/apps.pb.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/cmd/run.h"
#include "kubectl/cmd/write_output.h"

namespace minik8s::kubectl {
namespace {

constexpr char kNoSelector[] = "couldn't retrieve selectors via --selector flag or introspection: ";

// What the object tells: its selector, ports and their protocols, labels.
struct Introspected {
  std::map<std::string, std::string> selector;
  std::string selector_error;  // why there is no selector
  std::vector<int> ports;
  std::map<int, std::string> protocols;
  std::map<std::string, std::string> labels;
  std::string name;
};

void AddContainerPorts(const core::v1::PodSpec& spec, Introspected* in) {
  for (const core::v1::Container& c : spec.containers()) {
    for (const core::v1::ContainerPort& p : c.ports()) {
      in->ports.push_back(p.container_port());
      in->protocols.emplace(p.container_port(), p.protocol().empty() ? "TCP" : p.protocol());
    }
  }
}

// Go's %+v of []LabelSelectorRequirement: `[{Key:app Operator:In Values:[a b]}]`.
std::string FormatExpressions(const meta::v1::LabelSelector& selector) {
  std::vector<std::string> parts;
  for (const auto& r : selector.match_expressions()) {
    parts.push_back(absl::StrCat("{Key:", r.key(), " Operator:", r.operator_(), " Values:[",
                                 absl::StrJoin(r.values(), " "), "]}"));
  }
  return absl::StrCat("[", absl::StrJoin(parts, " "), "]");
}

void WorkloadSelector(const meta::v1::LabelSelector& selector, bool has_selector,
                      const std::string& what, Introspected* in) {
  if (!has_selector || selector.match_labels().empty()) {
    in->selector_error =
        absl::StrCat("invalid ", what, ": no selectors, therefore cannot be exposed");
    return;
  }
  if (selector.match_expressions_size() > 0) {
    in->selector_error =
        absl::StrCat("couldn't convert expressions - \"", FormatExpressions(selector),
                     "\" to map-based selector format");
    return;
  }
  in->selector.insert(selector.match_labels().begin(), selector.match_labels().end());
}

absl::StatusOr<Introspected> Introspect(const google::protobuf::Message& object) {
  Introspected in;
  if (const auto* pod = dynamic_cast<const core::v1::Pod*>(&object)) {
    in.name = pod->metadata().name();
    in.labels.insert(pod->metadata().labels().begin(), pod->metadata().labels().end());
    if (pod->metadata().labels().empty()) {
      in.selector_error = "the pod has no labels and cannot be exposed";
    } else {
      in.selector = in.labels;
    }
    AddContainerPorts(pod->spec(), &in);
  } else if (const auto* d = dynamic_cast<const apps::v1::Deployment*>(&object)) {
    in.name = d->metadata().name();
    in.labels.insert(d->metadata().labels().begin(), d->metadata().labels().end());
    WorkloadSelector(d->spec().selector(), d->spec().has_selector(), "deployment", &in);
    AddContainerPorts(d->spec().template_().spec(), &in);
  } else if (const auto* rs = dynamic_cast<const apps::v1::ReplicaSet*>(&object)) {
    in.name = rs->metadata().name();
    in.labels.insert(rs->metadata().labels().begin(), rs->metadata().labels().end());
    WorkloadSelector(rs->spec().selector(), rs->spec().has_selector(), "replicaset", &in);
    AddContainerPorts(rs->spec().template_().spec(), &in);
  } else if (const auto* svc = dynamic_cast<const core::v1::Service*>(&object)) {
    in.name = svc->metadata().name();
    in.labels.insert(svc->metadata().labels().begin(), svc->metadata().labels().end());
    if (svc->spec().selector().empty()) {
      in.selector_error = "the service has no pod selector set";
    } else {
      in.selector.insert(svc->spec().selector().begin(), svc->spec().selector().end());
    }
    for (const core::v1::ServicePort& p : svc->spec().ports()) {
      in.ports.push_back(p.port());
      in.protocols.emplace(p.port(), p.protocol().empty() ? "TCP" : p.protocol());
    }
  } else {
    const api::KindInfo* kind = api::Scheme::Default().FindByDescriptor(object.GetDescriptor());
    return absl::InvalidArgumentError(
        absl::StrCat("cannot expose a ", kind != nullptr ? kind->kind : object.GetTypeName()));
  }
  return in;
}

}  // namespace

absl::StatusOr<core::v1::Service> BuildExposeService(const google::protobuf::Message& object,
                                                     const ExposeOptions& o) {
  absl::StatusOr<Introspected> in = Introspect(object);
  if (!in.ok()) return in.status();

  std::map<std::string, std::string> selector;
  if (!o.selector.empty()) {
    absl::StatusOr<std::map<std::string, std::string>> parsed = ParseLabelSpec(o.selector);
    if (!parsed.ok()) return parsed.status();
    selector = *parsed;
  } else if (!in->selector_error.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kNoSelector, in->selector_error));
  } else {
    selector = in->selector;
  }

  std::vector<std::string> port_words;
  if (!o.port.empty()) {
    port_words = absl::StrSplit(o.port, ',');
  } else {
    for (int p : in->ports) port_words.push_back(absl::StrCat(p));
  }
  if (port_words.empty()) {
    return absl::InvalidArgumentError("couldn't find port via --port flag or introspection");
  }

  std::map<std::string, std::string> labels = in->labels;
  if (!o.labels.empty()) {
    absl::StatusOr<std::map<std::string, std::string>> parsed = ParseLabelSpec(o.labels);
    if (!parsed.ok()) return parsed.status();
    labels = *parsed;
  }

  core::v1::Service svc;
  std::string name = o.name.empty() ? in->name : o.name;
  if (name.size() > 63) name.resize(63);
  svc.mutable_metadata()->set_name(name);
  svc.mutable_metadata()->mutable_labels()->insert(labels.begin(), labels.end());
  svc.mutable_spec()->mutable_selector()->insert(selector.begin(), selector.end());
  for (size_t i = 0; i < port_words.size(); ++i) {
    absl::StatusOr<int> port = AtoiLikeGo(port_words[i]);
    if (!port.ok()) return port.status();
    core::v1::ServicePort* sp = svc.mutable_spec()->add_ports();
    if (port_words.size() > 1) sp->set_name(absl::StrCat("port-", i + 1));
    sp->set_port(*port);
    if (!o.protocol.empty()) {
      sp->set_protocol(o.protocol);
    } else {
      auto it = in->protocols.find(*port);
      sp->set_protocol(it != in->protocols.end() ? it->second : "TCP");
    }
    if (o.target_port.empty()) {
      sp->mutable_target_port()->set_int_val(*port);
    } else {
      // As intstr.Parse: a number is a port number, anything else a name.
      absl::StatusOr<int> number = AtoiLikeGo(o.target_port);
      if (number.ok()) {
        sp->mutable_target_port()->set_int_val(*number);
      } else {
        sp->mutable_target_port()->set_str_val(o.target_port);
      }
    }
  }
  if (!o.type.empty()) svc.mutable_spec()->set_type(o.type);
  if (!o.cluster_ip.empty()) svc.mutable_spec()->set_cluster_ip(o.cluster_ip);
  return svc;
}

namespace {

struct ExposeCommandOptions {
  ExposeOptions expose;
  std::vector<std::string> args;
  std::string dry_run = "none";
  std::string output;
};

int ExposeOne(Context& ctx, const ExposeCommandOptions& o, const api::KindInfo& kind,
              const std::string& name) {
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  std::unique_ptr<google::protobuf::Message> object = kind.New();
  absl::Status st =
      (*client)->Get(kind.resource, kind.namespaced ? ctx.Namespace() : "", name, object.get());
  if (!st.ok()) return ctx.Fail(st);
  absl::StatusOr<core::v1::Service> svc = BuildExposeService(*object, o.expose);
  if (!svc.ok()) return ctx.Fail(svc.status());
  core::v1::Service out = *svc;
  if (o.dry_run == "client") {
    if (ctx.NamespaceExplicit()) out.mutable_metadata()->set_namespace_(ctx.Namespace());
  } else {
    svc->mutable_metadata()->set_namespace_(ctx.Namespace());
    st = (*client)->Create("services", ctx.Namespace(), *svc, &out, o.dry_run == "server");
    if (!st.ok()) return ctx.Fail(st);
  }
  PrintWritten(ctx, o.output, "service/" + out.metadata().name(), "exposed", o.dry_run, &out);
  return 0;
}

int RunExpose(Context& ctx, const ExposeCommandOptions& o) {
  if (absl::Status s = CheckDryRun(o.dry_run); !s.ok()) return ctx.Fail(s);
  if (absl::Status s = CheckWriteOutput(o.output); !s.ok()) return ctx.Fail(s);
  if (o.args.empty()) {
    ctx.err() << "error: You must provide one or more resources by argument or filename.\n"
                 "Example resource specifications include:\n"
                 "   '-f rsrc.yaml'\n"
                 "   '--filename=rsrc.json'\n"
                 "   '<resource> <name>'\n"
                 "   '<resource>'\n";
    return 1;
  }
  // TYPE NAME... or TYPE/NAME...
  std::vector<std::pair<const api::KindInfo*, std::string>> targets;
  if (o.args[0].find('/') != std::string::npos) {
    for (const std::string& arg : o.args) {
      absl::StatusOr<std::pair<const api::KindInfo*, std::string>> tn = ParseTypeName(arg);
      if (!tn.ok()) return ctx.Fail(tn.status());
      targets.push_back(*tn);
    }
  } else {
    absl::StatusOr<const api::KindInfo*> kind = ResolveType(o.args[0]);
    if (!kind.ok()) return ctx.Fail(kind.status());
    if (o.args.size() == 1) {
      return ctx.Fail(
          absl::InvalidArgumentError("resource(s) were provided, but no name was specified"));
    }
    for (size_t i = 1; i < o.args.size(); ++i) targets.emplace_back(*kind, o.args[i]);
  }
  int code = 0;
  for (const auto& [kind, name] : targets) {
    if (ExposeOne(ctx, o, *kind, name) != 0) code = 1;
  }
  return code;
}

}  // namespace

void AddExposeCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<ExposeCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "expose",
      "Take a replication controller, service, deployment or pod and expose it as a "
      "new Kubernetes service");
  cmd->add_option("resource", o->args,
                  "TYPE NAME or TYPE/NAME (pod, service, replicaset, "
                  "deployment)");
  cmd->add_option("--port", o->expose.port,
                  "The port that the service should serve on. Copied from the resource being "
                  "exposed, if unspecified");
  cmd->add_option("--target-port", o->expose.target_port,
                  "Name or number for the port on the container that the service should direct "
                  "traffic to. Optional.");
  cmd->add_option("--type", o->expose.type,
                  "Type for this service: ClusterIP, NodePort, LoadBalancer, or ExternalName. "
                  "Default is 'ClusterIP'.");
  cmd->add_option("--name", o->expose.name, "The name for the newly created object.");
  cmd->add_option("--protocol", o->expose.protocol,
                  "The network protocol for the service to be created. Default is 'TCP'.");
  cmd->add_option("--selector", o->expose.selector,
                  "A label selector to use for this service. Only equality-based selector "
                  "requirements are supported. If empty (the default) infer the selector from "
                  "the replication controller or replica set.)");
  cmd->add_option("-l,--labels", o->expose.labels,
                  "Labels to apply to the service created by "
                  "this call.");
  cmd->add_option("--cluster-ip", o->expose.cluster_ip,
                  "ClusterIP to be assigned to the service. Leave empty to auto-allocate, or set "
                  "to 'None' to create a headless service.");
  cmd->add_option("--dry-run", o->dry_run,
                  "Must be \"none\", \"server\", or \"client\". If client strategy, only print "
                  "the object that would be sent, without sending it.")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Output format: yaml, json or name");
  cmd->fallthrough(true);
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunExpose(ctx, *o); });
}

}  // namespace minik8s::kubectl
