// mkctl version and mkctl cluster-info.
#include "common/version.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "kubectl/cmd/commands.h"

namespace minik8s::kubectl {
namespace {

// The client's version: the build's (common/version.h).
constexpr const char* kClientVersion = version::kGitVersion;

int RunVersion(Context& ctx, bool client_only, const std::string& output) {
  absl::StatusOr<apiserver::v1::VersionResponse> server;
  if (!client_only) {
    absl::StatusOr<client::ApiClient*> client = ctx.Client();
    server = client.ok() ? (*client)->Version() : client.status();
  }
  if (output == "yaml" || output == "json") {
    if (output == "json") {
      ctx.out() << "{\n  \"clientVersion\": {\n    \"gitVersion\": \"" << kClientVersion
                << "\"\n  }";
      if (server.ok() && !client_only) {
        ctx.out() << ",\n  \"serverVersion\": {\n    \"major\": \"" << server->major()
                  << "\",\n    \"minor\": \"" << server->minor() << "\",\n    \"gitVersion\": \""
                  << server->git_version() << "\",\n    \"platform\": \"" << server->platform()
                  << "\"\n  }";
      }
      ctx.out() << "\n}\n";
    } else {
      ctx.out() << "clientVersion:\n  gitVersion: " << kClientVersion << "\n";
      if (server.ok() && !client_only) {
        ctx.out() << "serverVersion:\n  gitVersion: " << server->git_version() << "\n  major: \""
                  << server->major() << "\"\n  minor: \"" << server->minor()
                  << "\"\n  platform: " << server->platform() << "\n";
      }
    }
  } else {
    ctx.out() << "Client Version: " << kClientVersion << "\n";
    if (server.ok() && !client_only)
      ctx.out() << "Server Version: " << server->git_version() << "\n";
  }
  if (!client_only && !server.ok()) return ctx.Fail(server.status());
  return 0;
}

int RunClusterInfo(Context& ctx) {
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  absl::StatusOr<apiserver::v1::VersionResponse> version = (*client)->Version();
  if (!version.ok()) {
    ctx.err() << "\nTo further debug and diagnose cluster problems, use 'mkctl get events -A'.\n";
    return ctx.Fail(version.status());
  }
  ctx.out() << "Kubernetes control plane is running at " << ctx.ServerHostPort() << "\n\n"
            << "To further debug and diagnose cluster problems, use 'mkctl get events -A' and "
               "'mkctl trace'.\n";
  return 0;
}

}  // namespace

void AddVersionCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto client_only = std::make_shared<bool>(false);
  auto output = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "version", "Print the client and server version information for the current context.");
  cmd->add_flag("--client", *client_only,
                "If true, shows client version only (no server required).");
  cmd->add_option("-o,--output", *output, "One of 'yaml' or 'json'.");
  cmd->callback([&ctx, &exit_code, client_only, output] {
    exit_code = RunVersion(ctx, *client_only, *output);
  });
}

void AddClusterInfoCommand(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("cluster-info", "Display cluster information");
  cmd->callback([&ctx, &exit_code] { exit_code = RunClusterInfo(ctx); });
}

}  // namespace minik8s::kubectl
