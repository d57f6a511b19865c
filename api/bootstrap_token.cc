#include "api/bootstrap_token.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace minik8s::api {
namespace {

constexpr size_t kIdLength = 6;
constexpr size_t kSecretLength = 16;
constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

bool IsTokenChars(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<BootstrapToken> ParseBootstrapToken(absl::string_view token) {
  if (token.size() != kIdLength + 1 + kSecretLength || token[kIdLength] != '.') return std::nullopt;
  BootstrapToken parsed{std::string(token.substr(0, kIdLength)),
                        std::string(token.substr(kIdLength + 1))};
  if (!IsTokenChars(parsed.id) || !IsTokenChars(parsed.secret)) return std::nullopt;
  return parsed;
}

absl::StatusOr<BootstrapToken> GenerateBootstrapToken() {
  // Bytes below 252 (7 × 36) map evenly onto the 36 characters; the rest
  // are drawn again.
  std::string chars;
  while (chars.size() < kIdLength + kSecretLength) {
    unsigned char random[32];
    const ssize_t n = getrandom(random, sizeof(random), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::InternalError(
          absl::StrCat("cannot generate a bootstrap token: getrandom: ", std::strerror(errno)));
    }
    for (ssize_t i = 0; i < n && chars.size() < kIdLength + kSecretLength; ++i) {
      if (random[i] < 252) chars.push_back(kAlphabet[random[i] % 36]);
    }
  }
  return BootstrapToken{chars.substr(0, kIdLength), chars.substr(kIdLength)};
}

}  // namespace minik8s::api
