#include "pki/pem_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace minik8s::pki {
namespace {

absl::Status ErrnoError(const std::string& path, absl::string_view what, int err) {
  std::string message = absl::StrCat(path, ": ", what, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status WriteAll(const std::string& path, int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(path, "write", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Overwrites a string's bytes before it is freed (private key PEM).
struct Cleanse {
  std::string* s;
  ~Cleanse() {
    if (!s->empty()) OPENSSL_cleanse(s->data(), s->size());
  }
};

absl::Status Prefixed(const std::string& path, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
}

}  // namespace

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, "cannot open", errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError(path, "cannot stat", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  if (static_cast<size_t>(st.st_size) > kMaxPemFileBytes) {
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": ", st.st_size, " bytes, more than the limit of ", kMaxPemFileBytes));
  }
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoError(path, "read failed", err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxPemFileBytes) {
      ::close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": more than the limit of ", kMaxPemFileBytes, " bytes"));
    }
  }
  ::close(fd);
  return out;
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents, mode_t mode) {
  std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> tmp(tmpl.begin(), tmpl.end());
  tmp.push_back('\0');
  // mkstemp creates the file with O_EXCL and mode 0600.
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, "cannot create a temporary file", errno);
  std::string tmp_path(tmp.data());
  auto fail = [&](absl::string_view what, int err) {
    ::close(fd);
    ::unlink(tmp_path.c_str());
    return ErrnoError(path, what, err);
  };
  if (::fchmod(fd, mode) != 0) return fail("fchmod", errno);
  if (absl::Status s = WriteAll(path, fd, contents); !s.ok()) {
    ::close(fd);
    ::unlink(tmp_path.c_str());
    return s;
  }
  if (::fsync(fd) != 0) return fail("fsync", errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp_path.c_str());
    return ErrnoError(path, "close", err);
  }
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp_path.c_str());
    return ErrnoError(path, "rename", err);
  }
  int dir_fd = ::open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);  // best effort: the rename is already visible
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

absl::Status EnsurePrivateDirectory(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty directory path");
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(path, ": exists and is not a directory"));
    }
    if ((st.st_mode & 07777) != kPrivateDirMode && ::chmod(path.c_str(), kPrivateDirMode) != 0) {
      return ErrnoError(path, "cannot set mode 0700", errno);
    }
    return absl::OkStatus();
  }
  if (errno != ENOENT) return ErrnoError(path, "cannot stat", errno);
  std::string parent = DirName(path);
  if (parent != path && parent != "." && parent != "/") {
    struct stat parent_st;
    if (::stat(parent.c_str(), &parent_st) != 0) RETURN_IF_ERROR(EnsurePrivateDirectory(parent));
  }
  if (::mkdir(path.c_str(), kPrivateDirMode) != 0 && errno != EEXIST) {
    return ErrnoError(path, "cannot create directory", errno);
  }
  // mkdir's mode is reduced by the umask; set it exactly.
  if (::chmod(path.c_str(), kPrivateDirMode) != 0) {
    return ErrnoError(path, "cannot set mode 0700", errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<Certificate> LoadCertificateFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(path));
  absl::StatusOr<Certificate> cert = Certificate::FromPem(pem);
  if (!cert.ok()) return Prefixed(path, cert.status());
  return cert;
}

absl::StatusOr<PrivateKey> LoadPrivateKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(path));
  Cleanse cleanse{&pem};
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPem(pem);
  if (!key.ok()) return Prefixed(path, key.status());
  return key;
}

absl::Status WriteCertificateFile(const std::string& path, const Certificate& cert) {
  absl::StatusOr<std::string> pem = cert.ToPem();
  if (!pem.ok()) return Prefixed(path, pem.status());
  return WriteFileAtomically(path, *pem, kCertificateFileMode);
}

absl::Status WritePrivateKeyFile(const std::string& path, const PrivateKey& key) {
  absl::StatusOr<std::string> pem = key.ToPem();
  if (!pem.ok()) return Prefixed(path, pem.status());
  Cleanse cleanse{&*pem};
  return WriteFileAtomically(path, *pem, kPrivateKeyFileMode);
}

}  // namespace minik8s::pki
