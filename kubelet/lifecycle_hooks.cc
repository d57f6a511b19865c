#include "kubelet/lifecycle_hooks.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/go_quote.h"
#include "kubelet/net_probe.h"
#include "kubelet/prober.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;
namespace cri = ::minik8s::cri::v1;

// Whole seconds for the CRI, rounded up; 0 (no limit) for Infinite.
int64_t CriSeconds(absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return 0;
  return std::max<int64_t>(1, CeilSeconds(timeout));
}

// An error for the message, nullopt on success.
std::optional<std::string> RunExec(runtime::RuntimeClient* runtime, const core::ExecAction& exec,
                                   const HookTarget& target, absl::Duration timeout,
                                   std::string* output) {
  cri::ExecSyncRequest req;
  req.set_container_id(target.container_id);
  for (const std::string& arg : exec.command()) req.add_cmd(arg);
  req.set_timeout(CriSeconds(timeout));
  absl::StatusOr<cri::ExecSyncResponse> resp = runtime->ExecSync(req);
  if (!resp.ok()) return std::string(resp.status().message());
  *output = resp->stdout() + resp->stderr();
  // The output goes into an Event: at most 10 KiB of it, as Kubernetes'
  // probes keep (a command may print without end).
  constexpr size_t kMaxOutput = 10 * 1024;
  if (output->size() > kMaxOutput) output->resize(kMaxOutput);
  if (resp->exit_code() == 0) return std::nullopt;
  return absl::StrCat("command '", absl::StrJoin(exec.command(), " "), "' exited with ",
                      resp->exit_code(), ": ",
                      absl::string_view(resp->stderr()).substr(0, kMaxOutput));
}

std::optional<std::string> RunHttpGet(const core::HTTPGetAction& get, const HookTarget& target,
                                      absl::Duration timeout) {
  const std::string host = get.host().empty() ? target.pod_ip : get.host();
  if (host.empty()) return "failed to find networking container: the pod has no IP";
  // Nobody answers on a simulated address: the hook succeeds there.
  if (get.host().empty() && !IsLoopbackIpv4(host)) return std::nullopt;
  std::optional<int> port = ResolveProbePort(get.port(), target.container);
  if (!port.has_value()) {
    return absl::StrCat("couldn't find port: ", get.port().str_val(), " in ",
                        target.container->name());
  }
  HttpProbeRequest req;
  req.host = host;
  req.port = *port;
  req.path = get.path();
  for (const auto& header : get.http_headers())
    req.headers.emplace_back(header.name(), header.value());
  // Any answer will do: Kubernetes reads and drops the body, whatever the
  // status; only a request that gets no answer fails.
  const absl::Duration limit = timeout == absl::InfiniteDuration()
                                   ? absl::Seconds(10)
                                   : std::min(timeout, absl::Seconds(10));
  NetProbeOutcome out = HttpProbe(req, limit);
  if (out.success || out.http_status != 0) return std::nullopt;
  return out.message;
}

// Waits `seconds` on the clock, at most `timeout`.
void Sleep(common::Clock* clock, int64_t seconds, absl::Duration timeout) {
  absl::Mutex mu;
  const bool never = false;
  absl::MutexLock lock(&mu);
  clock->AwaitWithDeadline(&mu, absl::Condition(&never),
                           clock->Now() + std::min(absl::Seconds(seconds), timeout));
}

}  // namespace

int64_t CeilSeconds(absl::Duration d) {
  return std::max<int64_t>(0, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(d))));
}

std::string PodForMessages(const core::Pod& pod) {
  return absl::StrCat(pod.metadata().name(), "_", pod.metadata().namespace_(), "(",
                      pod.metadata().uid(), ")");
}

std::optional<std::string> RunLifecycleHook(runtime::RuntimeClient* runtime, common::Clock* clock,
                                            const core::LifecycleHandler& handler,
                                            const HookTarget& target, absl::Duration timeout) {
  const std::string& container = target.container->name();
  const std::string pod = PodForMessages(*target.pod);
  if (handler.has_exec()) {
    std::string output;
    std::optional<std::string> error = RunExec(runtime, handler.exec(), target, timeout, &output);
    if (!error.has_value()) return std::nullopt;
    return absl::StrCat("Exec lifecycle hook ([", absl::StrJoin(handler.exec().command(), " "),
                        "]) for Container ", common::GoQuote(container), " in Pod ",
                        common::GoQuote(pod), " failed - error: ", *error,
                        ", message: ", common::GoQuote(output));
  }
  if (handler.has_http_get()) {
    std::optional<std::string> error = RunHttpGet(handler.http_get(), target, timeout);
    if (!error.has_value()) return std::nullopt;
    return absl::StrCat("HTTP lifecycle hook (", handler.http_get().path(), ") for Container ",
                        common::GoQuote(container), " in Pod ", common::GoQuote(pod),
                        " failed - error: ", *error);
  }
  if (handler.has_sleep()) {
    Sleep(clock, handler.sleep().seconds(), timeout);
    return std::nullopt;
  }
  return absl::StrCat("Cannot run handler: invalid handler: ",
                      handler.has_tcp_socket() ? "tcpSocket is not supported as a lifecycle handler"
                                               : "no action (exec, httpGet or sleep)");
}

}  // namespace minik8s::kubelet
