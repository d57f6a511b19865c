// StoreCensus: what the store holds under /registry/, per resource, read
// straight from the etcd v3 API (a keys-only Range, no values): how many
// keys and the sum of their versions (an etcd key's version counts the
// writes since it was created), plus the store's revision. Two censuses, one
// before and one after a run, give the writes of the run per resource —
// where the store's and the apiserver's write load came from.
//
// Thread safety: pure functions over gRPC calls; safe from any thread.
#ifndef MINIK8S_BENCH_CLUSTER_STORE_CENSUS_H_
#define MINIK8S_BENCH_CLUSTER_STORE_CENSUS_H_

#include <grpcpp/security/credentials.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace minik8s::bench {

struct ResourceCensus {
  int64_t keys = 0;
  int64_t versions = 0;  // sum over the keys of their version
};

struct StoreCensus {
  int64_t revision = 0;
  // "pods", "events", "leases", ... (the segment after /registry/).
  std::map<std::string, ResourceCensus> resources;
  // Version of every key, to subtract a later census from.
  std::map<std::string, int64_t> key_versions;
};

// Reads the census from the etcd endpoint `target` ("127.0.0.1:2379"),
// dialled with `credentials`.
absl::StatusOr<StoreCensus> TakeStoreCensus(const std::string& target,
                                            std::shared_ptr<grpc::ChannelCredentials> credentials);

// Writes per resource between two censuses: for every key of `after`, its
// version minus its version in `before` (0 when it did not exist). Keys
// deleted in between are not counted.
std::map<std::string, int64_t> WritesBetween(const StoreCensus& before, const StoreCensus& after);

}  // namespace minik8s::bench

#endif  // MINIK8S_BENCH_CLUSTER_STORE_CENSUS_H_
