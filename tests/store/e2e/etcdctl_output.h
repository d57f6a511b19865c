// Parsing helpers for etcdctl output in end-to-end tests.
//
// etcdctl's `-w json` prints the Go JSON encoding of the etcd response
// messages: field names are the proto field names, int64s are JSON numbers
// and bytes are base64, which protobuf's JSON parser reads into our generated
// etcdserverpb messages. Thread-compatible, no state.
#ifndef MINIK8S_TESTS_STORE_E2E_ETCDCTL_OUTPUT_H_
#define MINIK8S_TESTS_STORE_E2E_ETCDCTL_OUTPUT_H_

#include <string>

#include "absl/status/statusor.h"
#include "etcd/etcdserverpb/rpc.pb.h"

namespace minik8s::storetest {

// Parses one JSON object (the first line that starts with '{') into `T`,
// ignoring fields `T` does not have (e.g. Go-only oneof wrappers in txn output).
template <typename T>
absl::StatusOr<T> ParseEtcdctlJson(const std::string& output);

// `etcdctl endpoint status -w json` prints [{"Endpoint":...,"Status":{...}}];
// returns the Status of the first entry and its Endpoint in `endpoint`.
absl::StatusOr<etcdserverpb::StatusResponse> ParseEndpointStatusJson(const std::string& output,
                                                                     std::string* endpoint);

// The lease ID in `etcdctl lease grant` output ("lease 694d... granted with
// TTL(10s)"), as etcdctl prints it (hex), or an error if the line differs.
absl::StatusOr<std::string> ParseLeaseGrant(const std::string& output, int ttl_seconds);

// Hex lease ID (etcdctl's spelling) to its int64 value.
absl::StatusOr<int64_t> LeaseIdFromHex(const std::string& hex);

}  // namespace minik8s::storetest

#endif  // MINIK8S_TESTS_STORE_E2E_ETCDCTL_OUTPUT_H_
