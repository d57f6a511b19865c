#include "apiserver/audit/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/time.h"
#include "api/yaml_scalar.h"
#include "apiserver/identity.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver::audit {
namespace {

std::string Quote(const std::string& s) { return api::JsonQuote(s); }

// {"username":...,"uid":...,"groups":[...],"extra":{...}}: audit's UserInfo.
std::string UserJson(const authn::UserInfo& user) {
  std::string out = absl::StrCat(R"({"username":)", Quote(user.name));
  if (!user.uid.empty()) absl::StrAppend(&out, R"(,"uid":)", Quote(user.uid));
  auto list = [](const std::vector<std::string>& items) {
    std::string s = "[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) s += ",";
      s += Quote(items[i]);
    }
    return s + "]";
  };
  if (!user.groups.empty()) absl::StrAppend(&out, R"(,"groups":)", list(user.groups));
  if (!user.extra.empty()) {
    out += R"(,"extra":{)";
    bool first = true;
    for (const auto& [key, values] : user.extra) {
      if (!first) out += ",";
      first = false;
      absl::StrAppend(&out, Quote(key), ":", list(values));
    }
    out += "}";
  }
  return out + "}";
}

}  // namespace

std::string FormatEvent(const Event& e) {
  std::string out = absl::StrCat(
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":)",
      Quote(e.audit_id), R"(,"stage":)", Quote(e.stage), R"(,"requestURI":)", Quote(e.request_uri),
      R"(,"verb":)", Quote(e.verb), R"(,"user":)", UserJson(e.user));
  if (e.impersonated_user.has_value()) {
    absl::StrAppend(&out, R"(,"impersonatedUser":)", UserJson(*e.impersonated_user));
  }
  if (!e.source_ip.empty()) absl::StrAppend(&out, R"(,"sourceIPs":[)", Quote(e.source_ip), "]");
  if (!e.user_agent.empty()) absl::StrAppend(&out, R"(,"userAgent":)", Quote(e.user_agent));
  if (!e.object_ref.resource.empty()) {
    const ObjectRef& r = e.object_ref;
    absl::StrAppend(&out, R"(,"objectRef":{"resource":)", Quote(r.resource));
    if (!r.namespace_.empty()) absl::StrAppend(&out, R"(,"namespace":)", Quote(r.namespace_));
    if (!r.name.empty()) absl::StrAppend(&out, R"(,"name":)", Quote(r.name));
    if (!r.api_group.empty()) absl::StrAppend(&out, R"(,"apiGroup":)", Quote(r.api_group));
    if (!r.api_version.empty()) absl::StrAppend(&out, R"(,"apiVersion":)", Quote(r.api_version));
    if (!r.subresource.empty()) absl::StrAppend(&out, R"(,"subresource":)", Quote(r.subresource));
    out += "}";
  }
  absl::StrAppend(&out, R"(,"responseStatus":{"metadata":{},"code":)", e.code, "}");
  absl::StrAppend(&out, R"(,"requestReceivedTimestamp":)",
                  Quote(api::FormatRfc3339Micro(e.received)), R"(,"stageTimestamp":)",
                  Quote(api::FormatRfc3339Micro(e.stage_time)), "}");
  return out;
}

int HttpCodeOf(int code) {
  switch (static_cast<absl::StatusCode>(code)) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
      return 422;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kOutOfRange:
      return 413;
    case absl::StatusCode::kUnimplemented:
      return 405;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    default:
      return 500;
  }
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("--audit-log-path is empty");
  if (path == "-") return std::unique_ptr<AuditLog>(new AuditLog(path, stdout, false));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open audit log ", path, ": ", std::strerror(errno)));
  }
  std::FILE* file = ::fdopen(fd, "a");
  if (file == nullptr) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot open audit log ", path));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(path, file, true));
}

AuditLog::~AuditLog() {
  absl::MutexLock lock(&mu_);
  std::fflush(file_);
  if (owned_) std::fclose(file_);
}

void AuditLog::Write(Event event) {
  if (event.audit_id.empty()) event.audit_id = NewUuidV4();
  std::string line = FormatEvent(event);
  line += '\n';
  absl::MutexLock lock(&mu_);
  // Flushed line by line: a reader (tail -f, a test) sees every finished
  // request, and a crash loses at most the line being written.
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    if (!failed_) spdlog::error("audit log {}: write failed: {}", path_, std::strerror(errno));
    failed_ = true;
    std::clearerr(file_);
  } else if (failed_) {
    spdlog::info("audit log {}: writing again", path_);
    failed_ = false;
  }
}

}  // namespace minik8s::apiserver::audit
