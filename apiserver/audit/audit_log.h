// The audit log (kube-apiserver's --audit-log-path): one JSON
// audit.k8s.io/v1 Event per line for every API request, at the Metadata
// level: who asked (user, and impersonatedUser when the caller acted as
// someone else; source IP, user agent), what (verb, request URI,
// the object's resource, namespace and name), the answer's code and the
// timestamps. Request and response bodies are never written.
//
// Stages, as Kubernetes' default: ResponseComplete for every request, and
// ResponseStarted first for a long-running one (a watch) when its stream
// opens. RequestReceived is not written (kube-apiserver's common policy
// omits it).
//
// Both front ends write here: the HTTP API (rest/api_router.cc) and the gRPC
// API (service.cc), whose method names stand in for the request URI.
//
// Thread safety: Write() is safe from any thread; lines never interleave.
#ifndef MINIK8S_APISERVER_AUDIT_AUDIT_LOG_H_
#define MINIK8S_APISERVER_AUDIT_AUDIT_LOG_H_

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apiserver/authn/authenticator.h"

namespace minik8s::apiserver::audit {

struct ObjectRef {
  std::string resource;  // "pods"; empty: the request names no resource
  std::string namespace_;
  std::string name;
  std::string api_group;  // "" for the core group
  std::string api_version;
  std::string subresource;
};

struct Event {
  std::string audit_id;  // a UUID; empty: Write() assigns one
  std::string stage = "ResponseComplete";
  std::string verb;         // get, list, watch, create, update, patch, delete, ...
  std::string request_uri;  // path and query ("/api/v1/namespaces/default/pods?limit=5")
  authn::UserInfo user = authn::Anonymous();  // who asked (authn/authenticator.h)
  // Whom the request was made as, when the caller impersonated someone
  // (authz/impersonation.h); `user` stays the caller.
  std::optional<authn::UserInfo> impersonated_user;
  std::string source_ip;
  std::string user_agent;
  ObjectRef object_ref;
  int code = 0;  // the response's HTTP status code
  absl::Time received;
  absl::Time stage_time;
};

// One line of the log (without the newline).
std::string FormatEvent(const Event& event);

// The HTTP status code Kubernetes answers for a gRPC/absl status code.
int HttpCodeOf(int absl_status_code);

class AuditLog {
 public:
  // `path`: a file, appended to (created 0600), or "-" for standard output.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  void Write(Event event);
  const std::string& path() const { return path_; }

 private:
  AuditLog(std::string path, std::FILE* file, bool owned)
      : path_(std::move(path)), file_(file), owned_(owned) {}
  const std::string path_;
  absl::Mutex mu_;
  std::FILE* const file_ ABSL_PT_GUARDED_BY(mu_);
  const bool owned_;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace minik8s::apiserver::audit

#endif  // MINIK8S_APISERVER_AUDIT_AUDIT_LOG_H_
