// minik8s-runtime: the fake container runtime daemon. Parses flags, builds a
// Runtime and serves it over the CRI-like gRPC API (plus the standard gRPC
// health service) until SIGINT/SIGTERM.
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "common/signals.h"
#include "runtime/endpoint.h"
#include "runtime/runtime.h"
#include "runtime/runtime_service.h"
#include "runtime/sim_options.h"
#include "spdlog/spdlog.h"

namespace minik8s::runtime {
namespace {

// True if something accepts connections on the unix socket at `path`.
bool SocketIsLive(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return live;
}

// Removes a stale socket file left by a runtime that died; refuses to take
// over a live one or to delete something that is not a socket.
absl::Status PrepareSocketPath(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path));
  }
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat("stat ", path, ": ", strerror(errno)));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " exists and is not a socket; refusing to replace it"));
  }
  if (SocketIsLive(path)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "another runtime is already serving on ", path, " (stop it first)"));
  }
  if (unlink(path.c_str()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot remove stale socket ", path, ": ", strerror(errno)));
  }
  spdlog::info("removed stale socket {}", path);
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> FlagDuration(const std::string& flag, const std::string& value) {
  absl::StatusOr<absl::Duration> d = ParseSimDuration(value);
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", d.status().message()));
  return d;
}

int Run(int argc, char** argv) {
  std::string listen = "unix:///tmp/minik8s-runtime.sock";
  std::string pull_delay = "0s";
  std::vector<std::string> pull_delay_for;
  std::vector<std::string> missing;
  std::string start_delay = "0s";
  std::string pod_cidr;  // ignored (see --pod-cidr)
  std::string log_level = "info";

  CLI::App app{"minik8s-runtime: a fake container runtime behind a CRI-like gRPC API"};
  app.add_option("--listen", listen,
                 "Address to serve on: unix:///path, a socket path, or host:port")
      ->capture_default_str();
  app.add_option("--image-pull-delay", pull_delay,
                 "How long pulling an absent image takes (e.g. 500ms, 2s)")
      ->capture_default_str();
  app.add_option("--image-pull-delay-for", pull_delay_for,
                 "Per-image pull time IMAGE=DURATION, e.g. nginx:1.14.2=2s (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--missing-image", missing,
                 "Image whose pull fails with 'not found' (repeatable); names containing "
                 "'doesnotexist' or 'notfound' always fail")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--container-start-delay", start_delay,
                 "Time from StartContainer until the container runs")
      ->capture_default_str();
  app.add_option("--pod-cidr", pod_cidr,
                 "Ignored, kept for old command lines: the kubelet assigns pod IPs from its "
                 "node's podCIDR and passes each in RunPodSandbox");
  app.add_option("--log-level", log_level, "Log level: trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_level(spdlog::level::from_str(log_level));

  RuntimeOptions options;
  auto fail = [](const absl::Status& s) {
    std::cerr << "minik8s-runtime: " << s.message() << "\n";
    return 2;
  };
  absl::StatusOr<absl::Duration> d = FlagDuration("--image-pull-delay", pull_delay);
  if (!d.ok()) return fail(d.status());
  options.image_pull_delay = *d;
  d = FlagDuration("--container-start-delay", start_delay);
  if (!d.ok()) return fail(d.status());
  options.container_start_delay = *d;
  for (const std::string& spec : pull_delay_for) {
    size_t eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          "--image-pull-delay-for: \"", spec, "\" is not IMAGE=DURATION (e.g. nginx:1.14.2=2s)")));
    }
    d = FlagDuration("--image-pull-delay-for", spec.substr(eq + 1));
    if (!d.ok()) return fail(d.status());
    options.image_pull_delay_for[spec.substr(0, eq)] = *d;
  }
  options.missing_images = missing;

  absl::StatusOr<std::string> address = RuntimeEndpointToGrpcAddress(listen);
  if (!address.ok()) return fail(address.status());
  std::string socket_path = UnixSocketPath(*address);
  if (!socket_path.empty()) {
    if (absl::Status s = PrepareSocketPath(socket_path); !s.ok()) return fail(s);
  }

  BlockShutdownSignals();
  absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create(options);
  if (!rt.ok()) return fail(rt.status());

  RuntimeServiceImpl runtime_service(rt->get());
  ImageServiceImpl image_service(rt->get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(*address, grpc::InsecureServerCredentials());
  builder.RegisterService(&runtime_service);
  builder.RegisterService(&image_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    return fail(absl::UnavailableError(absl::StrCat("cannot listen on ", *address)));
  }
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->SetServingStatus(true);
    health->SetServingStatus("minik8s.cri.v1.RuntimeService", true);
    health->SetServingStatus("minik8s.cri.v1.ImageService", true);
  }
  spdlog::info("minik8s-runtime serving on {} (pull delay {}, start delay {})", *address,
               absl::FormatDuration(options.image_pull_delay),
               absl::FormatDuration(options.container_start_delay));

  int sig = WaitForShutdownSignal();
  spdlog::info("signal {} received, shutting down", sig);
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->Shutdown();
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  rt->reset();
  if (!socket_path.empty()) unlink(socket_path.c_str());
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace minik8s::runtime

int main(int argc, char** argv) { return minik8s::runtime::Run(argc, argv); }
