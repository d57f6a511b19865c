#include "runtime/runtime.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "runtime/container_ports.h"
#include "runtime/image_name.h"
#include "runtime/runtime_client.h"
#include "runtime/workload_logs.h"
#include "spdlog/spdlog.h"

namespace minik8s::runtime {

namespace {

constexpr char kRuntimeName[] = "minik8s-runtime";
constexpr char kRuntimeVersion[] = "0.1.0";
constexpr int kSigkillExitCode = 137;

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }

// 32 random hex digits, formatted like a Linux boot id
// (/proc/sys/kernel/random/boot_id).
std::string NewBootId() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())));
  std::string hex =
      absl::StrCat(absl::Hex(gen(), absl::kZeroPad16), absl::Hex(gen(), absl::kZeroPad16));
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20));
}

template <typename T, typename Start>
absl::StatusOr<T> Await(Start start) {
  absl::Notification done;
  absl::StatusOr<T> result = absl::UnknownError("no result");
  start([&](absl::StatusOr<T> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

std::string ExitReason(int code) { return code == 0 ? "Completed" : "Error"; }

absl::Status ContainerNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("container \"", id, "\" not found"));
}

}  // namespace

// ------------------------------------------------------------- lifecycle

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Create(RuntimeOptions options) {
  for (const auto& [image, delay] : options.image_pull_delay_for) {
    if (NormalizeImageName(image).empty() || delay < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid per-image pull delay for \"", image, "\""));
    }
  }
  if (options.image_pull_delay < absl::ZeroDuration() ||
      options.container_start_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("delays must not be negative");
  }
  if (options.max_log_lines == 0) options.max_log_lines = 1;
  return std::unique_ptr<Runtime>(new Runtime(std::move(options)));
}

Runtime::Runtime(RuntimeOptions options)
    : options_(std::move(options)),
      owned_clock_(options_.clock ? nullptr : std::make_unique<common::RealClock>()),
      clock_(options_.clock ? options_.clock : owned_clock_.get()),
      lifeline_(std::make_shared<Lifeline>()),
      access_log_life_(std::make_shared<Lifeline>()),
      boot_id_(NewBootId()),
      listeners_(std::make_unique<PortListeners>(
          [life = access_log_life_](const std::string& id, const std::string& line) {
            absl::ReaderMutexLock lock(&life->mu);
            if (life->runtime != nullptr) life->runtime->AppendAccessLog(id, line);
          })),
      images_(ImageRegistryOptions{.pull_delay = options_.image_pull_delay,
                                   .pull_delay_for = options_.image_pull_delay_for,
                                   .missing_images = options_.missing_images}),
      logs_(options_.max_log_lines) {
  absl::MutexLock lock(&lifeline_->mu);
  lifeline_->runtime = this;
  absl::MutexLock log_lock(&access_log_life_->mu);
  access_log_life_->runtime = this;
}

Runtime::~Runtime() {
  {
    // Waits for an access log line being appended; later ones are dropped.
    absl::MutexLock lock(&access_log_life_->mu);
    access_log_life_->runtime = nullptr;
  }
  {
    // Waits for a running timer callback; later ones find no runtime.
    absl::MutexLock lock(&lifeline_->mu);
    lifeline_->runtime = nullptr;
  }
  listeners_.reset();  // closes every port and joins its thread
  Deferred deferred;
  absl::MutexLock lock(&mu_);
  absl::Status gone = absl::UnavailableError("the container runtime is shutting down");
  logs_.EndAll();
  for (Container* c : containers_.All()) {
    for (common::TimerId t : c->timers) clock_->Cancel(t);
    if (c->start_done) deferred.Add([done = std::move(c->start_done), gone] { done(gone); });
    for (auto& w : c->stop_waiters) deferred.Add([w = std::move(w), gone] { w(gone); });
    for (const std::shared_ptr<ExecRun>& run : c->execs) {
      if (run->done) deferred.Add([done = std::move(run->done), gone] { done(gone); });
    }
  }
  for (common::TimerId t : pull_timers_) clock_->Cancel(t);
  for (auto& [name, waiters] : pulls_) {
    for (auto& w : waiters) deferred.Add([w = std::move(w), gone] { w(gone); });
  }
  // `deferred` runs after the lock is released (declared first).
}

// ------------------------------------------------------------- helpers

std::string Runtime::NewIdLocked() {
  static thread_local std::mt19937_64 gen(std::random_device{}() ^
                                          static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())));
  while (true) {
    std::string id;
    for (int i = 0; i < 4; ++i) {
      absl::StrAppend(&id, absl::Hex(gen(), absl::kZeroPad16));
    }
    if (!containers_.Contains(id) && !sandboxes_.Contains(id)) return id;
  }
}

common::TimerId Runtime::ScheduleLocked(absl::Time when, std::function<void(Deferred&)> fn) {
  std::shared_ptr<Lifeline> life = lifeline_;
  return clock_->RunAt(when, [life, fn = std::move(fn)]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    absl::ReaderMutexLock life_lock(&life->mu);
    Runtime* rt = life->runtime;
    if (rt == nullptr) return;
    Deferred deferred;
    absl::MutexLock lock(&rt->mu_);
    fn(deferred);
  });
}

void Runtime::ScheduleForContainerLocked(Container& c, absl::Time when,
                                         std::function<void(Container&, Deferred&)> fn) {
  // The timer id is known only after RunAt returns; the callback cannot run
  // before (it needs mu_, which is held here), so it finds it in `slot`.
  auto slot = std::make_shared<common::TimerId>(0);
  common::TimerId id =
      ScheduleLocked(when, [this, id = c.id, epoch = c.epoch, slot,
                            fn = std::move(fn)](Deferred& deferred) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        Container* c = containers_.Find(id);
        if (c == nullptr || c->epoch != epoch) return;
        c->timers.erase(*slot);
        fn(*c, deferred);
      });
  *slot = id;
  c.timers.insert(id);
}

void Runtime::AppendLogLocked(Container& c, const std::string& stream, const std::string& text) {
  cri::LogEntry entry;
  entry.set_timestamp(Nanos(Now()));
  entry.set_stream(stream);
  entry.set_text(text);
  logs_.Append(c.id, std::move(entry));
}

// ------------------------------------------------------------- container runs

void Runtime::BeginRunningLocked(Container& c, Deferred& deferred) {
  absl::Time now = Now();
  c.state = cri::CONTAINER_RUNNING;
  c.started = true;
  c.started_at = now;
  c.starting = false;
  ++c.epoch;
  spdlog::debug("container {} ({}) running: {}", c.id.substr(0, 13), c.config.metadata().name(),
                c.program.description);
  if (c.sim.crash_after) {
    ScheduleForContainerLocked(
        c, now + *c.sim.crash_after,
        [this](Container& c, Deferred& d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          AppendLogLocked(
              c, "stderr",
              absl::StrCat("minik8s-runtime: simulated crash (exit code ", c.sim.exit_code, ")"));
          ExitLocked(c, c.sim.exit_code, ExitReason(c.sim.exit_code), "", d);
        });
  }
  if (c.sim.oom_after) {
    ScheduleForContainerLocked(c, now + *c.sim.oom_after,
                               [this](Container& c, Deferred& d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                 ExitLocked(c, kSigkillExitCode, "OOMKilled", "", d);
                               });
  }
  if (c.program.image_default && c.nginx_like) {
    for (const LogLine& line : NginxStartLines(c.image_name, now)) {
      AppendLogLocked(c, line.stream, line.text);
    }
  }
  OpenPortsLocked(c, deferred);
  ContinueScriptLocked(c, deferred);
}

void Runtime::OpenPortsLocked(Container& c, Deferred& deferred) {
  if (c.tcp_ports.empty() || c.listening) return;
  const Sandbox* sb = sandboxes_.Find(c.sandbox_id);
  // Only the rootless network's addresses: scale mode's 10.x pods cost
  // nothing.
  if (sb == nullptr || !IsLoopbackIpv4(sb->ip)) return;
  const cri::PodSandboxMetadata& md = sb->config.metadata();
  ListenerSpec spec{.container_id = c.id,
                    .ip = sb->ip,
                    .ports = c.tcp_ports,
                    .http = c.nginx_like,
                    .who = {.pod_namespace = md.namespace_(),
                            .pod_name = md.name(),
                            .container_name = c.config.metadata().name(),
                            .nginx_version = NginxVersion(c.image_name)}};
  std::shared_future<void> opened = listeners_->Open(std::move(spec));
  c.listening = true;
  deferred.Add([opened] { opened.wait(); });
}

void Runtime::ClosePortsLocked(Container& c, Deferred& deferred) {
  if (!c.listening) return;
  c.listening = false;
  std::shared_future<void> closed = listeners_->Close(c.id);
  c.ports_closed = closed;
  deferred.Add([closed] { closed.wait(); });
}

void Runtime::AppendAccessLog(const std::string& container_id, const std::string& line) {
  absl::MutexLock lock(&mu_);
  Container* c = containers_.Find(container_id);
  if (c != nullptr && c->state == cri::CONTAINER_RUNNING) AppendLogLocked(*c, "stdout", line);
}

void Runtime::ContinueScriptLocked(Container& c, Deferred& deferred) {
  if (c.state != cri::CONTAINER_RUNNING) return;
  ScriptIo io;
  io.output = [this, &c](const std::string& stream, const std::string& line)
                  ABSL_NO_THREAD_SAFETY_ANALYSIS { AppendLogLocked(c, stream, line); };
  io.files = &c.files;
  io.mounts = &c.mounts;
  Blocked b = RunUntilBlocked(c.program, &c.script, io);
  switch (b.kind) {
    case Blocked::kSleep:
      ScheduleForContainerLocked(c, Now() + b.sleep,
                                 [this](Container& c, Deferred& d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                   ContinueScriptLocked(c, d);
                                 });
      break;
    case Blocked::kExit:
      ExitLocked(c, b.exit_code, ExitReason(b.exit_code), "", deferred);
      break;
    case Blocked::kForever:
      if (!b.note.empty()) {
        spdlog::info("container {} ({}): {}; it runs until stopped", c.id.substr(0, 13),
                     c.config.metadata().name(), b.note);
      }
      break;
  }
}

void Runtime::ExitLocked(Container& c, int exit_code, const std::string& reason,
                         const std::string& message, Deferred& deferred) {
  if (c.state != cri::CONTAINER_RUNNING) return;
  c.state = cri::CONTAINER_EXITED;
  c.finished = true;
  c.finished_at = Now();
  c.exit_code = exit_code;
  c.reason = reason;
  c.message = message;
  ++c.epoch;
  for (common::TimerId t : c.timers) clock_->Cancel(t);
  c.timers.clear();
  ClosePortsLocked(c, deferred);  // before the stop waiters learn it stopped
  for (auto& w : c.stop_waiters) {
    deferred.Add([w = std::move(w)] { w(cri::StopContainerResponse()); });
  }
  c.stop_waiters.clear();
  for (const std::shared_ptr<ExecRun>& run : c.execs) {
    if (!run->done) continue;
    deferred.Add([done = std::move(run->done), id = c.id] {
      done(absl::AbortedError(
          absl::StrCat("container \"", id, "\" exited while the command was running")));
    });
    run->done = nullptr;
  }
  c.execs.clear();
  logs_.EndFollowers(c.id);
  spdlog::debug("container {} ({}) exited: code {} ({})", c.id.substr(0, 13),
                c.config.metadata().name(), exit_code, reason);
}

void Runtime::KillLocked(Container& c, Deferred& deferred) {
  if (c.state == cri::CONTAINER_RUNNING) ExitLocked(c, kSigkillExitCode, "Error", "", deferred);
}

void Runtime::RemoveContainerLocked(const std::string& id, Deferred& deferred) {
  Container* c = containers_.Find(id);
  if (c == nullptr) return;
  KillLocked(*c, deferred);
  if (c->start_done) {
    deferred.Add([done = std::move(c->start_done), id] {
      done(absl::NotFoundError(
          absl::StrCat("container \"", id, "\" was removed before it started")));
    });
  }
  logs_.Remove(id);
  if (Sandbox* sb = sandboxes_.Find(c->sandbox_id)) {
    std::erase(sb->container_ids, id);
  }
  containers_.Remove(id);
}

// ------------------------------------------------------------- runtime info

absl::StatusOr<cri::VersionResponse> Runtime::Version(const cri::VersionRequest&) {
  cri::VersionResponse r;
  r.set_version(kRuntimeVersion);
  r.set_runtime_name(kRuntimeName);
  r.set_runtime_version(kRuntimeVersion);
  r.set_runtime_api_version("v1");
  return r;
}

absl::StatusOr<cri::StatusResponse> Runtime::Status(const cri::StatusRequest&) {
  cri::StatusResponse r;
  for (const char* type : {"RuntimeReady", "NetworkReady"}) {
    cri::RuntimeCondition* c = r.mutable_status()->add_conditions();
    c->set_type(type);
    c->set_status(true);
  }
  (*r.mutable_info())[kBootIdInfoKey] = boot_id_;
  return r;
}

// ------------------------------------------------------------- sandboxes

absl::StatusOr<cri::RunPodSandboxResponse> Runtime::RunPodSandbox(
    const cri::RunPodSandboxRequest& req) {
  const cri::PodSandboxMetadata& md = req.config().metadata();
  if (md.name().empty() || md.namespace_().empty() || md.uid().empty()) {
    return absl::InvalidArgumentError(
        "pod sandbox config: metadata.name, metadata.namespace and metadata.uid are required");
  }
  const std::string& log_dir = req.config().log_directory();
  if (!log_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(log_dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create log directory \"", log_dir, "\": ", ec.message()));
    }
  }
  absl::StatusOr<std::string> ip = SandboxStore::PodIpOf(req.config());
  if (!ip.ok()) return ip.status();
  absl::MutexLock lock(&mu_);
  auto sb = std::make_unique<Sandbox>();
  sb->id = NewIdLocked();
  sb->seq = next_seq_;
  sb->config = req.config();
  sb->runtime_handler = req.runtime_handler();
  sb->created_at = Now();
  sb->ip = *ip;
  absl::StatusOr<Sandbox*> added = sandboxes_.Add(std::move(sb));
  if (!added.ok()) return added.status();
  ++next_seq_;
  cri::RunPodSandboxResponse r;
  r.set_pod_sandbox_id((*added)->id);
  spdlog::debug("sandbox {} for pod {}/{} ready, ip {}", (*added)->id.substr(0, 13),
                md.namespace_(), md.name(), (*added)->ip.empty() ? "none" : (*added)->ip);
  return r;
}

absl::StatusOr<cri::StopPodSandboxResponse> Runtime::StopPodSandbox(
    const cri::StopPodSandboxRequest& req) {
  Deferred deferred;
  absl::MutexLock lock(&mu_);
  Sandbox* sb = sandboxes_.Find(req.pod_sandbox_id());
  if (sb == nullptr) return cri::StopPodSandboxResponse();  // already gone
  for (const std::string& id : sb->container_ids) {
    if (Container* c = containers_.Find(id)) KillLocked(*c, deferred);
  }
  sandboxes_.MarkStopped(*sb);
  return cri::StopPodSandboxResponse();
}

absl::StatusOr<cri::RemovePodSandboxResponse> Runtime::RemovePodSandbox(
    const cri::RemovePodSandboxRequest& req) {
  Deferred deferred;
  absl::MutexLock lock(&mu_);
  Sandbox* sb = sandboxes_.Find(req.pod_sandbox_id());
  if (sb == nullptr) return cri::RemovePodSandboxResponse();  // already gone
  std::vector<std::string> ids = sb->container_ids;
  for (const std::string& id : ids) RemoveContainerLocked(id, deferred);
  sandboxes_.Remove(req.pod_sandbox_id());
  return cri::RemovePodSandboxResponse();
}

absl::StatusOr<cri::PodSandboxStatusResponse> Runtime::PodSandboxStatus(
    const cri::PodSandboxStatusRequest& req) {
  absl::MutexLock lock(&mu_);
  Sandbox* sb = sandboxes_.Find(req.pod_sandbox_id());
  if (sb == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("pod sandbox \"", req.pod_sandbox_id(), "\" not found"));
  }
  cri::PodSandboxStatusResponse r;
  SandboxStore::FillStatus(*sb, r.mutable_status());
  return r;
}

absl::StatusOr<cri::ListPodSandboxResponse> Runtime::ListPodSandbox(
    const cri::ListPodSandboxRequest& req) {
  absl::MutexLock lock(&mu_);
  cri::ListPodSandboxResponse r;
  for (Sandbox* sb : sandboxes_.List(req.filter())) SandboxStore::FillItem(*sb, r.add_items());
  return r;
}

// ------------------------------------------------------------- containers

absl::StatusOr<cri::CreateContainerResponse> Runtime::CreateContainer(
    const cri::CreateContainerRequest& req) {
  const cri::ContainerConfig& config = req.config();
  if (config.metadata().name().empty()) {
    return absl::InvalidArgumentError("container config: metadata.name is required");
  }
  if (config.image().image().empty()) {
    return absl::InvalidArgumentError("container config: image is required");
  }
  std::map<std::string, std::string> env;
  for (const auto& kv : config.envs()) env[kv.key()] = kv.value();
  absl::StatusOr<SimOptions> sim = ParseSimOptions(env);
  if (!sim.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("container \"", config.metadata().name(), "\": ", sim.status().message()));
  }
  std::vector<MountPoint> mounts;
  for (const cri::Mount& m : config.mounts()) {
    if (m.container_path().empty() || m.container_path()[0] != '/' || m.host_path().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "container \"", config.metadata().name(), "\": mount \"", m.container_path(), "\" -> \"",
          m.host_path(), "\": the container path must be absolute and the host path set"));
    }
    mounts.push_back({m.container_path(), m.host_path(), m.readonly()});
  }

  absl::MutexLock lock(&mu_);
  Sandbox* sb = sandboxes_.Find(req.pod_sandbox_id());
  if (sb == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("pod sandbox \"", req.pod_sandbox_id(), "\" not found"));
  }
  if (sb->state != cri::SANDBOX_READY) {
    return absl::FailedPreconditionError(
        absl::StrCat("pod sandbox \"", sb->id, "\" is not ready (stopped)"));
  }
  const ImageRecord* image = images_.Find(config.image().image());
  if (image == nullptr) {
    return absl::NotFoundError(absl::StrCat("failed to get image \"", config.image().image(),
                                            "\": not found (pull it first)"));
  }
  for (const std::string& id : sb->container_ids) {
    Container* other = containers_.Find(id);
    if (other && other->config.metadata().name() == config.metadata().name() &&
        other->config.metadata().attempt() == config.metadata().attempt()) {
      return absl::AlreadyExistsError(
          absl::StrCat("failed to reserve container name \"", config.metadata().name(), "_",
                       sb->config.metadata().name(), "_", sb->config.metadata().namespace_(), "_",
                       sb->config.metadata().uid(), "_", config.metadata().attempt(),
                       "\": name is reserved for \"", id, "\""));
    }
  }
  auto c = std::make_unique<Container>();
  if (!sb->config.log_directory().empty()) {
    std::string rel = config.log_path().empty() ? absl::StrCat(config.metadata().name(), "/",
                                                               config.metadata().attempt(), ".log")
                                                : config.log_path();
    std::filesystem::path path = std::filesystem::path(sb->config.log_directory()) / rel;
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create log directory \"", path.parent_path().string(), "\": ", ec.message()));
    }
    c->log_path = path.string();
  }
  std::map<std::string, std::string> script_env = env;
  script_env.emplace("HOSTNAME", sb->config.hostname().empty() ? sb->config.metadata().name()
                                                               : sb->config.hostname());
  std::vector<std::string> argv(config.command().begin(), config.command().end());
  argv.insert(argv.end(), config.args().begin(), config.args().end());

  c->id = NewIdLocked();
  c->sandbox_id = sb->id;
  c->seq = next_seq_++;
  c->config = config;
  c->image_name = image->name;
  c->image_ref = image->repo_digest;
  c->env = std::move(script_env);
  c->sim = *sim;
  c->mounts = std::move(mounts);
  c->program = CompileCommand(argv, c->env);
  c->nginx_like = IsNginxImage(image->name);
  // Ports are answered only on loopback pod addresses: scale mode's 10.x
  // pods do not even parse them.
  if (IsLoopbackIpv4(sb->ip)) {
    if (absl::StatusOr<std::vector<int>> ports = TcpPortsOf(config); ports.ok()) {
      c->tcp_ports = *std::move(ports);
    } else {
      spdlog::warn("container {} ({}/{}): ignoring its ports: {}", c->id.substr(0, 13),
                   sb->config.metadata().name(), config.metadata().name(),
                   std::string(ports.status().message()));
    }
  }
  c->created_at = Now();
  sb->container_ids.push_back(c->id);
  logs_.Open(c->id, c->log_path);
  cri::CreateContainerResponse r;
  r.set_container_id(c->id);
  containers_.Add(std::move(c));
  return r;
}

void Runtime::StartContainer(const cri::StartContainerRequest& req,
                             Done<cri::StartContainerResponse> done) {
  Deferred deferred;
  absl::MutexLock lock(&mu_);
  auto fail = [&](absl::Status s) { deferred.Add([done, s] { done(s); }); };
  Container* c = containers_.Find(req.container_id());
  if (c == nullptr) return fail(ContainerNotFound(req.container_id()));
  if (c->state != cri::CONTAINER_CREATED || c->starting) {
    return fail(absl::FailedPreconditionError(absl::StrCat(
        "container \"", c->id, "\" is in ", c->starting ? "STARTING" : ContainerStateName(c->state),
        " state; only a CREATED container can be started")));
  }
  Sandbox* sb = sandboxes_.Find(c->sandbox_id);
  if (sb == nullptr || sb->state != cri::SANDBOX_READY) {
    return fail(absl::FailedPreconditionError(absl::StrCat(
        "pod sandbox \"", c->sandbox_id, "\" of container \"", c->id, "\" is not ready")));
  }
  if (options_.container_start_delay <= absl::ZeroDuration()) {
    BeginRunningLocked(*c, deferred);
    deferred.Add([done] { done(cri::StartContainerResponse()); });
    return;
  }
  c->starting = true;
  c->start_done = std::move(done);
  ScheduleLocked(Now() + options_.container_start_delay,
                 [this, id = c->id](Deferred& d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                   Container* c = containers_.Find(id);
                   if (c == nullptr || !c->starting) return;  // removed meanwhile
                   Done<cri::StartContainerResponse> done = std::move(c->start_done);
                   c->start_done = nullptr;
                   c->starting = false;
                   Sandbox* sb = sandboxes_.Find(c->sandbox_id);
                   if (sb == nullptr || sb->state != cri::SANDBOX_READY) {
                     d.Add([done, id] {
                       done(absl::FailedPreconditionError(absl::StrCat(
                           "pod sandbox of container \"", id, "\" stopped while it was starting")));
                     });
                     return;
                   }
                   BeginRunningLocked(*c, d);
                   d.Add([done] { done(cri::StartContainerResponse()); });
                 });
}

absl::StatusOr<cri::StartContainerResponse> Runtime::StartContainer(
    const cri::StartContainerRequest& req) {
  return Await<cri::StartContainerResponse>(
      [&](Done<cri::StartContainerResponse> done) { StartContainer(req, std::move(done)); });
}

void Runtime::StopContainer(const cri::StopContainerRequest& req,
                            Done<cri::StopContainerResponse> done) {
  Deferred deferred;
  absl::MutexLock lock(&mu_);
  auto ok = [&] { deferred.Add([done] { done(cri::StopContainerResponse()); }); };
  Container* c = containers_.Find(req.container_id());
  if (c == nullptr) {
    deferred.Add([done, id = req.container_id()] { done(ContainerNotFound(id)); });
    return;
  }
  if (c->state != cri::CONTAINER_RUNNING) return ok();  // nothing to stop
  if (req.timeout() <= 0) {
    KillLocked(*c, deferred);
    return ok();
  }
  if (!c->sim.ignore_sigterm) {
    if (c->nginx_like && c->program.image_default) {
      for (const LogLine& line : NginxStopLines(Now())) {
        AppendLogLocked(*c, line.stream, line.text);
      }
    }
    ExitLocked(*c, 0, "Completed", "", deferred);
    return ok();
  }
  // SIGTERM is ignored: SIGKILL when the grace period ends. A second stop
  // with a shorter timeout brings the kill forward.
  c->sigterm_sent = true;
  c->stop_waiters.push_back(std::move(done));
  ScheduleForContainerLocked(*c, Now() + absl::Seconds(req.timeout()),
                             [this](Container& c, Deferred& d)
                                 ABSL_NO_THREAD_SAFETY_ANALYSIS { KillLocked(c, d); });
}

absl::StatusOr<cri::StopContainerResponse> Runtime::StopContainer(
    const cri::StopContainerRequest& req) {
  return Await<cri::StopContainerResponse>(
      [&](Done<cri::StopContainerResponse> done) { StopContainer(req, std::move(done)); });
}

absl::StatusOr<cri::RemoveContainerResponse> Runtime::RemoveContainer(
    const cri::RemoveContainerRequest& req) {
  Deferred deferred;
  absl::MutexLock lock(&mu_);
  RemoveContainerLocked(req.container_id(), deferred);
  return cri::RemoveContainerResponse();
}

namespace {

// A container that exited on its own is EXITED at once, its ports closing
// on the listeners' thread meanwhile; it is reported once they are closed,
// as StopContainer answers only then, so that whoever sees it exited finds
// its ports refusing. Waited for outside mu_ (port_listeners.h).
void WaitForClosedPorts(const std::vector<std::shared_future<void>>& closing) {
  for (const std::shared_future<void>& f : closing) f.wait();
}

}  // namespace

absl::StatusOr<cri::ListContainersResponse> Runtime::ListContainers(
    const cri::ListContainersRequest& req) {
  cri::ListContainersResponse r;
  std::vector<std::shared_future<void>> closing;
  {
    absl::MutexLock lock(&mu_);
    for (Container* c : containers_.List(req.filter())) {
      ContainerStore::FillItem(*c, r.add_containers());
      if (c->ports_closed.valid()) closing.push_back(c->ports_closed);
    }
  }
  WaitForClosedPorts(closing);
  return r;
}

absl::StatusOr<cri::ContainerStatusResponse> Runtime::ContainerStatus(
    const cri::ContainerStatusRequest& req) {
  cri::ContainerStatusResponse r;
  std::vector<std::shared_future<void>> closing;
  {
    absl::MutexLock lock(&mu_);
    Container* c = containers_.Find(req.container_id());
    if (c == nullptr) return ContainerNotFound(req.container_id());
    ContainerStore::FillStatus(*c, r.mutable_status());
    if (c->ports_closed.valid()) closing.push_back(c->ports_closed);
  }
  WaitForClosedPorts(closing);
  return r;
}

// ------------------------------------------------------------- exec and probes

void Runtime::ExecSync(const cri::ExecSyncRequest& req, Done<cri::ExecSyncResponse> done) {
  Deferred deferred;
  absl::MutexLock lock(&mu_);
  auto answer = [&](absl::StatusOr<cri::ExecSyncResponse> r) {
    deferred.Add([done, r = std::move(r)] { done(r); });
  };
  if (req.cmd().empty()) return answer(absl::InvalidArgumentError("exec: cmd is empty"));
  Container* c = containers_.Find(req.container_id());
  if (c == nullptr) return answer(ContainerNotFound(req.container_id()));
  if (c->state != cri::CONTAINER_RUNNING) {
    return answer(absl::FailedPreconditionError(absl::StrCat(
        "container \"", c->id, "\" is not running (state ", ContainerStateName(c->state), ")")));
  }
  const bool probe = req.probe_kind() != cri::PROBE_KIND_UNSPECIFIED;
  if (probe) {
    if (auto failure = SimulatedProbeFailure(*c, req.probe_kind(), Now())) {
      cri::ExecSyncResponse r;
      r.set_exit_code(1);
      r.set_stderr(*failure + "\n");
      return answer(r);
    }
  }
  auto run = std::make_shared<ExecRun>();
  run->program =
      CompileCommand(std::vector<std::string>(req.cmd().begin(), req.cmd().end()), c->env);
  run->timeout_seconds = req.timeout();
  if (probe) {
    // A probe's command takes no simulated time: run it through.
    ScriptIo io;
    io.output = [&](const std::string& stream, const std::string& line) {
      absl::StrAppend(stream == "stderr" ? &run->err : &run->out, line, "\n");
    };
    io.files = &c->files;
    io.mounts = &c->mounts;
    Blocked b;
    do {
      b = RunUntilBlocked(run->program, &run->state, io);
    } while (b.kind == Blocked::kSleep);
    cri::ExecSyncResponse r;
    if (b.kind == Blocked::kForever && !b.unknown) {
      return answer(absl::DeadlineExceededError(absl::StrCat(
          "command \"", run->program.description, "\" does not exit",
          req.timeout() > 0 ? absl::StrCat(" (timeout ", req.timeout(), "s exceeded)") : "")));
    }
    // An unknown command: the simulated image has every tool, and it succeeds.
    r.set_exit_code(b.kind == Blocked::kExit ? b.exit_code : 0);
    r.set_stdout(run->out);
    r.set_stderr(run->err);
    return answer(r);
  }
  if (req.timeout() > 0) run->deadline = Now() + absl::Seconds(req.timeout());
  run->done = std::move(done);
  c->execs.push_back(run);
  ContinueExecLocked(*c, run, deferred);
}

void Runtime::ContinueExecLocked(Container& c, const std::shared_ptr<ExecRun>& run,
                                 Deferred& deferred) {
  ScriptIo io;
  io.output = [&](const std::string& stream, const std::string& line) {
    absl::StrAppend(stream == "stderr" ? &run->err : &run->out, line, "\n");
  };
  io.files = &c.files;
  io.mounts = &c.mounts;
  const Blocked b = RunUntilBlocked(run->program, &run->state, io);
  cri::ExecSyncResponse r;
  r.set_stdout(run->out);
  r.set_stderr(run->err);
  switch (b.kind) {
    case Blocked::kSleep: {
      const absl::Time wake = Now() + b.sleep;
      if (wake > run->deadline) {
        // As CRI runtimes answer a command that outlives its timeout.
        ScheduleForContainerLocked(
            c, run->deadline,
            [this, run](Container& c, Deferred& d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              FinishExecLocked(c, run,
                               absl::DeadlineExceededError(
                                   absl::StrCat("command \"", run->program.description,
                                                "\" timed out after ", run->timeout_seconds, "s")),
                               d);
            });
        return;
      }
      ScheduleForContainerLocked(
          c, wake, [this, run](Container& c, Deferred& d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            ContinueExecLocked(c, run, d);
          });
      return;
    }
    case Blocked::kExit:
      r.set_exit_code(b.exit_code);
      return FinishExecLocked(c, run, r, deferred);
    case Blocked::kForever:
      if (b.unknown) {  // the simulated image has every tool, and it succeeds
        r.set_exit_code(0);
        return FinishExecLocked(c, run, r, deferred);
      }
      return FinishExecLocked(c, run,
                              absl::DeadlineExceededError(absl::StrCat(
                                  "command \"", run->program.description, "\" does not exit")),
                              deferred);
  }
}

void Runtime::FinishExecLocked(Container& c, const std::shared_ptr<ExecRun>& run,
                               absl::StatusOr<cri::ExecSyncResponse> result, Deferred& deferred) {
  std::erase(c.execs, run);
  if (!run->done) return;
  deferred.Add([done = std::move(run->done), result = std::move(result)] { done(result); });
  run->done = nullptr;
}

absl::StatusOr<cri::ExecSyncResponse> Runtime::ExecSync(const cri::ExecSyncRequest& req) {
  return Await<cri::ExecSyncResponse>(
      [&](Done<cri::ExecSyncResponse> done) { ExecSync(req, std::move(done)); });
}

absl::StatusOr<cri::ProbeResponse> Runtime::Probe(const cri::ProbeRequest& req) {
  if (req.kind() == cri::PROBE_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("probe: kind (liveness, readiness, startup) is required");
  }
  if (req.handler() == cri::PROBE_HANDLER_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "probe: handler (httpGet, tcpSocket, grpc) is required; exec probes use ExecSync");
  }
  absl::MutexLock lock(&mu_);
  Container* c = containers_.Find(req.container_id());
  if (c == nullptr) return ContainerNotFound(req.container_id());
  cri::ProbeResponse r;
  std::optional<std::string> failure = SimulatedProbeFailure(*c, req.kind(), Now());
  r.set_success(!failure.has_value());
  if (req.handler() == cri::HTTP_GET) r.set_http_status_code(failure ? 503 : 200);
  if (!failure) return r;
  spdlog::debug("container {}: {} probe fails: {}", c->id.substr(0, 13),
                cri::ProbeKind_Name(req.kind()), *failure);
  std::string ip;
  if (Sandbox* sb = sandboxes_.Find(c->sandbox_id)) ip = sb->ip;
  if (c->state != cri::CONTAINER_RUNNING) {
    r.set_message(*failure);
  } else if (req.handler() == cri::HTTP_GET) {
    r.set_message("HTTP probe failed with statuscode: 503");
  } else if (req.handler() == cri::TCP_SOCKET) {
    r.set_message(absl::StrCat("dial tcp ", ip, ":", req.port(), ": connect: connection refused"));
  } else {
    r.set_message("service unhealthy (responded with \"NOT_SERVING\")");
  }
  return r;
}

// ------------------------------------------------------------- logs

namespace {
std::optional<int64_t> TailLinesOf(const cri::ReadLogsRequest& req) {
  if (!req.has_tail_lines()) return std::nullopt;
  return req.tail_lines();
}
}  // namespace

absl::StatusOr<cri::ReadLogsResponse> Runtime::ReadLogs(const cri::ReadLogsRequest& req) {
  absl::MutexLock lock(&mu_);
  Container* c = containers_.Find(req.container_id());
  if (c == nullptr) return ContainerNotFound(req.container_id());
  cri::ReadLogsResponse r;
  for (auto& e : logs_.Tail(c->id, TailLinesOf(req))) *r.add_entries() = std::move(e);
  return r;
}

absl::StatusOr<FollowId> Runtime::FollowLogs(const cri::ReadLogsRequest& req, LogSink sink) {
  absl::MutexLock lock(&mu_);
  Container* c = containers_.Find(req.container_id());
  if (c == nullptr) return ContainerNotFound(req.container_id());
  std::vector<cri::LogEntry> entries = logs_.Tail(c->id, TailLinesOf(req));
  if (c->state == cri::CONTAINER_EXITED) {
    sink(std::move(entries), true);
    return FollowId{0};
  }
  sink(std::move(entries), false);
  return logs_.Follow(c->id, std::move(sink));
}

void Runtime::StopFollowing(FollowId id) {
  absl::MutexLock lock(&mu_);
  logs_.StopFollowing(id);
}

// ------------------------------------------------------------- images

absl::StatusOr<cri::ListImagesResponse> Runtime::ListImages(const cri::ListImagesRequest& req) {
  absl::MutexLock lock(&mu_);
  cri::ListImagesResponse r;
  const std::string& want = req.filter().image().image();
  const ImageRecord* only = want.empty() ? nullptr : images_.Find(want);
  if (!want.empty() && only == nullptr) return r;
  for (const ImageRecord* img : images_.List()) {
    if (only != nullptr && img != only) continue;
    *r.add_images() = ImageStore::ToProto(*img);
  }
  return r;
}

absl::StatusOr<cri::ImageStatusResponse> Runtime::ImageStatus(const cri::ImageStatusRequest& req) {
  if (absl::StripAsciiWhitespace(req.image().image()).empty()) {
    return absl::InvalidArgumentError("image name is empty");
  }
  absl::MutexLock lock(&mu_);
  cri::ImageStatusResponse r;
  if (const ImageRecord* img = images_.Find(req.image().image())) {
    *r.mutable_image() = ImageStore::ToProto(*img);
  }
  return r;
}

void Runtime::PullImage(const cri::PullImageRequest& req, Done<cri::PullImageResponse> done) {
  Deferred deferred;
  std::string name = NormalizeImageName(req.image().image());
  if (name.empty()) {
    done(absl::InvalidArgumentError("image name is empty"));
    return;
  }
  absl::MutexLock lock(&mu_);
  if (const ImageRecord* img = images_.Find(name)) {
    cri::PullImageResponse r;
    r.set_image_ref(img->id);
    deferred.Add([done, r] { done(r); });
    return;
  }
  std::vector<Done<cri::PullImageResponse>>& waiters = pulls_[name];
  waiters.push_back(std::move(done));
  if (waiters.size() > 1) return;  // joins the pull in progress

  auto finish = [this, name](Deferred& d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    std::vector<Done<cri::PullImageResponse>> waiters = std::move(pulls_[name]);
    pulls_.erase(name);
    absl::StatusOr<cri::PullImageResponse> result;
    absl::StatusOr<const ImageRecord*> pulled = images_.CompletePull(name);
    if (pulled.ok()) {
      cri::PullImageResponse r;
      r.set_image_ref((*pulled)->id);
      result = r;
    } else {
      result = pulled.status();
    }
    for (auto& w : waiters) d.Add([w = std::move(w), result] { w(result); });
  };
  absl::Duration delay = images_.PullDelayFor(name);
  if (delay <= absl::ZeroDuration()) {
    finish(deferred);
    return;
  }
  auto slot = std::make_shared<common::TimerId>(0);
  common::TimerId t = ScheduleLocked(
      Now() + delay, [this, slot, finish](Deferred& d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        pull_timers_.erase(*slot);
        finish(d);
      });
  *slot = t;
  pull_timers_.insert(t);
}

absl::StatusOr<cri::PullImageResponse> Runtime::PullImage(const cri::PullImageRequest& req) {
  return Await<cri::PullImageResponse>(
      [&](Done<cri::PullImageResponse> done) { PullImage(req, std::move(done)); });
}

absl::StatusOr<cri::RemoveImageResponse> Runtime::RemoveImage(const cri::RemoveImageRequest& req) {
  absl::MutexLock lock(&mu_);
  images_.Remove(req.image().image());
  return cri::RemoveImageResponse();
}

}  // namespace minik8s::runtime
