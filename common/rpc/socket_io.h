// The socket I/O h2_server.cc and h2_client.cc share: a non-blocking read
// or write on a connection's socket, through OpenSSL when the connection is
// TLS, with what it came to.
//
// Thread safety: the functions touch only their arguments (and OpenSSL's
// thread-local error queue).
#ifndef MINIK8S_COMMON_RPC_SOCKET_IO_H_
#define MINIK8S_COMMON_RPC_SOCKET_IO_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace minik8s::rpc {

struct IoResult {
  enum class Outcome {
    kOk,         // `bytes` moved (a write: all it was given)
    kWantRead,   // nothing more until the socket is readable
    kWantWrite,  // nothing more until the socket is writable
    kClosed,     // the peer closed the connection (EOF, TLS close_notify)
    kError,      // the connection is broken; `error` says why
  };
  Outcome outcome = Outcome::kOk;
  size_t bytes = 0;
  std::string error;
};

// One read of at most `size` bytes: SSL_read when `ssl` is set, else recv.
// kOk with bytes > 0, or why there were none.
IoResult ReadSome(int fd, SSL* ssl, char* buffer, size_t size);

// Writes as much of `data` as the socket takes now: kOk when all of it went,
// kWantWrite (or kWantRead, TLS) with the bytes written before it blocked,
// kClosed or kError when the connection is over.
IoResult WriteSome(int fd, SSL* ssl, std::string_view data);

// OpenSSL's error queue as text ("a; b"), emptied; "" when it was empty.
std::string OpenSslErrors();

}  // namespace minik8s::rpc

#endif  // MINIK8S_COMMON_RPC_SOCKET_IO_H_
