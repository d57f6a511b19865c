// One TCP request/answer exchange for end-to-end tests that talk to what a
// cluster serves on loopback (pod ports, cluster IPs, node ports,
// port-forwards): connect, send, read until the peer closes, `enough` bytes
// came, or the time is up.
#ifndef MINIK8S_TESTING_TCP_EXCHANGE_H_
#define MINIK8S_TESTING_TCP_EXCHANGE_H_

#include <cstddef>
#include <limits>
#include <string>

#include "absl/time/time.h"

namespace minik8s::testing {

struct TcpExchangeResult {
  bool connected = false;
  bool refused = false;  // the connection was refused (ECONNREFUSED)
  std::string error;     // why it did not connect, when it did not
  std::string answer;    // what the peer sent
};

TcpExchangeResult TcpExchange(const std::string& ip, int port, const std::string& request,
                              size_t enough = std::numeric_limits<size_t>::max(),
                              absl::Duration timeout = absl::Seconds(5));

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_TCP_EXCHANGE_H_
