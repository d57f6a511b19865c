// mkctl logs POD|TYPE/NAME|-l SELECTOR [-c CONTAINER] [--all-containers]
// [--prefix] [-f] [--max-log-requests N] [--previous] [--tail N].
// Resolves the pods and containers as kubectl does, checks the container's
// state as the apiserver and kubelet would, then streams the log from the
// node's kubelet (logs/log_source.h).
#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "k8s/apps/v1/apps.pb.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/related.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/logs/log_source.h"
#include "kubectl/logs/multi_logs.h"

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
  std::string selector;
  bool prefix = false;
  bool all_containers = false;
  int max_log_requests = kDefaultMaxLogRequests;
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

// The container to read in `pod` when --all-containers is not given:
// -c or the second argument, else as kubectl: the
// kubectl.kubernetes.io/default-container annotation, else the first
// container, saying so when there was a choice.
absl::StatusOr<std::string> ResolveContainer(Context& ctx, const LogsOptions& o,
                                             const core::v1::Pod& pod) {
  std::string container = o.container;
  if (container.empty() && o.args.size() == 2) container = o.args[1];
  if (container.empty()) {
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
      return absl::InvalidArgumentError(
          absl::StrCat("pod ", pod.metadata().name(), " has no containers"));
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
    return absl::InvalidArgumentError(
        absl::StrCat("container ", container, " is not valid for pod ", pod.metadata().name()));
  }
  return container;
}

// The pods the arguments name: those matching -l, or the one pod of
// POD / TYPE/NAME.
absl::StatusOr<std::vector<core::v1::Pod>> SelectPods(client::ApiClient& client,
                                                      const std::string& ns, const LogsOptions& o) {
  if (!o.selector.empty()) {
    client::ListOptions options;
    options.label_selector = o.selector;
    absl::StatusOr<client::ObjectList> list =
        client.List("pods", ns, options, core::v1::Pod::default_instance());
    if (!list.ok()) return list.status();
    std::vector<core::v1::Pod> pods;
    for (const auto& item : list->items) pods.push_back(static_cast<const core::v1::Pod&>(*item));
    std::sort(pods.begin(), pods.end(), [](const core::v1::Pod& a, const core::v1::Pod& b) {
      return a.metadata().name() < b.metadata().name();
    });
    return pods;
  }
  core::v1::Pod pod;
  const std::string& target = o.args[0];
  if (target.find('/') != std::string::npos) {
    absl::StatusOr<std::pair<const api::KindInfo*, std::string>> tn = ParseTypeName(target);
    if (!tn.ok()) return tn.status();
    if (tn->first->kind == "Pod") {
      absl::Status st = client.Get("pods", ns, tn->second, &pod);
      if (!st.ok()) return st;
    } else {
      absl::StatusOr<core::v1::Pod> p = PodForController(client, ns, *tn->first, tn->second);
      if (!p.ok()) return p.status();
      pod = *p;
    }
  } else {
    absl::Status st = client.Get("pods", ns, target, &pod);
    if (!st.ok()) return st;
  }
  return std::vector<core::v1::Pod>{pod};
}

struct LogStream {
  core::v1::Pod pod;
  LogRequest request;
};

// Streams one container's log to ctx.out(), prefixed when asked;
// `out_mu` serializes the writes of streams followed at once.
absl::Status StreamOne(Context& ctx, client::ApiClient* client, const LogsOptions& o,
                       const LogStream& s, std::mutex& out_mu) {
  absl::Status checked = CheckLogRequest(s.pod, s.request.container, o.previous);
  if (!checked.ok()) return checked;
  LinePrefixer prefixer(o.prefix ? LogPrefix(s.request.pod, s.request.container) : "");
  std::unique_ptr<LogSource> source = NewKubeletLogSource(client);
  return source->Stream(s.request, [&](absl::string_view chunk) {
    std::lock_guard<std::mutex> lock(out_mu);
    if (o.prefix) {
      ctx.out() << prefixer.Apply(chunk);
    } else {
      ctx.out() << chunk;
    }
    ctx.out().flush();
    return true;
  });
}

int RunLogs(Context& ctx, const LogsOptions& o) {
  absl::Status selection = CheckLogsSelection(!o.args.empty(), o.selector);
  if (!selection.ok()) return ctx.Fail(selection);
  if (o.selector.empty() && (o.args.empty() || o.args.size() > 2)) {
    return ctx.Fail(absl::InvalidArgumentError(
        "expected POD or TYPE/NAME is a required argument for the logs command"));
  }
  absl::Duration since;
  if (!o.since.empty()) {
    if (!absl::ParseDuration(o.since, &since) || since <= absl::ZeroDuration()) {
      return ctx.Fail(absl::InvalidArgumentError(
          absl::StrCat("invalid argument \"", o.since, "\" for \"--since\" flag")));
    }
  }
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  const std::string ns = ctx.Namespace();
  absl::StatusOr<std::vector<core::v1::Pod>> pods = SelectPods(**client, ns, o);
  if (!pods.ok()) return ctx.Fail(pods.status());
  if (pods->empty()) {
    ctx.err() << "No resources found in " << ns << " namespace.\n";
    return 0;
  }
  const int64_t tail = EffectiveTail(o.tail, !o.selector.empty());
  std::vector<LogStream> streams;
  for (const core::v1::Pod& pod : *pods) {
    std::vector<std::string> containers;
    if (o.all_containers) {
      containers = AllContainerNames(pod);
    } else {
      absl::StatusOr<std::string> container = ResolveContainer(ctx, o, pod);
      if (!container.ok()) return ctx.Fail(container.status());
      containers.push_back(*container);
    }
    for (const std::string& container : containers) {
      LogStream s;
      s.pod = pod;
      s.request.namespace_ = ns;
      s.request.pod = pod.metadata().name();
      s.request.container = container;
      s.request.node = pod.spec().node_name();
      s.request.follow = o.follow;
      s.request.previous = o.previous;
      s.request.timestamps = o.timestamps;
      if (tail >= 0) s.request.tail_lines = tail;
      if (!o.since.empty()) s.request.since = since;
      streams.push_back(std::move(s));
    }
  }
  absl::Status concurrency = CheckFollowConcurrency(o.follow, streams.size(), o.max_log_requests);
  if (!concurrency.ok()) return ctx.Fail(concurrency);
  std::mutex out_mu;
  if (!o.follow || streams.size() == 1) {
    // One container after the other, stopping at the first error.
    for (const LogStream& s : streams) {
      absl::Status st = StreamOne(ctx, *client, o, s, out_mu);
      if (!st.ok()) return ctx.Fail(st);
    }
    return 0;
  }
  // Followed at once: a thread per stream; the first error is reported
  // once every stream has ended.
  for (const LogStream& s : streams) {
    absl::Status checked = CheckLogRequest(s.pod, s.request.container, o.previous);
    if (!checked.ok()) return ctx.Fail(checked);
  }
  std::vector<absl::Status> results(streams.size());
  std::vector<std::thread> threads;
  threads.reserve(streams.size());
  for (size_t i = 0; i < streams.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = StreamOne(ctx, *client, o, streams[i], out_mu); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& st : results) {
    if (!st.ok()) return ctx.Fail(st);
  }
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
                  "Lines of recent log file to display. Defaults to -1 with no selector, "
                  "showing all log lines otherwise 10, if a selector is provided.")
      ->capture_default_str();
  cmd->add_option("-l,--selector", o->selector,
                  "Selector (label query) to filter on, supports '=', '==', '!=', 'in', "
                  "'notin'.(e.g. -l key1=value1,key2=value2,key3 in (value3)). Matching "
                  "objects must satisfy all of the specified label constraints.");
  cmd->add_flag("--prefix", o->prefix,
                "Prefix each log line with the log source (pod name and container name)");
  cmd->add_flag("--all-containers", o->all_containers, "Get all containers' logs in the pod(s).");
  cmd->add_option("--max-log-requests", o->max_log_requests,
                  "Specify maximum number of concurrent logs to follow when using by a "
                  "selector. Defaults to 5.")
      ->capture_default_str();
  cmd->add_option("--since", o->since,
                  "Only return logs newer than a relative duration like 5s, 2m, or 3h.");
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunLogs(ctx, *o); });
}

}  // namespace minik8s::kubectl
