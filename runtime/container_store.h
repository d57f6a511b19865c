// ContainerStore: the simulated containers — their configuration, the
// program their command compiled to, and their run state — and the CRI
// views of them. The state machine that moves them (start, exit, kill, the
// timers) is the Runtime's; this is the table it works on.
//
// Thread-compatible: the owner (Runtime, under its mutex) serialises calls.
#ifndef MINIK8S_RUNTIME_CONTAINER_STORE_H_
#define MINIK8S_RUNTIME_CONTAINER_STORE_H_

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "cri/v1/api.pb.h"
#include "runtime/script.h"
#include "runtime/sim_options.h"

namespace minik8s::runtime {

namespace cri = ::minik8s::cri::v1;

// Completion callback of an asynchronous runtime call.
template <typename T>
using Done = std::function<void(absl::StatusOr<T>)>;

// A command run in a container (ExecSync) that sleeps on the clock: a
// lifecycle hook's, such as `sleep 5` before the stop.
struct ExecRun {
  Program program;
  ScriptState state;
  std::string out;
  std::string err;
  absl::Time deadline = absl::InfiniteFuture();  // from the request's timeout
  int64_t timeout_seconds = 0;
  Done<cri::ExecSyncResponse> done;  // empty once answered
};

struct Container {
  std::string id;
  std::string sandbox_id;
  uint64_t seq = 0;  // creation order (List sorts by it)
  cri::ContainerConfig config;
  std::string image_name;  // normalized
  std::string image_ref;   // repo digest
  std::string log_path;    // absolute, or empty
  std::map<std::string, std::string> env;
  SimOptions sim;
  Program program;
  ScriptState script;
  FileMap files;
  // The CRI mounts (config.mounts) the shell reads host files through.
  std::vector<MountPoint> mounts;
  bool nginx_like = false;  // prints nginx's lines (workload_logs.h)
  // The declared TCP ports (container_ports.h) and whether the runtime
  // listens on them now (port_listeners.h; only for a loopback pod IP).
  std::vector<int> tcp_ports;
  bool listening = false;
  // Ready once the last close of its ports is done (invalid if it never
  // listened): an exited container is reported after it (runtime.cc).
  std::shared_future<void> ports_closed;

  cri::ContainerState state = cri::CONTAINER_CREATED;
  absl::Time created_at;
  absl::Time started_at = absl::UnixEpoch();
  absl::Time finished_at = absl::UnixEpoch();
  bool started = false;
  bool finished = false;
  int exit_code = 0;
  std::string reason;
  std::string message;

  // Bumped when the container starts running and when it exits; timers
  // scheduled for one run carry it and do nothing afterwards.
  uint64_t epoch = 0;
  std::set<common::TimerId> timers;
  bool starting = false;  // StartContainer waits for the start delay
  Done<cri::StartContainerResponse> start_done;
  bool sigterm_sent = false;
  std::vector<Done<cri::StopContainerResponse>> stop_waiters;
  // Commands still running in it; answered with an error when it exits.
  std::vector<std::shared_ptr<ExecRun>> execs;
};

class ContainerStore {
 public:
  Container& Add(std::unique_ptr<Container> c);
  Container* Find(const std::string& id) const;
  bool Contains(const std::string& id) const { return containers_.contains(id); }
  // No-op for an unknown id. The caller unlinks it from its sandbox.
  void Remove(const std::string& id);
  // The containers the filter selects (id prefix, sandbox id prefix, state,
  // labels), oldest first.
  std::vector<Container*> List(const cri::ContainerFilter& filter) const;
  // Every container, in no particular order.
  std::vector<Container*> All() const;

  // CRI views.
  static void FillStatus(const Container& c, cri::ContainerStatus* out);
  static void FillItem(const Container& c, cri::Container* out);

 private:
  absl::flat_hash_map<std::string, std::unique_ptr<Container>> containers_;
};

// "CREATED", "RUNNING", "EXITED" or "UNKNOWN".
const char* ContainerStateName(cri::ContainerState s);

// Why a probe of kind `kind` fails at `now` by the container's MINIK8S_SIM_*
// rules (sim_options.h), or nullopt when it passes. A container that is not
// running fails every probe.
std::optional<std::string> SimulatedProbeFailure(const Container& c, cri::ProbeKind kind,
                                                 absl::Time now);

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_CONTAINER_STORE_H_
