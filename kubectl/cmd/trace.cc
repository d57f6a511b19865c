// mkctl trace deployment/NAME | rs/NAME | pod/NAME: the object, what it
// owns, and the timeline of how it came to be (printers/trace.h).
#include "kubectl/printers/trace.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "api/errors.h"
#include "client/resource.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/related.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/cmd/trace_replay.h"

namespace minik8s::kubectl {
namespace {

// How long a replay may take per resource before what it saw is used as is.
constexpr absl::Duration kReplayDeadline = absl::Seconds(3);

// The revision in `too old resource version: R (W)`: W, where the server's
// history starts; 0 when the message has no such number.
int64_t WindowStart(const absl::Status& status) {
  absl::string_view m = status.message();
  const size_t open = m.rfind('(');
  const size_t close = m.rfind(')');
  int64_t w = 0;
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open ||
      !absl::SimpleAtoi(m.substr(open + 1, close - open - 1), &w)) {
    return 0;
  }
  return w;
}

}  // namespace

// Replays the history of `resource` in `ns`: a watch from the oldest
// revision the server still has, read until every object of `current`
// (uid → its resourceVersion now) was seen at that version, or the deadline.
// Calls `seen` for each event with an object, in revision order. Returns the
// revision the replay started after.
absl::StatusOr<int64_t> Replay(client::ApiClient& client, const std::string& ns,
                               const std::string& resource,
                               const google::protobuf::Message& prototype,
                               std::map<std::string, std::string> current,
                               const std::function<void(const client::WatchEvent&)>& seen) {
  client::WatchOptions options;
  options.allow_bookmarks = false;
  int64_t from = 1;
  for (int attempt = 0; attempt < 3; ++attempt) {
    options.resource_version = absl::StrCat(from);
    absl::StatusOr<std::unique_ptr<client::WatchStream>> w =
        client.Watch(resource, ns, options, prototype);
    absl::Status gone;
    if (!w.ok()) {
      gone = w.status();
    } else {
      client::WatchStream* stream = w->get();
      absl::Notification done;
      std::thread deadline([&done, stream] {
        if (!done.WaitForNotificationWithTimeout(kReplayDeadline)) stream->Cancel();
      });
      client::WatchEvent e;
      bool first = true;
      while (!current.empty() && stream->Next(&e)) {
        if (e.type == client::WatchEventType::kError) {
          // A too old version comes as the stream's first event.
          if (first) gone = e.error;
          break;
        }
        first = false;
        if (e.object == nullptr) continue;
        seen(e);
        const auto& meta = client::MetaOf(*e.object);
        auto it = current.find(meta.uid());
        if (it != current.end() && it->second == meta.resource_version()) current.erase(it);
      }
      done.Notify();
      deadline.join();
      stream->Cancel();
      if (gone.ok() && first && !stream->status().ok()) gone = stream->status();
      if (gone.ok()) return from;
    }
    if (!api::IsGone(gone) || WindowStart(gone) <= from) return gone;
    from = WindowStart(gone);
  }
  return absl::OutOfRangeError("the store's history moved on while being read");
}

namespace {

// Fills input->history from a replay of the deployments, replica sets and
// pods of `ns`. Failures only make the order approximate: they become the
// note.
void ReplayHistory(client::ApiClient& client, const std::string& ns, TraceInput* input) {
  TraceHistory& h = input->history;
  int64_t latest_start = 0;
  auto record = [&h](const client::WatchEvent& e) {
    if (e.type == client::WatchEventType::kAdded) {
      const auto& meta = client::MetaOf(*e.object);
      int64_t rv = 0;
      if (absl::SimpleAtoi(meta.resource_version(), &rv)) h.created.emplace(meta.uid(), rv);
    }
  };
  auto run = [&](const std::string& resource, const google::protobuf::Message& prototype,
                 std::map<std::string, std::string> current,
                 const std::function<void(const client::WatchEvent&)>& seen) {
    if (current.empty() || !h.note.empty()) return;
    absl::StatusOr<int64_t> from = Replay(client, ns, resource, prototype, current, seen);
    if (!from.ok()) {
      h.note = absl::StrCat("the store's history could not be read: ", from.status().message());
      return;
    }
    latest_start = std::max(latest_start, *from);
  };
  std::map<std::string, std::string> deployments, sets, pods;
  for (const auto& d : input->deployments) {
    deployments[d.metadata().uid()] = d.metadata().resource_version();
  }
  for (const auto& rs : input->replica_sets) {
    sets[rs.metadata().uid()] = rs.metadata().resource_version();
  }
  for (const auto& p : input->pods) pods[p.metadata().uid()] = p.metadata().resource_version();
  run("deployments", apps::v1::Deployment::default_instance(), deployments, record);
  run("replicasets", apps::v1::ReplicaSet::default_instance(), sets, record);
  run("pods", core::v1::Pod::default_instance(), pods, [&](const client::WatchEvent& e) {
    record(e);
    if (e.type == client::WatchEventType::kAdded || e.type == client::WatchEventType::kModified) {
      h.pod_versions.push_back(static_cast<const core::v1::Pod&>(*e.object));
    }
  });
  if (h.note.empty() && latest_start > 1) {
    h.note = absl::StrCat("the apiserver's history starts after revision ", latest_start,
                          ": older writes were compacted or predate its cache");
  }
}

int RunTrace(Context& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(args);
  if (!requests.ok()) return ctx.Fail(requests.status());
  if (requests->size() != 1 || (*requests)[0].names.size() != 1) {
    return ctx.Fail(absl::InvalidArgumentError(
        "trace needs exactly one object: deployment/NAME, replicaset/NAME, pod/NAME or "
        "service/NAME"));
  }
  const api::KindInfo& kind = *(*requests)[0].kind;
  const std::string name = (*requests)[0].names[0];
  if (kind.kind == "Service") return RunTraceService(ctx, name);
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
        "cannot trace ", kind.GroupResource(), ": use a deployment, replicaset, pod or service")));
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
  ReplayHistory(**client, ns, &input);
  ctx.out() << RenderTrace(input, ctx.Now());
  return 0;
}

}  // namespace

void AddTraceCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "trace",
      "Show how an object came to be: its owned objects and the timeline of their "
      "creation, scheduling, start and readiness, with the component of each step. "
      "service/NAME: when the Service was created and its clusterIP allocated, when each "
      "selected pod became Ready, each EndpointSlice write that changed its ready endpoints "
      "(at the slice's endpoints.kubernetes.io/last-change-trigger-time) and when each node's "
      "proxy programmed them (from the proxies' EndpointsProgrammed events), with the time "
      "after the previous step; then per endpoint how many nodes programmed it and how long "
      "after Ready the last one did");
  cmd->add_option("object", *args, "deployment/NAME, replicaset/NAME, pod/NAME or service/NAME")
      ->required();
  cmd->callback([&ctx, &exit_code, args] { exit_code = RunTrace(ctx, *args); });
}

}  // namespace minik8s::kubectl
