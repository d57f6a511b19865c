// mkctl explain TYPE[.FIELD...] [--recursive]: a kind's fields from the
// OpenAPI v3 document the apiserver serves for its group-version, printed
// as kubectl explain prints them (kubectl/printers/explain.h). The
// apiserver serves OpenAPI over HTTP only, on the port of its gRPC API, so
// mkctl fetches /openapi/v3/api/v1 or /openapi/v3/apis/GROUP/VERSION with a
// plain HTTP/1.1 GET (no TLS; a unix:// server is refused).
#include "kubectl/printers/explain.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/yaml_limits.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/resource_args.h"

namespace minik8s::kubectl {
namespace {

struct ExplainOptions {
  std::vector<std::string> args;
  bool recursive = false;
  std::string api_version;
};

// The body of `GET http://host:port<path>`; Unavailable when nothing
// answers, Internal on a non-200 answer.
absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path,
                                    const std::string& bearer_token) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read OpenAPI from ", host_port));
  }
  std::string host = host_port.substr(0, colon);
  const std::string port = host_port.substr(colon + 1);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", host_port));
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval timeout{30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("connection refused: ", host_port));
  const std::string request = absl::StrCat(
      "GET ", path, " HTTP/1.1\r\nHost: ", host_port,
      "\r\nAccept: application/json\r\nUser-Agent: mkctl\r\nConnection: close\r\n",
      bearer_token.empty() ? "" : absl::StrCat("Authorization: Bearer ", bearer_token, "\r\n"),
      "\r\n");
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      return absl::UnavailableError(absl::StrCat("cannot send to ", host_port));
    }
    sent += n;
  }
  std::string response;
  char buf[16384];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    response.append(buf, n);
  }
  close(fd);
  const size_t end = response.find("\r\n\r\n");
  if (end == std::string::npos) {
    return absl::UnavailableError(absl::StrCat("no HTTP answer from ", host_port));
  }
  const std::vector<std::string> head = absl::StrSplit(response.substr(0, end), "\r\n");
  std::string body = response.substr(end + 4);
  const std::vector<std::string> status = absl::StrSplit(head[0], absl::MaxSplits(' ', 2));
  if (status.size() < 2 || status[1] != "200") {
    return absl::InternalError(absl::StrCat("GET ", path, ": ", head[0]));
  }
  bool chunked = false;
  for (size_t i = 1; i < head.size(); ++i) {
    const std::string line = absl::AsciiStrToLower(head[i]);
    if (absl::StartsWith(line, "transfer-encoding:") && absl::StrContains(line, "chunked")) {
      chunked = true;
    }
  }
  if (!chunked) return body;
  std::string decoded;
  size_t at = 0;
  for (;;) {
    const size_t line_end = body.find("\r\n", at);
    if (line_end == std::string::npos) break;
    uint64_t size = 0;
    if (!absl::SimpleHexAtoi(body.substr(at, line_end - at), &size) || size == 0) break;
    decoded.append(body, line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  return decoded;
}

int RunExplain(Context& ctx, const ExplainOptions& o) {
  if (o.args.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "You must specify the type of resource to explain. Use \"mkctl api-resources\" for a "
        "complete list of supported resources."));
  }
  if (o.args.size() > 1) {
    return ctx.Fail(
        absl::InvalidArgumentError(absl::StrCat("We accept only this format: explain RESOURCE")));
  }
  // The longest dotted prefix that names a type (`deployments.apps.spec`),
  // the rest the field path.
  const std::vector<std::string> parts = absl::StrSplit(o.args[0], '.');
  const api::KindInfo* kind = nullptr;
  std::vector<std::string> fields;
  for (size_t n = parts.size(); n >= 1 && kind == nullptr; --n) {
    std::vector<std::string> prefix(parts.begin(), parts.begin() + n);
    absl::StatusOr<const api::KindInfo*> resolved = ResolveType(absl::StrJoin(prefix, "."));
    if (resolved.ok()) {
      kind = *resolved;
      fields.assign(parts.begin() + n, parts.end());
    }
  }
  if (kind == nullptr) {
    // kubectl prints this one without `error: `.
    ctx.err() << "the server doesn't have a resource type \"" << parts[0] << "\"\n";
    return 1;
  }
  if (!o.api_version.empty() && o.api_version != kind->api_version) {
    return ctx.Fail(absl::NotFoundError(
        absl::StrCat("couldn't find resource for \"", o.api_version, ", Kind=", kind->kind, "\"")));
  }
  absl::StatusOr<ClusterConfig> config = ctx.Config();
  if (!config.ok()) return ctx.Fail(config.status());
  if (absl::StartsWith(config->server, "unix:")) {
    return ctx.Fail(absl::UnimplementedError(
        "explain reads the apiserver's OpenAPI over HTTP, which a unix:// server does not serve"));
  }
  const std::string path = kind->group.empty()
                               ? absl::StrCat("/openapi/v3/api/", kind->version)
                               : absl::StrCat("/openapi/v3/apis/", kind->group, "/", kind->version);
  // The client is not dialed; it carries the credentials the gRPC calls send.
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  absl::StatusOr<std::string> body =
      HttpGet(ctx.ServerHostPort(), path, (*client)->options().bearer_token);
  if (!body.ok()) return ctx.Fail(body.status());
  absl::StatusOr<YAML::Node> document = api::LoadLimited(*body);
  if (!document.ok()) {
    return ctx.Fail(absl::InternalError(absl::StrCat("cannot read the OpenAPI document ", path,
                                                     ": ", document.status().message())));
  }
  ExplainRequest request{kind->group, kind->version, kind->kind, fields, o.recursive};
  ExplainOutput output = Explain(*document, request);
  ctx.out() << output.text;
  ctx.out().flush();
  if (!output.status.ok()) return ctx.Fail(absl::InvalidArgumentError(output.status.message()));
  return 0;
}

}  // namespace

void AddExplainCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<ExplainOptions>();
  CLI::App* cmd = app.add_subcommand("explain", "Get documentation for a resource");
  cmd->add_option("resource", o->args, "TYPE or TYPE.FIELD.PATH (e.g. deployment.spec.strategy)");
  cmd->add_flag("--recursive", o->recursive,
                "Print the fields of fields, all the way down (without descriptions)");
  cmd->add_option("--api-version", o->api_version,
                  "Use the given api-version (GROUP/VERSION) for the resource");
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunExplain(ctx, *o); });
}

}  // namespace minik8s::kubectl
