#include "runtime/runtime.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "runtime/cri_log.h"
#include "runtime/image_name.h"
#include "runtime/real_clock.h"
#include "runtime/runtime_client.h"
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
  std::string hex = absl::StrCat(absl::Hex(gen(), absl::kZeroPad16), absl::Hex(gen(), absl::kZeroPad16));
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

bool LabelsMatch(const google::protobuf::Map<std::string, std::string>& selector,
                 const google::protobuf::Map<std::string, std::string>& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

const char* StateName(cri::ContainerState s) {
  switch (s) {
    case cri::CONTAINER_CREATED: return "CREATED";
    case cri::CONTAINER_RUNNING: return "RUNNING";
    case cri::CONTAINER_EXITED: return "EXITED";
    default: return "UNKNOWN";
  }
}

std::string ExitReason(int code) { return code == 0 ? "Completed" : "Error"; }

// The version nginx reports, from the image tag when it looks like one.
std::string NginxVersion(const std::string& normalized) {
  std::string repo = ImageRepository(normalized);
  std::string tag = normalized.size() > repo.size() + 1 && normalized[repo.size()] == ':'
                        ? normalized.substr(repo.size() + 1)
                        : "";
  if (!tag.empty() && std::isdigit(static_cast<unsigned char>(tag[0]))) {
    return tag.substr(0, tag.find('-'));  // "1.14.2-alpine" -> "1.14.2"
  }
  return "1.25.3";
}

// "a.b.c.d", four decimal octets.
bool IsIpv4(const std::string& text) {
  std::vector<std::string> octets = absl::StrSplit(text, '.');
  if (octets.size() != 4) return false;
  for (const std::string& o : octets) {
    int v = 0;
    if (o.empty() || o.size() > 3 || !absl::SimpleAtoi(o, &v) || v < 0 || v > 255) return false;
  }
  return true;
}

std::string NginxTime(absl::Time t) {
  return absl::FormatTime("%Y/%m/%d %H:%M:%S", t, absl::UTCTimeZone());
}

}  // namespace

struct Runtime::Sandbox {
  std::string id;
  uint64_t seq = 0;
  cri::PodSandboxConfig config;
  std::string runtime_handler;
  cri::PodSandboxState state = cri::SANDBOX_READY;
  absl::Time created_at;
  std::string ip;  // given by the kubelet (kPodIpAnnotation); cleared on stop
  std::vector<std::string> container_ids;  // creation order
};

struct Runtime::Container {
  std::string id;
  std::string sandbox_id;
  uint64_t seq = 0;
  cri::ContainerConfig config;
  std::string image_name;  // normalized
  std::string image_ref;   // repo digest
  std::string log_path;    // absolute, or empty
  std::map<std::string, std::string> env;
  SimOptions sim;
  Program program;
  ScriptState script;
  FileMap files;
  bool nginx_like = false;

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
  std::set<TimerId> timers;
  bool starting = false;  // StartContainer waits for the start delay
  Done<cri::StartContainerResponse> start_done;
  bool sigterm_sent = false;
  std::vector<Done<cri::StopContainerResponse>> stop_waiters;

  std::deque<cri::LogEntry> logs;
  std::vector<FollowId> followers;
};

struct Runtime::ImageRecord {
  std::string name;  // normalized
  std::string id;    // sha256:...
  std::string repo_digest;
  uint64_t size = 0;
};

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
      owned_clock_(options_.clock ? nullptr : std::make_unique<RealClock>()),
      clock_(options_.clock ? options_.clock : owned_clock_.get()),
      lifeline_(std::make_shared<Lifeline>()),
      boot_id_(NewBootId()) {
  absl::MutexLock lock(&lifeline_->mu);
  lifeline_->runtime = this;
}

Runtime::~Runtime() {
  {
    // Waits for a running timer callback; later ones find no runtime.
    absl::MutexLock lock(&lifeline_->mu);
    lifeline_->runtime = nullptr;
  }
  Deferred deferred;
  absl::MutexLock lock(&mu_);
  absl::Status gone = absl::UnavailableError("the container runtime is shutting down");
  for (auto& [id, f] : followers_) f.sink({}, true);
  followers_.clear();
  for (auto& [id, c] : containers_) {
    for (TimerId t : c->timers) clock_->Cancel(t);
    if (c->start_done) deferred.Add([done = std::move(c->start_done), gone] { done(gone); });
    for (auto& w : c->stop_waiters) deferred.Add([w = std::move(w), gone] { w(gone); });
  }
  for (TimerId t : pull_timers_) clock_->Cancel(t);
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
    if (!containers_.contains(id) && !sandboxes_.contains(id)) return id;
  }
}

TimerId Runtime::ScheduleLocked(absl::Time when, std::function<void(Deferred&)> fn) {
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
  auto slot = std::make_shared<TimerId>(0);
  TimerId id = ScheduleLocked(
      when, [this, id = c.id, epoch = c.epoch, slot, fn = std::move(fn)](Deferred& deferred)
                ABSL_NO_THREAD_SAFETY_ANALYSIS {
                  Container* c = FindContainerLocked(id);
                  if (c == nullptr || c->epoch != epoch) return;
                  c->timers.erase(*slot);
                  fn(*c, deferred);
                });
  *slot = id;
  c.timers.insert(id);
}

Runtime::Container* Runtime::FindContainerLocked(const std::string& id) {
  auto it = containers_.find(id);
  return it == containers_.end() ? nullptr : it->second.get();
}

Runtime::Sandbox* Runtime::FindSandboxLocked(const std::string& id) {
  auto it = sandboxes_.find(id);
  return it == sandboxes_.end() ? nullptr : it->second.get();
}

Runtime::ImageRecord* Runtime::FindImageLocked(const std::string& image) {
  std::string s(absl::StripAsciiWhitespace(image));
  if (s.empty()) return nullptr;
  bool bare_hex = s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
                    return std::isxdigit(static_cast<unsigned char>(c));
                  });
  if (absl::StartsWith(s, "sha256:") || bare_hex) {
    std::string id = bare_hex ? absl::StrCat("sha256:", s) : s;
    for (auto& [name, img] : images_) {
      if (img->id == id) return img.get();
    }
    return nullptr;
  }
  std::string name = NormalizeImageName(s);
  if (auto it = images_.find(name); it != images_.end()) return it->second.get();
  for (auto& [n, img] : images_) {
    if (img->repo_digest == name) return img.get();
  }
  return nullptr;
}

bool Runtime::IsMissingImage(const std::string& normalized) const {
  std::string lower = absl::AsciiStrToLower(normalized);
  if (absl::StrContains(lower, "doesnotexist") || absl::StrContains(lower, "notfound")) {
    return true;
  }
  for (const auto& m : options_.missing_images) {
    if (NormalizeImageName(m) == normalized) return true;
  }
  return false;
}

absl::Duration Runtime::PullDelayFor(const std::string& normalized) const {
  for (const auto& [image, delay] : options_.image_pull_delay_for) {
    if (NormalizeImageName(image) == normalized) return delay;
  }
  return options_.image_pull_delay;
}

void Runtime::AppendLogLocked(Container& c, const std::string& stream, const std::string& text) {
  cri::LogEntry entry;
  entry.set_timestamp(Nanos(Now()));
  entry.set_stream(stream);
  entry.set_text(text);
  if (!c.log_path.empty()) {
    std::ofstream out(c.log_path, std::ios::app | std::ios::binary);
    out << FormatCriLogLine(entry);
    if (!out) spdlog::warn("container {}: cannot write log file {}", c.id, c.log_path);
  }
  for (FollowId f : c.followers) {
    auto it = followers_.find(f);
    if (it != followers_.end()) it->second.sink({entry}, false);
  }
  c.logs.push_back(std::move(entry));
  while (c.logs.size() > options_.max_log_lines) c.logs.pop_front();
}

void Runtime::EndFollowersLocked(Container& c) {
  for (FollowId f : c.followers) {
    auto it = followers_.find(f);
    if (it == followers_.end()) continue;
    it->second.sink({}, true);
    followers_.erase(it);
  }
  c.followers.clear();
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
    ScheduleForContainerLocked(c, now + *c.sim.crash_after, [this](Container& c, Deferred& d)
                                                                ABSL_NO_THREAD_SAFETY_ANALYSIS {
      AppendLogLocked(c, "stderr",
                      absl::StrCat("minik8s-runtime: simulated crash (exit code ",
                                   c.sim.exit_code, ")"));
      ExitLocked(c, c.sim.exit_code, ExitReason(c.sim.exit_code), "", d);
    });
  }
  if (c.sim.oom_after) {
    ScheduleForContainerLocked(c, now + *c.sim.oom_after, [this](Container& c, Deferred& d)
                                                              ABSL_NO_THREAD_SAFETY_ANALYSIS {
      ExitLocked(c, kSigkillExitCode, "OOMKilled", "", d);
    });
  }
  if (c.program.image_default && c.nginx_like) {
    std::string t = NginxTime(now);
    AppendLogLocked(c, "stdout",
                    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to "
                    "perform configuration");
    AppendLogLocked(c, "stdout",
                    "/docker-entrypoint.sh: Configuration complete; ready for start up");
    AppendLogLocked(c, "stderr", absl::StrCat(t, " [notice] 1#1: using the \"epoll\" event method"));
    AppendLogLocked(c, "stderr",
                    absl::StrCat(t, " [notice] 1#1: nginx/", NginxVersion(c.image_name)));
    AppendLogLocked(c, "stderr", absl::StrCat(t, " [notice] 1#1: start worker processes"));
  }
  ContinueScriptLocked(c, deferred);
}

void Runtime::ContinueScriptLocked(Container& c, Deferred& deferred) {
  if (c.state != cri::CONTAINER_RUNNING) return;
  ScriptIo io;
  io.output = [this, &c](const std::string& stream, const std::string& line)
                  ABSL_NO_THREAD_SAFETY_ANALYSIS { AppendLogLocked(c, stream, line); };
  io.files = &c.files;
  Blocked b = RunUntilBlocked(c.program, &c.script, io);
  switch (b.kind) {
    case Blocked::kSleep:
      ScheduleForContainerLocked(c, Now() + b.sleep, [this](Container& c, Deferred& d)
                                                         ABSL_NO_THREAD_SAFETY_ANALYSIS {
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
  for (TimerId t : c.timers) clock_->Cancel(t);
  c.timers.clear();
  for (auto& w : c.stop_waiters) {
    deferred.Add([w = std::move(w)] { w(cri::StopContainerResponse()); });
  }
  c.stop_waiters.clear();
  EndFollowersLocked(c);
  spdlog::debug("container {} ({}) exited: code {} ({})", c.id.substr(0, 13),
                c.config.metadata().name(), exit_code, reason);
}

void Runtime::KillLocked(Container& c, Deferred& deferred) {
  if (c.state == cri::CONTAINER_RUNNING) ExitLocked(c, kSigkillExitCode, "Error", "", deferred);
}

void Runtime::RemoveContainerLocked(const std::string& id, Deferred& deferred) {
  Container* c = FindContainerLocked(id);
  if (c == nullptr) return;
  KillLocked(*c, deferred);
  if (c->start_done) {
    deferred.Add([done = std::move(c->start_done), id] {
      done(absl::NotFoundError(
          absl::StrCat("container \"", id, "\" was removed before it started")));
    });
  }
  EndFollowersLocked(*c);
  if (Sandbox* sb = FindSandboxLocked(c->sandbox_id)) {
    std::erase(sb->container_ids, id);
  }
  containers_.erase(id);
}

void Runtime::ReleaseIpLocked(Sandbox& sb) { sb.ip.clear(); }

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

// The name a sandbox reserves, as containerd spells it:
// <name>_<namespace>_<uid>_<attempt>.
std::string Runtime::SandboxNameOf(const cri::PodSandboxMetadata& md) {
  return absl::StrCat(md.name(), "_", md.namespace_(), "_", md.uid(), "_", md.attempt());
}

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
  std::string ip;
  if (auto it = req.config().annotations().find(kPodIpAnnotation);
      it != req.config().annotations().end()) {
    ip = it->second;
    if (!IsIpv4(ip)) {
      return absl::InvalidArgumentError(absl::StrCat("pod sandbox config: annotation ",
                                                     kPodIpAnnotation, " \"", ip,
                                                     "\" is not an IPv4 address"));
    }
  }
  std::string reserved_name = SandboxNameOf(md);
  absl::MutexLock lock(&mu_);
  if (auto it = sandbox_names_.find(reserved_name); it != sandbox_names_.end()) {
    return absl::AlreadyExistsError(absl::StrCat("failed to reserve sandbox name \"",
                                                 reserved_name, "\": name is reserved for \"",
                                                 it->second, "\""));
  }
  for (const auto& [id, other] : sandboxes_) {
    if (!ip.empty() && other->ip == ip) {
      return absl::AlreadyExistsError(absl::StrCat("pod IP ", ip, " is in use by pod sandbox \"",
                                                   id, "\""));
    }
  }
  auto sb = std::make_unique<Sandbox>();
  sb->id = NewIdLocked();
  sb->seq = next_seq_++;
  sb->config = req.config();
  sb->runtime_handler = req.runtime_handler();
  sb->created_at = Now();
  sb->ip = ip;
  cri::RunPodSandboxResponse r;
  r.set_pod_sandbox_id(sb->id);
  spdlog::debug("sandbox {} for pod {}/{} ready, ip {}", sb->id.substr(0, 13), md.namespace_(),
                md.name(), sb->ip);
  sandbox_names_.emplace(std::move(reserved_name), sb->id);
  sandboxes_.emplace(sb->id, std::move(sb));
  return r;
}

absl::StatusOr<cri::StopPodSandboxResponse> Runtime::StopPodSandbox(
    const cri::StopPodSandboxRequest& req) {
  Deferred deferred;
  absl::MutexLock lock(&mu_);
  Sandbox* sb = FindSandboxLocked(req.pod_sandbox_id());
  if (sb == nullptr) return cri::StopPodSandboxResponse();  // already gone
  for (const std::string& id : sb->container_ids) {
    if (Container* c = FindContainerLocked(id)) KillLocked(*c, deferred);
  }
  ReleaseIpLocked(*sb);
  sb->state = cri::SANDBOX_NOTREADY;
  return cri::StopPodSandboxResponse();
}

absl::StatusOr<cri::RemovePodSandboxResponse> Runtime::RemovePodSandbox(
    const cri::RemovePodSandboxRequest& req) {
  Deferred deferred;
  absl::MutexLock lock(&mu_);
  Sandbox* sb = FindSandboxLocked(req.pod_sandbox_id());
  if (sb == nullptr) return cri::RemovePodSandboxResponse();  // already gone
  std::vector<std::string> ids = sb->container_ids;
  for (const std::string& id : ids) RemoveContainerLocked(id, deferred);
  ReleaseIpLocked(*sb);
  sandbox_names_.erase(SandboxNameOf(sb->config.metadata()));
  sandboxes_.erase(req.pod_sandbox_id());
  return cri::RemovePodSandboxResponse();
}

absl::StatusOr<cri::PodSandboxStatusResponse> Runtime::PodSandboxStatus(
    const cri::PodSandboxStatusRequest& req) {
  absl::MutexLock lock(&mu_);
  Sandbox* sb = FindSandboxLocked(req.pod_sandbox_id());
  if (sb == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("pod sandbox \"", req.pod_sandbox_id(), "\" not found"));
  }
  cri::PodSandboxStatusResponse r;
  cri::PodSandboxStatus* s = r.mutable_status();
  s->set_id(sb->id);
  *s->mutable_metadata() = sb->config.metadata();
  s->set_state(sb->state);
  s->set_created_at(Nanos(sb->created_at));
  s->mutable_network()->set_ip(sb->ip);
  *s->mutable_labels() = sb->config.labels();
  *s->mutable_annotations() = sb->config.annotations();
  s->set_runtime_handler(sb->runtime_handler);
  return r;
}

absl::StatusOr<cri::ListPodSandboxResponse> Runtime::ListPodSandbox(
    const cri::ListPodSandboxRequest& req) {
  const cri::PodSandboxFilter& f = req.filter();
  std::vector<Sandbox*> found;
  absl::MutexLock lock(&mu_);
  for (auto& [id, sb] : sandboxes_) {
    if (!f.id().empty() && !absl::StartsWith(id, f.id())) continue;
    if (f.has_state() && sb->state != f.state().state()) continue;
    if (!LabelsMatch(f.label_selector(), sb->config.labels())) continue;
    found.push_back(sb.get());
  }
  std::sort(found.begin(), found.end(), [](Sandbox* a, Sandbox* b) { return a->seq < b->seq; });
  cri::ListPodSandboxResponse r;
  for (Sandbox* sb : found) {
    cri::PodSandbox* p = r.add_items();
    p->set_id(sb->id);
    *p->mutable_metadata() = sb->config.metadata();
    p->set_state(sb->state);
    p->set_created_at(Nanos(sb->created_at));
    *p->mutable_labels() = sb->config.labels();
    *p->mutable_annotations() = sb->config.annotations();
    p->set_runtime_handler(sb->runtime_handler);
  }
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
    return absl::InvalidArgumentError(absl::StrCat("container \"", config.metadata().name(),
                                                   "\": ", sim.status().message()));
  }

  absl::MutexLock lock(&mu_);
  Sandbox* sb = FindSandboxLocked(req.pod_sandbox_id());
  if (sb == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("pod sandbox \"", req.pod_sandbox_id(), "\" not found"));
  }
  if (sb->state != cri::SANDBOX_READY) {
    return absl::FailedPreconditionError(
        absl::StrCat("pod sandbox \"", sb->id, "\" is not ready (stopped)"));
  }
  ImageRecord* image = FindImageLocked(config.image().image());
  if (image == nullptr) {
    return absl::NotFoundError(absl::StrCat("failed to get image \"", config.image().image(),
                                            "\": not found (pull it first)"));
  }
  for (const std::string& id : sb->container_ids) {
    Container* other = FindContainerLocked(id);
    if (other && other->config.metadata().name() == config.metadata().name() &&
        other->config.metadata().attempt() == config.metadata().attempt()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "failed to reserve container name \"", config.metadata().name(), "_",
          sb->config.metadata().name(), "_", sb->config.metadata().namespace_(), "_",
          sb->config.metadata().uid(), "_", config.metadata().attempt(),
          "\": name is reserved for \"", id, "\""));
    }
  }
  auto c = std::make_unique<Container>();
  if (!sb->config.log_directory().empty()) {
    std::string rel = config.log_path().empty()
                          ? absl::StrCat(config.metadata().name(), "/",
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
  c->program = CompileCommand(argv, c->env);
  c->nginx_like = absl::StrContains(ImageRepository(image->name), "nginx");
  c->created_at = Now();
  sb->container_ids.push_back(c->id);
  cri::CreateContainerResponse r;
  r.set_container_id(c->id);
  containers_.emplace(c->id, std::move(c));
  return r;
}

void Runtime::StartContainer(const cri::StartContainerRequest& req,
                             Done<cri::StartContainerResponse> done) {
  Deferred deferred;
  absl::MutexLock lock(&mu_);
  auto fail = [&](absl::Status s) { deferred.Add([done, s] { done(s); }); };
  Container* c = FindContainerLocked(req.container_id());
  if (c == nullptr) {
    return fail(absl::NotFoundError(
        absl::StrCat("container \"", req.container_id(), "\" not found")));
  }
  if (c->state != cri::CONTAINER_CREATED || c->starting) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("container \"", c->id, "\" is in ",
                     c->starting ? "STARTING" : StateName(c->state),
                     " state; only a CREATED container can be started")));
  }
  Sandbox* sb = FindSandboxLocked(c->sandbox_id);
  if (sb == nullptr || sb->state != cri::SANDBOX_READY) {
    return fail(absl::FailedPreconditionError(
        absl::StrCat("pod sandbox \"", c->sandbox_id, "\" of container \"", c->id,
                     "\" is not ready")));
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
                   Container* c = FindContainerLocked(id);
                   if (c == nullptr || !c->starting) return;  // removed meanwhile
                   Done<cri::StartContainerResponse> done = std::move(c->start_done);
                   c->start_done = nullptr;
                   c->starting = false;
                   Sandbox* sb = FindSandboxLocked(c->sandbox_id);
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
  Container* c = FindContainerLocked(req.container_id());
  if (c == nullptr) {
    deferred.Add([done, id = req.container_id()] {
      done(absl::NotFoundError(absl::StrCat("container \"", id, "\" not found")));
    });
    return;
  }
  if (c->state != cri::CONTAINER_RUNNING) return ok();  // nothing to stop
  if (req.timeout() <= 0) {
    KillLocked(*c, deferred);
    return ok();
  }
  if (!c->sim.ignore_sigterm) {
    if (c->nginx_like && c->program.image_default) {
      std::string t = NginxTime(Now());
      AppendLogLocked(*c, "stderr",
                      absl::StrCat(t, " [notice] 1#1: signal 15 (SIGTERM) received, exiting"));
      AppendLogLocked(*c, "stderr", absl::StrCat(t, " [notice] 1#1: exit"));
    }
    ExitLocked(*c, 0, "Completed", "", deferred);
    return ok();
  }
  // SIGTERM is ignored: SIGKILL when the grace period ends. A second stop
  // with a shorter timeout brings the kill forward.
  c->sigterm_sent = true;
  c->stop_waiters.push_back(std::move(done));
  ScheduleForContainerLocked(*c, Now() + absl::Seconds(req.timeout()),
                             [this](Container& c, Deferred& d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                               KillLocked(c, d);
                             });
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

absl::StatusOr<cri::ListContainersResponse> Runtime::ListContainers(
    const cri::ListContainersRequest& req) {
  const cri::ContainerFilter& f = req.filter();
  std::vector<Container*> found;
  absl::MutexLock lock(&mu_);
  for (auto& [id, c] : containers_) {
    if (!f.id().empty() && !absl::StartsWith(id, f.id())) continue;
    if (!f.pod_sandbox_id().empty() && !absl::StartsWith(c->sandbox_id, f.pod_sandbox_id())) {
      continue;
    }
    if (f.has_state() && c->state != f.state().state()) continue;
    if (!LabelsMatch(f.label_selector(), c->config.labels())) continue;
    found.push_back(c.get());
  }
  std::sort(found.begin(), found.end(),
            [](Container* a, Container* b) { return a->seq < b->seq; });
  cri::ListContainersResponse r;
  for (Container* c : found) {
    cri::Container* out = r.add_containers();
    out->set_id(c->id);
    out->set_pod_sandbox_id(c->sandbox_id);
    *out->mutable_metadata() = c->config.metadata();
    out->mutable_image()->set_image(c->image_name);
    out->set_image_ref(c->image_ref);
    out->set_state(c->state);
    out->set_created_at(Nanos(c->created_at));
    *out->mutable_labels() = c->config.labels();
    *out->mutable_annotations() = c->config.annotations();
  }
  return r;
}

void Runtime::FillStatusLocked(const Container& c, cri::ContainerStatus* s) {
  s->set_id(c.id);
  *s->mutable_metadata() = c.config.metadata();
  s->set_state(c.state);
  s->set_created_at(Nanos(c.created_at));
  if (c.started) s->set_started_at(Nanos(c.started_at));
  if (c.finished) s->set_finished_at(Nanos(c.finished_at));
  s->set_exit_code(c.exit_code);
  s->mutable_image()->set_image(c.image_name);
  s->set_image_ref(c.image_ref);
  s->set_reason(c.reason);
  s->set_message(c.message);
  *s->mutable_labels() = c.config.labels();
  *s->mutable_annotations() = c.config.annotations();
  s->set_log_path(c.log_path);
  *s->mutable_resources() = c.config.resources();
  s->set_pod_sandbox_id(c.sandbox_id);
}

absl::StatusOr<cri::ContainerStatusResponse> Runtime::ContainerStatus(
    const cri::ContainerStatusRequest& req) {
  absl::MutexLock lock(&mu_);
  Container* c = FindContainerLocked(req.container_id());
  if (c == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("container \"", req.container_id(), "\" not found"));
  }
  cri::ContainerStatusResponse r;
  FillStatusLocked(*c, r.mutable_status());
  return r;
}

// ------------------------------------------------------------- exec and probes

std::optional<std::string> Runtime::ProbeFailureLocked(const Container& c, cri::ProbeKind kind) {
  if (c.state != cri::CONTAINER_RUNNING) return "container is not running";
  absl::Duration up = Now() - c.started_at;
  const SimOptions& s = c.sim;
  switch (kind) {
    case cri::LIVENESS:
      if (s.liveness_fail) return "simulated liveness failure (MINIK8S_SIM_LIVENESS=fail)";
      if (s.liveness_fail_after && up >= *s.liveness_fail_after) {
        return absl::StrCat("simulated liveness failure (MINIK8S_SIM_LIVENESS_FAIL_AFTER=",
                            absl::FormatDuration(*s.liveness_fail_after), ")");
      }
      break;
    case cri::READINESS:
      if (s.readiness_fail) return "simulated readiness failure (MINIK8S_SIM_READINESS=fail)";
      if (s.ready_after && up < *s.ready_after) {
        return absl::StrCat("simulated: not ready yet (MINIK8S_SIM_READY_AFTER=",
                            absl::FormatDuration(*s.ready_after), ")");
      }
      break;
    case cri::STARTUP:
      if (s.startup_after && up < *s.startup_after) {
        return absl::StrCat("simulated: not started yet (MINIK8S_SIM_STARTUP_AFTER=",
                            absl::FormatDuration(*s.startup_after), ")");
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

absl::StatusOr<cri::ExecSyncResponse> Runtime::ExecSync(const cri::ExecSyncRequest& req) {
  if (req.cmd().empty()) return absl::InvalidArgumentError("exec: cmd is empty");
  absl::MutexLock lock(&mu_);
  Container* c = FindContainerLocked(req.container_id());
  if (c == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("container \"", req.container_id(), "\" not found"));
  }
  if (c->state != cri::CONTAINER_RUNNING) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container \"", c->id, "\" is not running (state ", StateName(c->state), ")"));
  }
  cri::ExecSyncResponse r;
  if (req.probe_kind() != cri::PROBE_KIND_UNSPECIFIED) {
    if (auto failure = ProbeFailureLocked(*c, req.probe_kind())) {
      r.set_exit_code(1);
      r.set_stderr(*failure + "\n");
      return r;
    }
  }
  std::vector<std::string> argv(req.cmd().begin(), req.cmd().end());
  Program program = CompileCommand(argv, c->env);
  std::string out, err;
  ScriptIo io;
  io.output = [&](const std::string& stream, const std::string& line) {
    absl::StrAppend(stream == "stderr" ? &err : &out, line, "\n");
  };
  io.files = &c->files;
  ScriptState state;
  while (true) {
    Blocked b = RunUntilBlocked(program, &state, io);
    if (b.kind == Blocked::kSleep) continue;  // exec'd commands take no simulated time
    if (b.kind == Blocked::kExit) {
      r.set_exit_code(b.exit_code);
      break;
    }
    if (b.unknown) {  // the simulated image has every tool, and it succeeds
      r.set_exit_code(0);
      break;
    }
    return absl::DeadlineExceededError(absl::StrCat(
        "command \"", program.description, "\" does not exit",
        req.timeout() > 0 ? absl::StrCat(" (timeout ", req.timeout(), "s exceeded)") : ""));
  }
  r.set_stdout(out);
  r.set_stderr(err);
  return r;
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
  Container* c = FindContainerLocked(req.container_id());
  if (c == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("container \"", req.container_id(), "\" not found"));
  }
  cri::ProbeResponse r;
  std::optional<std::string> failure = ProbeFailureLocked(*c, req.kind());
  r.set_success(!failure.has_value());
  if (req.handler() == cri::HTTP_GET) r.set_http_status_code(failure ? 503 : 200);
  if (!failure) return r;
  spdlog::debug("container {}: {} probe fails: {}", c->id.substr(0, 13),
                cri::ProbeKind_Name(req.kind()), *failure);
  std::string ip;
  if (Sandbox* sb = FindSandboxLocked(c->sandbox_id)) ip = sb->ip;
  if (c->state != cri::CONTAINER_RUNNING) {
    r.set_message(*failure);
  } else if (req.handler() == cri::HTTP_GET) {
    r.set_message("HTTP probe failed with statuscode: 503");
  } else if (req.handler() == cri::TCP_SOCKET) {
    r.set_message(
        absl::StrCat("dial tcp ", ip, ":", req.port(), ": connect: connection refused"));
  } else {
    r.set_message("service unhealthy (responded with \"NOT_SERVING\")");
  }
  return r;
}

// ------------------------------------------------------------- logs

namespace {
void TailInto(const std::deque<cri::LogEntry>& logs, const cri::ReadLogsRequest& req,
              std::vector<cri::LogEntry>* out) {
  size_t n = logs.size();
  if (req.has_tail_lines()) {
    n = std::min<size_t>(n, static_cast<size_t>(std::max<int64_t>(0, req.tail_lines())));
  }
  out->assign(logs.end() - static_cast<std::ptrdiff_t>(n), logs.end());
}
}  // namespace

absl::StatusOr<cri::ReadLogsResponse> Runtime::ReadLogs(const cri::ReadLogsRequest& req) {
  absl::MutexLock lock(&mu_);
  Container* c = FindContainerLocked(req.container_id());
  if (c == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("container \"", req.container_id(), "\" not found"));
  }
  std::vector<cri::LogEntry> entries;
  TailInto(c->logs, req, &entries);
  cri::ReadLogsResponse r;
  for (auto& e : entries) *r.add_entries() = std::move(e);
  return r;
}

absl::StatusOr<FollowId> Runtime::FollowLogs(const cri::ReadLogsRequest& req, LogSink sink) {
  absl::MutexLock lock(&mu_);
  Container* c = FindContainerLocked(req.container_id());
  if (c == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("container \"", req.container_id(), "\" not found"));
  }
  std::vector<cri::LogEntry> entries;
  TailInto(c->logs, req, &entries);
  if (c->state == cri::CONTAINER_EXITED) {
    sink(std::move(entries), true);
    return FollowId{0};
  }
  sink(std::move(entries), false);
  FollowId id = next_follow_id_++;
  followers_.emplace(id, Follower{c->id, std::move(sink)});
  c->followers.push_back(id);
  return id;
}

void Runtime::StopFollowing(FollowId id) {
  absl::MutexLock lock(&mu_);
  auto it = followers_.find(id);
  if (it == followers_.end()) return;
  if (Container* c = FindContainerLocked(it->second.container_id)) {
    std::erase(c->followers, id);
  }
  followers_.erase(it);
}

// ------------------------------------------------------------- images

namespace {
cri::Image ToProto(const std::string& name, const std::string& id, const std::string& digest,
                   uint64_t size) {
  cri::Image img;
  img.set_id(id);
  if (!absl::StrContains(name, '@')) img.add_repo_tags(name);
  img.add_repo_digests(digest);
  img.set_size(size);
  return img;
}
}  // namespace

absl::StatusOr<cri::ListImagesResponse> Runtime::ListImages(const cri::ListImagesRequest& req) {
  absl::MutexLock lock(&mu_);
  cri::ListImagesResponse r;
  const std::string& want = req.filter().image().image();
  ImageRecord* only = want.empty() ? nullptr : FindImageLocked(want);
  if (!want.empty() && only == nullptr) return r;
  for (auto& [name, img] : images_) {
    if (only != nullptr && img.get() != only) continue;
    *r.add_images() = ToProto(img->name, img->id, img->repo_digest, img->size);
  }
  return r;
}

absl::StatusOr<cri::ImageStatusResponse> Runtime::ImageStatus(
    const cri::ImageStatusRequest& req) {
  if (absl::StripAsciiWhitespace(req.image().image()).empty()) {
    return absl::InvalidArgumentError("image name is empty");
  }
  absl::MutexLock lock(&mu_);
  cri::ImageStatusResponse r;
  if (ImageRecord* img = FindImageLocked(req.image().image())) {
    *r.mutable_image() = ToProto(img->name, img->id, img->repo_digest, img->size);
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
  if (ImageRecord* img = FindImageLocked(name)) {
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
    if (IsMissingImage(name)) {
      result = absl::NotFoundError(absl::StrCat(
          "failed to pull and unpack image \"", name, "\": failed to resolve reference \"",
          name, "\": ", name, ": not found"));
      spdlog::info("pull of {} failed: not found", name);
    } else {
      auto img = std::make_unique<ImageRecord>();
      img->name = name;
      std::string hex = Sha256Hex(name);
      img->id = absl::StrCat("sha256:", hex);
      img->repo_digest = absl::StrContains(name, '@')
                             ? name
                             : absl::StrCat(ImageRepository(name), "@sha256:",
                                            Sha256Hex(absl::StrCat("manifest:", name)));
      uint64_t h = 0;
      absl::SimpleHexAtoi(hex.substr(0, 12), &h);
      img->size = 5'000'000 + h % 200'000'000;
      cri::PullImageResponse r;
      r.set_image_ref(img->id);
      result = r;
      images_[name] = std::move(img);
      spdlog::debug("pulled {}", name);
    }
    for (auto& w : waiters) d.Add([w = std::move(w), result] { w(result); });
  };
  absl::Duration delay = PullDelayFor(name);
  if (delay <= absl::ZeroDuration()) {
    finish(deferred);
    return;
  }
  auto slot = std::make_shared<TimerId>(0);
  TimerId t = ScheduleLocked(Now() + delay,
                             [this, slot, finish](Deferred& d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
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

absl::StatusOr<cri::RemoveImageResponse> Runtime::RemoveImage(
    const cri::RemoveImageRequest& req) {
  absl::MutexLock lock(&mu_);
  if (ImageRecord* img = FindImageLocked(req.image().image())) {
    images_.erase(img->name);
  }
  return cri::RemoveImageResponse();
}

}  // namespace minik8s::runtime
