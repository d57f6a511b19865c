#include "common/rpc/socket_io.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace minik8s::rpc {
namespace {

// What a failed SSL_read or SSL_write (result `r`) came to.
IoResult SslFailure(SSL* ssl, int r, size_t bytes) {
  IoResult result;
  result.bytes = bytes;
  const int e = SSL_get_error(ssl, r);
  if (e == SSL_ERROR_WANT_READ) {
    result.outcome = IoResult::Outcome::kWantRead;
  } else if (e == SSL_ERROR_WANT_WRITE) {
    result.outcome = IoResult::Outcome::kWantWrite;
  } else if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
    // close_notify, or the socket's EOF (or error) under TLS.
    result.outcome = IoResult::Outcome::kClosed;
    ERR_clear_error();
  } else {
    result.outcome = IoResult::Outcome::kError;
    result.error = absl::StrCat("TLS: ", OpenSslErrors());
  }
  return result;
}

}  // namespace

IoResult ReadSome(int fd, SSL* ssl, char* buffer, size_t size) {
  if (ssl != nullptr) {
    const int r = SSL_read(ssl, buffer, static_cast<int>(std::min<size_t>(size, INT_MAX)));
    if (r > 0) return IoResult{IoResult::Outcome::kOk, static_cast<size_t>(r), {}};
    return SslFailure(ssl, r, 0);
  }
  for (;;) {
    const ssize_t n = recv(fd, buffer, size, 0);
    if (n > 0) return IoResult{IoResult::Outcome::kOk, static_cast<size_t>(n), {}};
    if (n == 0) return IoResult{IoResult::Outcome::kClosed, 0, {}};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return IoResult{IoResult::Outcome::kWantRead, 0, {}};
    return IoResult{IoResult::Outcome::kError, 0, std::strerror(errno)};
  }
}

IoResult WriteSome(int fd, SSL* ssl, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    const size_t left = data.size() - done;
    if (ssl != nullptr) {
      const int r =
          SSL_write(ssl, data.data() + done, static_cast<int>(std::min<size_t>(left, INT_MAX)));
      if (r > 0) {
        done += static_cast<size_t>(r);
        continue;
      }
      return SslFailure(ssl, r, done);
    }
    const ssize_t n = send(fd, data.data() + done, left, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return IoResult{IoResult::Outcome::kWantWrite, done, {}};
    }
    if (n < 0 && errno == EPIPE) return IoResult{IoResult::Outcome::kClosed, done, {}};
    return IoResult{IoResult::Outcome::kError, done,
                    n < 0 ? std::strerror(errno) : "send wrote nothing"};
  }
  return IoResult{IoResult::Outcome::kOk, done, {}};
}

std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {  // NOLINT(runtime/int): OpenSSL's type
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}

}  // namespace minik8s::rpc
