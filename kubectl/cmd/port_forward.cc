// mkctl port-forward TYPE/NAME [LOCAL_PORT:]REMOTE_PORT [...] [--address]:
// picks the pod as kubectl does (pod/NAME or NAME; deployment, replicaset
// and service through their selector, preferring a running, ready pod),
// translates the ports (port_forward.h), checks the pod runs, then relays
// local connections through the kubelet of the pod's node
// (portforward/kubelet_forwarder.h) until SIGINT or SIGTERM.
#include "kubectl/cmd/port_forward.h"

#include <arpa/inet.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/selector/labels.h"
#include "client/pod_logs.h"
#include "k8s/apps/v1/apps.pb.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/portforward/kubelet_forwarder.h"

namespace minik8s::kubectl {
namespace {

bool IsNumber(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// kubectl's util.LookupContainerPortNumberByName.
absl::StatusOr<int> ContainerPortByName(const core::v1::Pod& pod, const std::string& name) {
  for (const auto& c : pod.spec().containers()) {
    for (const auto& p : c.ports()) {
      if (p.name() == name) return p.container_port();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("Pod '", pod.metadata().name(), "' does not have a named port '", name, "'"));
}

// Go's strconv.ParseUint(s, 10, 16) error text.
absl::StatusOr<int> ParsePort(const std::string& s) {
  uint32_t v = 0;
  if (!IsNumber(s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("strconv.ParseUint: parsing \"", s, "\": invalid syntax"));
  }
  if (!absl::SimpleAtoi(s, &v) || v > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("strconv.ParseUint: parsing \"", s, "\": value out of range"));
  }
  return static_cast<int>(v);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> TranslatePortSpecs(const std::vector<std::string>& specs,
                                                            const core::v1::Pod& pod,
                                                            const core::v1::Service* svc) {
  std::vector<std::string> out;
  for (const std::string& spec : specs) {
    std::vector<std::string> parts = absl::StrSplit(spec, ':');
    if (parts.size() > 2) return absl::InvalidArgumentError("invalid port format '" + spec + "'");
    const bool has_local = parts.size() == 2;
    std::string local = parts[0];
    std::string remote = has_local ? parts[1] : parts[0];
    if (svc != nullptr) {
      int service_port = 0;
      if (IsNumber(remote)) {
        if (!absl::SimpleAtoi(remote, &service_port)) service_port = -1;
      } else {
        bool found = false;
        for (const auto& p : svc->spec().ports()) {
          if (p.name() == remote) {
            service_port = p.port();
            found = true;
          }
        }
        if (!found) {
          return absl::InvalidArgumentError(absl::StrCat(
              "Service '", svc->metadata().name(), "' does not have a named port '", remote, "'"));
        }
      }
      const core::v1::ServicePort* matched = nullptr;
      for (const auto& p : svc->spec().ports()) {
        if (p.port() == service_port) matched = &p;
      }
      if (matched == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Service ", svc->metadata().name(), " does not have a service port ", service_port));
      }
      int target = service_port;
      const auto& tp = matched->target_port();
      if (tp.has_str_val()) {
        if (IsNumber(tp.str_val())) {
          if (!absl::SimpleAtoi(tp.str_val(), &target)) target = 0;
        } else {
          absl::StatusOr<int> named = ContainerPortByName(pod, tp.str_val());
          if (!named.ok()) return named.status();
          target = *named;
        }
      } else if (tp.has_int_val() && tp.int_val() != 0) {
        target = tp.int_val();
      }
      if (!has_local) local = absl::StrCat(service_port);
      out.push_back(absl::StrCat(local, ":", target));
      continue;
    }
    if (!IsNumber(remote)) {
      absl::StatusOr<int> named = ContainerPortByName(pod, remote);
      if (!named.ok()) return named.status();
      remote = absl::StrCat(*named);
      if (!has_local) local = remote;
    }
    out.push_back(has_local ? absl::StrCat(local, ":", remote) : remote);
  }
  return out;
}

absl::StatusOr<std::vector<ForwardedPort>> ParsePortSpecs(const std::vector<std::string>& specs) {
  std::vector<ForwardedPort> ports;
  for (const std::string& spec : specs) {
    std::vector<std::string> parts = absl::StrSplit(spec, ':');
    std::string local, remote;
    if (parts.size() == 1) {
      local = remote = parts[0];
    } else if (parts.size() == 2) {
      local = parts[0].empty() ? "0" : parts[0];
      remote = parts[1];
    } else {
      return absl::InvalidArgumentError("invalid port format '" + spec + "'");
    }
    absl::StatusOr<int> l = ParsePort(local);
    if (!l.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Error parsing local port '", local, "': ", l.status().message()));
    }
    absl::StatusOr<int> r = ParsePort(remote);
    if (!r.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Error parsing remote port '", remote, "': ", r.status().message()));
    }
    if (*r == 0) return absl::InvalidArgumentError("remote port must be > 0");
    ports.push_back({*l, *r});
  }
  return ports;
}

absl::StatusOr<std::vector<std::string>> ParseListenAddresses(const std::string& flag) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(flag, ',', absl::SkipEmpty())) {
    std::string address = part == "localhost" ? "127.0.0.1" : std::string(part);
    in_addr parsed{};
    if (inet_pton(AF_INET, address.c_str(), &parsed) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(part, " is not a valid IP"));
    }
    if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
  }
  if (out.empty()) return absl::InvalidArgumentError("--address must not be empty");
  return out;
}

namespace {

struct PortForwardOptions {
  std::vector<std::string> args;
  std::string address = "localhost";
};

// kubectl's choice among a selector's pods: running and ready first, then
// running, then the rest; by name within each.
int Rank(const core::v1::Pod& pod) {
  if (pod.status().phase() != "Running") return 2;
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == "Ready" && c.status() == "True") return 0;
  }
  return 1;
}

absl::StatusOr<core::v1::Pod> PodForSelector(client::ApiClient& client, const std::string& ns,
                                             const std::string& selector, const std::string& what) {
  client::ListOptions options;
  options.label_selector = selector;
  absl::StatusOr<client::ObjectList> list =
      client.List("pods", ns, options, core::v1::Pod::default_instance());
  if (!list.ok()) return list.status();
  const core::v1::Pod* best = nullptr;
  for (const auto& item : list->items) {
    const auto& pod = static_cast<const core::v1::Pod&>(*item);
    if (pod.metadata().has_deletion_timestamp()) continue;
    if (best == nullptr || Rank(pod) < Rank(*best) ||
        (Rank(pod) == Rank(*best) && pod.metadata().name() < best->metadata().name())) {
      best = &pod;
    }
  }
  if (best == nullptr) return absl::NotFoundError(absl::StrCat("no pods found for ", what));
  return *best;
}

// The pod `target` names, and the Service when it names one.
absl::StatusOr<core::v1::Pod> ResolvePod(client::ApiClient& client, const std::string& ns,
                                         const std::string& target,
                                         std::unique_ptr<core::v1::Service>* svc) {
  core::v1::Pod pod;
  if (target.find('/') == std::string::npos) {
    absl::Status st = client.Get("pods", ns, target, &pod);
    if (!st.ok()) return st;
    return pod;
  }
  absl::StatusOr<std::pair<const api::KindInfo*, std::string>> tn = ParseTypeName(target);
  if (!tn.ok()) return tn.status();
  const std::string& kind = tn->first->kind;
  const std::string& name = tn->second;
  if (kind == "Pod") {
    absl::Status st = client.Get("pods", ns, name, &pod);
    if (!st.ok()) return st;
    return pod;
  }
  std::string selector;
  if (kind == "Deployment" || kind == "ReplicaSet") {
    meta::v1::LabelSelector proto;
    if (kind == "Deployment") {
      apps::v1::Deployment d;
      absl::Status st = client.Get("deployments", ns, name, &d);
      if (!st.ok()) return st;
      proto = d.spec().selector();
    } else {
      apps::v1::ReplicaSet rs;
      absl::Status st = client.Get("replicasets", ns, name, &rs);
      if (!st.ok()) return st;
      proto = rs.spec().selector();
    }
    absl::StatusOr<api::LabelSelector> parsed = api::LabelSelector::FromProto(proto);
    if (!parsed.ok()) return parsed.status();
    selector = parsed->ToString();
  } else if (kind == "Service") {
    *svc = std::make_unique<core::v1::Service>();
    absl::Status st = client.Get("services", ns, name, svc->get());
    if (!st.ok()) return st;
    if ((*svc)->spec().selector().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot attach to *v1.Service: invalid service '", name,
                       "': Service is defined without a selector"));
    }
    selector = api::SelectorFromSet((*svc)->spec().selector()).ToString();
  } else {
    return absl::InvalidArgumentError(absl::StrCat("cannot attach to ", tn->first->kind,
                                                   ": selector for ", tn->first->kind,
                                                   " not implemented"));
  }
  return PodForSelector(client, ns, selector,
                        absl::StrCat(tn->first->GroupResource(), " \"", name, "\""));
}

// Stops `forwarder` on SIGINT or SIGTERM (blocked in this thread and the
// threads started after it); the thread ends once `done` is set.
void WatchSignals(KubeletForwarder* forwarder, const std::atomic<bool>* done) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  const timespec tick{0, 200 * 1000 * 1000};
  while (!*done) {
    if (sigtimedwait(&set, nullptr, &tick) > 0) {
      forwarder->Stop();
      return;
    }
  }
}

int RunPortForward(Context& ctx, const PortForwardOptions& o) {
  if (o.args.size() < 2) {
    ctx.err() << "error: TYPE/NAME and list of ports are required for port-forward\n"
              << "See 'mkctl port-forward -h' for help and examples\n";
    return 1;
  }
  absl::StatusOr<std::vector<std::string>> addresses = ParseListenAddresses(o.address);
  if (!addresses.ok()) return ctx.Fail(addresses.status());
  // Before any thread starts (the gRPC client's included), so that every
  // thread inherits the mask and WatchSignals receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &set, &old);
  struct Restore {
    sigset_t mask;
    ~Restore() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{old};

  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  const std::string ns = ctx.Namespace();
  std::unique_ptr<core::v1::Service> svc;
  absl::StatusOr<core::v1::Pod> pod = ResolvePod(**client, ns, o.args[0], &svc);
  if (!pod.ok()) return ctx.Fail(pod.status());
  std::vector<std::string> specs(o.args.begin() + 1, o.args.end());
  absl::StatusOr<std::vector<std::string>> translated = TranslatePortSpecs(specs, *pod, svc.get());
  if (!translated.ok()) return ctx.Fail(translated.status());
  absl::StatusOr<std::vector<ForwardedPort>> ports = ParsePortSpecs(*translated);
  if (!ports.ok()) return ctx.Fail(ports.status());
  if (pod->status().phase() != "Running") {
    return ctx.Fail(absl::FailedPreconditionError(
        absl::StrCat("unable to forward port because pod is not running. Current status=",
                     pod->status().phase())));
  }
  core::v1::Node node;
  absl::Status st = (*client)->Get("nodes", "", pod->spec().node_name(), &node);
  if (!st.ok()) return ctx.Fail(st);
  absl::StatusOr<std::string> kubelet = client::KubeletAddress(node);
  if (!kubelet.ok()) return ctx.Fail(kubelet.status());

  // The kubelet API speaks TLS where the apiserver does (`minik8s up`):
  // the same CA and client certificate.
  KubeletForwarder forwarder({*kubelet, ns, pod->metadata().name(), (*client)->options().tls},
                             ctx.out(), ctx.err());
  std::atomic<bool> done{false};
  std::thread signals(WatchSignals, &forwarder, &done);
  std::vector<std::pair<int, int>> pairs;
  for (const ForwardedPort& p : *ports) pairs.emplace_back(p.local, p.remote);
  absl::Status run = forwarder.Run(*addresses, pairs);
  done = true;
  signals.join();
  if (!run.ok()) return ctx.Fail(run);
  return 0;
}

}  // namespace

void AddPortForwardCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<PortForwardOptions>();
  CLI::App* cmd = app.add_subcommand("port-forward", "Forward one or more local ports to a pod");
  cmd->add_option("args", o->args,
                  "TYPE/NAME [LOCAL_PORT:]REMOTE_PORT [...[LOCAL_PORT_N:]REMOTE_PORT_N]");
  cmd->add_option("--address", o->address,
                  "Addresses to listen on (comma separated). Only accepts IP addresses or "
                  "localhost as a value.")
      ->capture_default_str();
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunPortForward(ctx, *o); });
}

}  // namespace minik8s::kubectl
