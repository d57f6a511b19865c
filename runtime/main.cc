// minik8s-runtime: the fake container runtime daemon. Parses flags, builds a
// Runtime and serves it over the CRI-like gRPC API (plus the standard gRPC
// health service) until SIGINT/SIGTERM.
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/daemon.h"
#include "common/duration.h"
#include "common/unix_socket.h"
#include "runtime/endpoint.h"
#include "runtime/runtime.h"
#include "runtime/runtime_service.h"
#include "spdlog/spdlog.h"

namespace minik8s::runtime {
namespace {

int Run(int argc, char** argv) {
  Daemon daemon({.name = "minik8s-runtime",
                 .description = "a fake container runtime behind a CRI-like gRPC API",
                 .health_help = "host:port of a health and metrics endpoint (gRPC health and "
                                "HTTP GET /healthz, /readyz, /livez, /metrics); the --listen "
                                "address serves gRPC health as well; empty = none"});
  RuntimeOptions options;
  std::string listen = "unix:///tmp/minik8s-runtime.sock";
  std::vector<std::string> pull_delay_for;
  std::vector<std::string> missing;
  std::string pod_cidr;  // ignored (see --pod-cidr)

  CLI::App& app = daemon.app();
  app.add_option("--listen", listen,
                 "Address to serve on: unix:///path, a socket path, or host:port")
      ->capture_default_str();
  daemon.AddDurationFlag("--image-pull-delay", &options.image_pull_delay,
                         "How long pulling an absent image takes (e.g. 500ms, 2s)");
  app.add_option("--image-pull-delay-for", pull_delay_for,
                 "Per-image pull time IMAGE=DURATION, e.g. nginx:1.14.2=2s (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--missing-image", missing,
                 "Image whose pull fails with 'not found' (repeatable); names containing "
                 "'doesnotexist' or 'notfound' always fail")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  daemon.AddDurationFlag("--container-start-delay", &options.container_start_delay,
                         "Time from StartContainer until the container runs");
  app.add_option("--pod-cidr", pod_cidr,
                 "Ignored, kept for old command lines: the kubelet assigns pod IPs from its "
                 "node's podCIDR and passes each in RunPodSandbox");
  if (std::optional<int> exit = daemon.Parse(argc, argv)) return *exit;

  auto fail = [&daemon](const absl::Status& s) { return daemon.Fail(s, 2); };
  for (const std::string& spec : pull_delay_for) {
    size_t eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          "--image-pull-delay-for: \"", spec, "\" is not IMAGE=DURATION (e.g. nginx:1.14.2=2s)")));
    }
    absl::StatusOr<absl::Duration> d = ParseGoDuration(spec.substr(eq + 1));
    if (d.ok() && *d < absl::ZeroDuration()) {
      d = absl::InvalidArgumentError(
          absl::StrCat("negative duration \"", spec.substr(eq + 1), "\""));
    }
    if (!d.ok()) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("--image-pull-delay-for: ", d.status().message())));
    }
    options.image_pull_delay_for[spec.substr(0, eq)] = *d;
  }
  options.missing_images = missing;

  absl::StatusOr<std::string> address = RuntimeEndpointToGrpcAddress(listen);
  if (!address.ok()) return fail(address.status());
  std::string socket_path = UnixSocketPath(*address);
  if (!socket_path.empty()) {
    if (absl::Status s = PrepareSocketPath(socket_path); !s.ok()) return fail(s);
  }

  absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create(options);
  if (!rt.ok()) return fail(rt.status());

  RuntimeServiceImpl runtime_service(rt->get());
  ImageServiceImpl image_service(rt->get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(*address, grpc::InsecureServerCredentials());
  builder.RegisterService(&runtime_service);
  builder.RegisterService(&image_service);
  std::unique_ptr<grpc::Server> server;
  if (socket_path.empty()) {
    server = builder.BuildAndStart();
  } else {
    // The bind happens in BuildAndStart: the socket is born 0600.
    ScopedSocketUmask private_socket;
    server = builder.BuildAndStart();
  }
  if (!server) {
    return fail(absl::UnavailableError(absl::StrCat("cannot listen on ", *address)));
  }
  if (!socket_path.empty()) {
    if (absl::Status s = RestrictSocket(socket_path); !s.ok()) {
      server->Shutdown();
      return fail(s);
    }
  }
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->SetServingStatus(true);
    health->SetServingStatus("minik8s.cri.v1.RuntimeService", true);
    health->SetServingStatus("minik8s.cri.v1.ImageService", true);
  }
  if (absl::Status s = daemon.StartHealth(); !s.ok()) {
    server->Shutdown();
    return daemon.Fail(s);
  }
  daemon.SetServing(true);
  spdlog::info("minik8s-runtime serving on {} (pull delay {}, start delay {})", *address,
               absl::FormatDuration(options.image_pull_delay),
               absl::FormatDuration(options.container_start_delay));

  daemon.WaitForShutdown();
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
