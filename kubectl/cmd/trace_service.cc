// mkctl trace service/NAME: the Service, the pods it selects, the history
// of its EndpointSlices and the proxies' programming reports, merged into
// one timeline (printers/trace_service.h).
#include "kubectl/printers/trace_service.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/resource.h"
#include "k8s/discovery/v1/discovery.pb.h"
#include "kubectl/cmd/trace_replay.h"
#include "proxy/programming_report.h"

namespace minik8s::kubectl {
namespace {

constexpr char kServiceNameLabel[] = "kubernetes.io/service-name";

}  // namespace

int RunTraceService(Context& ctx, const std::string& name) {
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  client::ApiClient& api = **client;
  const std::string ns = ctx.Namespace();
  ServiceTraceInput input;
  if (absl::Status st = api.Get("services", ns, name, &input.service); !st.ok()) {
    return ctx.Fail(st);
  }
  const auto& selector = input.service.spec().selector();
  if (!selector.empty()) {
    std::vector<std::string> terms;
    for (const auto& [k, v] : selector) terms.push_back(absl::StrCat(k, "=", v));
    std::sort(terms.begin(), terms.end());
    client::ListOptions options;
    options.label_selector = absl::StrJoin(terms, ",");
    absl::StatusOr<client::ObjectList> pods =
        api.List("pods", ns, options, core::v1::Pod::default_instance());
    if (!pods.ok()) return ctx.Fail(pods.status());
    for (const auto& item : pods->items) {
      input.pods.push_back(static_cast<const core::v1::Pod&>(*item));
    }
  }
  client::ListOptions slice_options;
  slice_options.label_selector = absl::StrCat(kServiceNameLabel, "=", name);
  absl::StatusOr<client::ObjectList> slices = api.List(
      "endpointslices", ns, slice_options, discovery::v1::EndpointSlice::default_instance());
  if (!slices.ok()) return ctx.Fail(slices.status());
  std::map<std::string, std::string> current;
  std::vector<discovery::v1::EndpointSlice> now;
  for (const auto& item : slices->items) {
    const auto& s = static_cast<const discovery::v1::EndpointSlice&>(*item);
    current[s.metadata().uid()] = s.metadata().resource_version();
    now.push_back(s);
  }
  // The store's history of the slices: every version since the oldest
  // revision the apiserver keeps.
  if (!current.empty()) {
    absl::StatusOr<int64_t> from =
        Replay(api, ns, "endpointslices", discovery::v1::EndpointSlice::default_instance(), current,
               [&](const client::WatchEvent& e) {
                 const auto& s = static_cast<const discovery::v1::EndpointSlice&>(*e.object);
                 auto label = s.metadata().labels().find(kServiceNameLabel);
                 if (label == s.metadata().labels().end() || label->second != name) return;
                 if (e.type == client::WatchEventType::kAdded) {
                   input.slices_created.insert(s.metadata().name());
                 }
                 if (e.type == client::WatchEventType::kAdded ||
                     e.type == client::WatchEventType::kModified) {
                   input.slice_versions.push_back(s);
                 } else if (e.type == client::WatchEventType::kDeleted) {
                   int64_t rv = 0;
                   if (absl::SimpleAtoi(s.metadata().resource_version(), &rv)) {
                     input.slices_deleted[s.metadata().name()] = rv;
                   }
                 }
               });
    if (!from.ok()) {
      input.note = absl::StrCat("the store's history could not be read: ", from.status().message());
    } else if (*from > 1) {
      input.note = absl::StrCat("the apiserver's history starts after revision ", *from,
                                ": older slice versions were compacted or predate its cache");
    }
  }
  for (auto& s : now) input.slice_versions.push_back(std::move(s));

  absl::StatusOr<client::ObjectList> events =
      api.List("events", ns, {}, core::v1::Event::default_instance());
  if (!events.ok()) return ctx.Fail(events.status());
  for (const auto& item : events->items) {
    const auto& e = static_cast<const core::v1::Event&>(*item);
    if (e.involved_object().uid() != input.service.metadata().uid()) continue;
    if (e.reason() != proxy::kReasonEndpointsProgrammed) continue;
    absl::StatusOr<proxy::ProgrammingReport> report = proxy::ReportFromEvent(e);
    if (report.ok()) input.reports.push_back(*std::move(report));
  }
  // The nodes, to name those whose proxy has not reported (optional: a user
  // who may not list nodes gets the reporting nodes only).
  absl::StatusOr<client::ObjectList> nodes =
      api.List("nodes", "", {}, core::v1::Node::default_instance());
  if (nodes.ok()) {
    for (const auto& item : nodes->items) {
      input.nodes.push_back(client::MetaOf(*item).name());
    }
  }
  ctx.out() << RenderServiceTrace(input, ctx.Now());
  return 0;
}

}  // namespace minik8s::kubectl
