// mkctl logs POD|TYPE/NAME [-c CONTAINER] [-f] [--previous] [--tail N].
// Resolves the pod and container as kubectl does, checks the container's
// state as the apiserver and kubelet would, then streams the log from the
// node's kubelet (logs/log_source.h).
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "k8s/apps/v1/apps.pb.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/related.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/logs/log_source.h"

namespace minik8s::kubectl {
namespace {

struct LogsOptions {
  std::vector<std::string> args;
  std::string container;
  bool follow = false;
  bool previous = false;
  bool timestamps = false;
  int64_t tail = -1;
  std::string since;
};

// The pod for `deployment/x` or `rs/x`: the first of its pods by name.
absl::StatusOr<core::v1::Pod> PodForController(client::ApiClient& client, const std::string& ns,
                                               const api::KindInfo& kind, const std::string& name) {
  std::string rs_uid;
  if (kind.kind == "Deployment") {
    apps::v1::Deployment d;
    absl::Status st = client.Get("deployments", ns, name, &d);
    if (!st.ok()) return st;
    absl::StatusOr<std::vector<apps::v1::ReplicaSet>> sets =
        ReplicaSetsOwnedBy(client, ns, d.metadata().uid());
    if (!sets.ok()) return sets.status();
    for (const auto& rs : *sets) {
      absl::StatusOr<std::vector<core::v1::Pod>> pods =
          PodsOwnedBy(client, ns, rs.metadata().uid());
      if (pods.ok() && !pods->empty()) return pods->front();
    }
  } else if (kind.kind == "ReplicaSet") {
    apps::v1::ReplicaSet rs;
    absl::Status st = client.Get("replicasets", ns, name, &rs);
    if (!st.ok()) return st;
    absl::StatusOr<std::vector<core::v1::Pod>> pods = PodsOwnedBy(client, ns, rs.metadata().uid());
    if (!pods.ok()) return pods.status();
    if (!pods->empty()) return pods->front();
  } else {
    return absl::InvalidArgumentError(absl::StrCat("cannot get logs of ", kind.GroupResource(),
                                                   ": use a pod, deployment or replicaset"));
  }
  return absl::NotFoundError(
      absl::StrCat("no pods found for ", kind.GroupResource(), " \"", name, "\""));
}

bool HasContainerNamed(const core::v1::Pod& pod, const std::string& name) {
  for (const auto& c : pod.spec().init_containers()) {
    if (c.name() == name) return true;
  }
  for (const auto& c : pod.spec().containers()) {
    if (c.name() == name) return true;
  }
  return false;
}

int RunLogs(Context& ctx, const LogsOptions& o) {
  if (o.args.empty() || o.args.size() > 2) {
    return ctx.Fail(absl::InvalidArgumentError(
        "expected POD or TYPE/NAME is a required argument for the logs command"));
  }
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  const std::string ns = ctx.Namespace();
  core::v1::Pod pod;
  const std::string& target = o.args[0];
  if (target.find('/') != std::string::npos) {
    absl::StatusOr<std::pair<const api::KindInfo*, std::string>> tn = ParseTypeName(target);
    if (!tn.ok()) return ctx.Fail(tn.status());
    if (tn->first->kind == "Pod") {
      absl::Status st = (*client)->Get("pods", ns, tn->second, &pod);
      if (!st.ok()) return ctx.Fail(st);
    } else {
      absl::StatusOr<core::v1::Pod> p = PodForController(**client, ns, *tn->first, tn->second);
      if (!p.ok()) return ctx.Fail(p.status());
      pod = *p;
    }
  } else {
    absl::Status st = (*client)->Get("pods", ns, target, &pod);
    if (!st.ok()) return ctx.Fail(st);
  }
  std::string container = o.container;
  if (container.empty() && o.args.size() == 2) container = o.args[1];
  if (container.empty()) {
    // As kubectl: the kubectl.kubernetes.io/default-container annotation,
    // else the first container, saying so when there was a choice.
    const auto& annotations = pod.metadata().annotations();
    auto annotated = annotations.find("kubectl.kubernetes.io/default-container");
    if (annotated != annotations.end() && !annotated->second.empty()) {
      if (HasContainerNamed(pod, annotated->second)) {
        container = annotated->second;
      } else {
        ctx.err() << "Default container name \"" << annotated->second << "\" not found in pod "
                  << pod.metadata().name() << "\n";
      }
    }
  }
  if (container.empty()) {
    if (pod.spec().containers().empty()) {
      return ctx.Fail(absl::InvalidArgumentError(
          absl::StrCat("pod ", pod.metadata().name(), " has no containers")));
    }
    container = pod.spec().containers(0).name();
    if (pod.spec().containers_size() > 1 || pod.spec().init_containers_size() > 0) {
      std::vector<std::string> names;
      for (const auto& c : pod.spec().init_containers()) names.push_back(c.name() + " (init)");
      for (const auto& c : pod.spec().containers()) names.push_back(c.name());
      ctx.err() << "Defaulted container \"" << container
                << "\" out of: " << absl::StrJoin(names, ", ") << "\n";
    }
  } else if (!HasContainerNamed(pod, container)) {
    return ctx.Fail(absl::InvalidArgumentError(
        absl::StrCat("container ", container, " is not valid for pod ", pod.metadata().name())));
  }
  absl::Status checked = CheckLogRequest(pod, container, o.previous);
  if (!checked.ok()) return ctx.Fail(checked);
  LogRequest request;
  request.namespace_ = ns;
  request.pod = pod.metadata().name();
  request.container = container;
  request.node = pod.spec().node_name();
  request.follow = o.follow;
  request.previous = o.previous;
  request.timestamps = o.timestamps;
  if (o.tail >= 0) request.tail_lines = o.tail;
  if (!o.since.empty()) {
    absl::Duration since;
    if (!absl::ParseDuration(o.since, &since) || since <= absl::ZeroDuration()) {
      return ctx.Fail(absl::InvalidArgumentError(
          absl::StrCat("invalid argument \"", o.since, "\" for \"--since\" flag")));
    }
    request.since = since;
  }
  std::unique_ptr<LogSource> source = NewKubeletLogSource(*client);
  absl::Status st = source->Stream(request, [&ctx](absl::string_view chunk) {
    ctx.out() << chunk;
    ctx.out().flush();
    return true;
  });
  if (!st.ok()) return ctx.Fail(st);
  return 0;
}

}  // namespace

void AddLogsCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<LogsOptions>();
  CLI::App* cmd = app.add_subcommand("logs", "Print the logs for a container in a pod");
  cmd->add_option("target", o->args, "POD [CONTAINER] or TYPE/NAME (deployment/x, rs/x, pod/x)");
  cmd->add_option("-c,--container", o->container, "Print the logs of this container");
  cmd->add_flag("-f,--follow", o->follow, "Specify if the logs should be streamed.");
  cmd->add_flag("-p,--previous", o->previous,
                "If true, print the logs for the previous instance of the container in a pod "
                "if it exists.");
  cmd->add_flag("--timestamps", o->timestamps, "Include timestamps on each line in the log output");
  cmd->add_option("--tail", o->tail,
                  "Lines of recent log file to display. Defaults to -1 (all lines).")
      ->capture_default_str();
  cmd->add_option("--since", o->since,
                  "Only return logs newer than a relative duration like 5s, 2m, or 3h.");
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunLogs(ctx, *o); });
}

}  // namespace minik8s::kubectl
