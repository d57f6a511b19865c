// Reading and writing the PKI's PEM files.
//
// Writes are atomic: the contents go to a new temporary file in the same
// directory (created with O_EXCL and mode 0600, then set to its final mode
// before any byte is written), which is fsync'ed and renamed over the target;
// then the directory is fsync'ed. A reader sees the old file or the new one,
// never a half-written file, and a private key is never readable by anyone
// but the owner, not even for a moment.
//
// Every error message starts with the path it is about.
#ifndef MINIK8S_PKI_PEM_FILE_H_
#define MINIK8S_PKI_PEM_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pki/certificate.h"
#include "pki/key.h"

namespace minik8s::pki {

inline constexpr mode_t kPrivateKeyFileMode = 0600;
inline constexpr mode_t kCertificateFileMode = 0644;
inline constexpr mode_t kPrivateDirMode = 0700;
// A PEM file larger than this is refused before it is read.
inline constexpr size_t kMaxPemFileBytes = 1 << 20;

// The whole file. NotFound when it does not exist; FailedPrecondition when it
// is not a regular file or is over kMaxPemFileBytes.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

// Atomically replaces (or creates) `path` with `contents` and mode `mode`
// (exactly, whatever the umask).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents, mode_t mode);

// Creates `path` and any missing parents with mode 0700, and sets `path`
// itself to 0700 if it already existed with another mode.
absl::Status EnsurePrivateDirectory(const std::string& path);

// Loads and parses; errors read "<path>: <what is wrong>" and keep the code
// (NotFound for a missing file, InvalidArgument for bad contents).
absl::StatusOr<Certificate> LoadCertificateFile(const std::string& path);
absl::StatusOr<PrivateKey> LoadPrivateKeyFile(const std::string& path);

// Writes PEM atomically: certificates 0644, private keys 0600.
absl::Status WriteCertificateFile(const std::string& path, const Certificate& cert);
absl::Status WritePrivateKeyFile(const std::string& path, const PrivateKey& key);

}  // namespace minik8s::pki

#endif  // MINIK8S_PKI_PEM_FILE_H_
