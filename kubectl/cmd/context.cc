#include "kubectl/cmd/context.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"

namespace minik8s::kubectl {

absl::StatusOr<ClusterConfig> Context::Config() {
  if (!config_.has_value()) {
    absl::StatusOr<ClusterConfig> config =
        ResolveServer(ProcessEnvironment(flags_.server, flags_.kubeconfig));
    if (!config.ok()) return config.status();
    config_ = *config;
  }
  return *config_;
}

absl::StatusOr<client::ApiClient*> Context::Client() {
  if (client_ != nullptr) return client_.get();
  absl::StatusOr<ClusterConfig> config = Config();
  if (!config.ok()) return config.status();
  client::ApiClientOptions options;
  options.server = config->server;
  options.grpc_server = config->grpc_server;
  options.user_agent = "mkctl";
  // --token, else the kubeconfig user's token (kubectl's order).
  options.bearer_token = flags_.token.empty() ? config->token : flags_.token;
  options.tls = config->tls;
  options.impersonate = config->impersonate;
  if (!flags_.as.empty()) options.impersonate.user = flags_.as;
  if (!flags_.as_groups.empty()) options.impersonate.groups = flags_.as_groups;
  if (!flags_.as_uid.empty()) options.impersonate.uid = flags_.as_uid;
  if (options.impersonate.user.empty() && !options.impersonate.empty()) {
    // client-go's check of the configuration, before any request.
    return absl::InvalidArgumentError(absl::StrCat("requesting uid, groups or user-extra for ",
                                                   config->user, " without impersonating a user"));
  }
  // The flags win over the kubeconfig, file by file (kubectl's order).
  if (!flags_.certificate_authority.empty() || !flags_.client_certificate.empty() ||
      !flags_.client_key.empty()) {
    TlsClientFiles tls = options.tls.value_or(TlsClientFiles{});
    if (!flags_.certificate_authority.empty()) {
      tls.ca_file = flags_.certificate_authority;
      tls.ca_pem.clear();
    }
    if (!flags_.client_certificate.empty()) {
      tls.cert_file = flags_.client_certificate;
      tls.cert_pem.clear();
    }
    if (!flags_.client_key.empty()) {
      tls.key_file = flags_.client_key;
      tls.key_pem.clear();
    }
    options.tls = std::move(tls);
  }
  absl::Duration timeout;
  if (flags_.request_timeout != "0" && !flags_.request_timeout.empty()) {
    if (!absl::ParseDuration(flags_.request_timeout, &timeout) || timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          "Invalid timeout value. Timeout must be a single integer in seconds, or an integer "
          "followed by a corresponding time unit (e.g. 1s | 2m | 3h)");
    }
    options.timeout = timeout;
  }
  absl::StatusOr<std::unique_ptr<client::ApiClient>> c = client::ApiClient::Connect(options);
  if (!c.ok()) return c.status();
  client_ = std::move(*c);
  return client_.get();
}

std::string Context::Namespace() {
  if (!flags_.namespace_.empty()) return flags_.namespace_;
  absl::StatusOr<ClusterConfig> config = Config();
  if (config.ok() && !config->namespace_.empty()) return config->namespace_;
  return "default";
}

std::string Context::ServerHostPort() {
  absl::StatusOr<ClusterConfig> config = Config();
  return HostPort(config.ok() ? config->server : kDefaultServer);
}

int Context::Fail(const absl::Status& status) {
  err_ << FormatError(status, ServerHostPort()) << "\n";
  return 1;
}

std::string FormatError(const absl::Status& status, const std::string& server_host_port) {
  std::optional<meta::v1::Status> object = api::StatusObject(status);
  if (object.has_value() && !object->reason().empty()) {
    if (object->reason() == api::kReasonInvalid && object->has_details() &&
        !object->details().kind().empty()) {
      const auto& details = object->details();
      std::vector<std::string> causes;
      for (const auto& cause : details.causes()) {
        causes.push_back(cause.field().empty()
                             ? cause.message()
                             : absl::StrCat(cause.field(), ": ", cause.message()));
      }
      std::string what;
      if (causes.size() == 1) {
        what = causes[0];
      } else if (causes.size() > 1) {
        what = absl::StrCat("\n* ", absl::StrJoin(causes, "\n* "));
      } else {
        const std::string& message = object->message();
        const size_t at = message.find(" is invalid: ");
        what = at == std::string::npos ? message : message.substr(at + 13);
      }
      return absl::StrCat("The ", details.kind(), " \"", details.name(), "\" is invalid: ", what);
    }
    if (object->reason() == "Unauthorized") {
      return absl::StrCat("error: You must be logged in to the server (", status.message(), ")");
    }
    return absl::StrCat("Error from server (", object->reason(), "): ", status.message());
  }
  if (status.code() == absl::StatusCode::kUnavailable && !object.has_value()) {
    return absl::StrCat("The connection to the server ", server_host_port,
                        " was refused - did you specify the right host or port?");
  }
  std::string message(status.message());
  // kubectl prints these two as they are, with no "error: " in front.
  if (absl::StartsWith(message, "error: ") ||
      absl::StartsWith(message, "Unable to connect to the server: ")) {
    return message;
  }
  return absl::StrCat("error: ", message);
}

}  // namespace minik8s::kubectl
