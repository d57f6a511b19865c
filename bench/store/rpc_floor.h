// Two servers that answer etcd's KV.Put and do nothing else: what the RPC
// layer alone costs per call, below any storage (issue 16, item 3; see
// bench/README.md, "rpc_floor_bench").
//
// - ServeGrpcFloor: gRPC 1.51's asynchronous API, set up as minik8s-store
//   set up its gRPC server before it had its own (ApplyStoreGrpcSettings in
//   rpc_floor.cc, one completion queue polled
//   by one thread, 16 Put calls asked for at a time). By `shape`: answered
//   on the polling thread as they arrive (kInline); or handed off to a
//   second thread that takes all handed off so far, waits `hand_off_wait`
//   (standing for a group commit's sync) and answers them itself, as the
//   store's completion stage does (kHandOff), or relays them back to the
//   polling thread with one alarm per batch (kHandOffRelay).
// - ServeHttp2Floor: gRPC's wire protocol written directly on nghttp2's
//   HTTP/2 (one thread, one epoll set, each connection's output gathered
//   into one write per wake-up).
//
// Each answers a Put with a PutResponse whose header carries a revision
// that counts the puts, parses the request (a malformed one gets INTERNAL),
// and answers any other method UNIMPLEMENTED. Both listen on
// 127.0.0.1:`port` and return 0 once SIGTERM or SIGINT arrives, or 1 with
// a message on stderr if they could not start.
//
// Thread safety: each blocks SIGTERM and SIGINT in the calling thread (and
// so in the threads it starts) and is meant to be a process's only work.
#ifndef MINIK8S_BENCH_STORE_RPC_FLOOR_H_
#define MINIK8S_BENCH_STORE_RPC_FLOOR_H_

#include "absl/time/time.h"

namespace minik8s::bench {

enum class GrpcShape { kInline, kHandOff, kHandOffRelay };

int ServeGrpcFloor(int port, GrpcShape shape, absl::Duration hand_off_wait);
int ServeHttp2Floor(int port);

}  // namespace minik8s::bench

#endif  // MINIK8S_BENCH_STORE_RPC_FLOOR_H_
