#include "cluster/kubeconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/yaml_limits.h"
#include "client/kubeconfig.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::cluster {
namespace {

// A kubeconfig of ours is a few hundred bytes; anything this large is
// someone else's file and is not parsed.
constexpr size_t kMaxExistingSize = 1 << 20;

bool IsDnsLabel(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Whether the existing file at `path` may be replaced; sets *ns to the
// namespace of its minik8s context. OK when the file does not exist.
absl::Status CheckReplaceable(const std::string& path, std::string* ns) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoError(absl::StrCat("cannot read ", path));
  }
  std::string text;
  char buf[8192];
  ssize_t n = 0;
  while (text.size() <= kMaxExistingSize && (n = read(fd, buf, sizeof(buf))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = ErrnoError(absl::StrCat("cannot read ", path));
      close(fd);
      return s;
    }
    text.append(buf, n);
  }
  close(fd);
  const std::string refused =
      absl::StrCat(path,
                   " is not a kubeconfig written by `minik8s up`; left as it is (choose another "
                   "--kubeconfig)");
  if (text.size() > kMaxExistingSize) {
    return absl::FailedPreconditionError(refused);
  }
  if (absl::StripAsciiWhitespace(text).empty()) return absl::OkStatus();
  absl::StatusOr<YAML::Node> parsed = api::LoadLimited(text);
  if (!parsed.ok()) return absl::FailedPreconditionError(refused);
  try {
    const YAML::Node doc = *parsed;
    if (doc.IsNull()) return absl::OkStatus();
    if (!doc.IsMap()) return absl::FailedPreconditionError(refused);
    if (doc["kind"] && (!doc["kind"].IsScalar() || doc["kind"].Scalar() != "Config")) {
      return absl::FailedPreconditionError(refused);
    }
    for (const char* list : {"clusters", "users", "contexts"}) {
      const YAML::Node entries = doc[list];
      if (!entries || entries.IsNull()) continue;
      if (!entries.IsSequence()) return absl::FailedPreconditionError(refused);
      for (const YAML::Node& entry : entries) {
        if (!entry.IsMap() || !entry["name"] || !entry["name"].IsScalar() ||
            entry["name"].Scalar() != kKubeconfigEntryName) {
          return absl::FailedPreconditionError(
              absl::StrCat(path, " holds ", list, " other than ", kKubeconfigEntryName,
                           "; left as it is (choose another --kubeconfig)"));
        }
        const YAML::Node context = entry["context"];
        if (std::string(list) == "contexts" && context && context.IsMap() && context["namespace"] &&
            context["namespace"].IsScalar() && IsDnsLabel(context["namespace"].Scalar())) {
          *ns = context["namespace"].Scalar();
        }
      }
    }
  } catch (const YAML::Exception&) {
    return absl::FailedPreconditionError(refused);
  }
  return absl::OkStatus();
}

}  // namespace

std::string KubeconfigText(const std::string& apiserver_address, const std::string& ns,
                           const std::optional<TlsClientFiles>& tls,
                           const std::string& grpc_address) {
  const char* scheme = tls.has_value() ? "https://" : "http://";
  client::KubeconfigSpec spec{
      .name = kKubeconfigEntryName,
      .comment =
          "# Written by `minik8s up`: kubectl reaches the cluster with\n"
          "# KUBECONFIG=<this file> (or --kubeconfig). Rewritten on each `up`.\n",
      .server = absl::StrCat(scheme, apiserver_address),
      .grpc_server = grpc_address.empty() ? "" : absl::StrCat(scheme, grpc_address),
      .context_namespace = ns,
  };
  if (tls.has_value()) {
    spec.certificate_authority = tls->ca_file;
    spec.client_certificate = tls->cert_file;
    spec.client_key = tls->key_file;
  }
  return client::KubeconfigText(spec);
}

absl::Status MakePrivateDirs(const std::string& dir) {
  if (dir.empty()) return absl::OkStatus();
  std::filesystem::path prefix;
  for (const std::filesystem::path& part : std::filesystem::path(dir)) {
    prefix /= part;
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError(absl::StrCat("cannot create ", prefix.string()));
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return ErrnoError(absl::StrCat("cannot create ", dir));
  if (!S_ISDIR(st.st_mode))
    return absl::FailedPreconditionError(absl::StrCat(dir, " is not a folder"));
  return absl::OkStatus();
}

absl::Status WriteKubeconfig(const std::string& path, const std::string& apiserver_address,
                             const std::optional<TlsClientFiles>& tls,
                             const std::string& grpc_address) {
  if (path.empty()) return absl::InvalidArgumentError("no kubeconfig path");
  std::string ns;
  if (absl::Status s = CheckReplaceable(path, &ns); !s.ok()) return s;
  const std::filesystem::path p(path);
  if (p.has_parent_path()) {
    if (absl::Status s = MakePrivateDirs(p.parent_path().string()); !s.ok()) return s;
  }
  const std::string text = KubeconfigText(apiserver_address, ns, tls, grpc_address);
  std::string tmp = path + ".XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return ErrnoError(absl::StrCat("cannot create a temp file beside ", path));
  auto fail = [&](const std::string& what) {
    absl::Status s = ErrnoError(what);
    close(fd);
    unlink(tmp.c_str());
    return s;
  };
  // mkstemp's mode is already 0600 less the umask; make it exactly 0600.
  if (fchmod(fd, 0600) != 0) return fail(absl::StrCat("cannot chmod ", tmp));
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(absl::StrCat("cannot write ", tmp));
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail(absl::StrCat("cannot write ", tmp));
  if (close(fd) != 0) {
    absl::Status s = ErrnoError(absl::StrCat("cannot write ", tmp));
    unlink(tmp.c_str());
    return s;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status s = ErrnoError(absl::StrCat("cannot write ", path));
    unlink(tmp.c_str());
    return s;
  }
  return absl::OkStatus();
}

}  // namespace minik8s::cluster
