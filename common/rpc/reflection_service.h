// gRPC server reflection (grpc.reflection.v1alpha.ServerReflection) on the
// gRPC server of rpc/h2_server.h, answering as gRPC's own reflection server
// does (grpcurl, grpc_cli and Postman ask it what a server serves):
//
//   list_services                  the names given to the constructor
//   file_by_filename               the file, then its transitive
//   file_containing_symbol         dependencies, each once, as serialized
//   file_containing_extension      FileDescriptorProtos
//   all_extension_numbers_of_type  the numbers of the type's extensions
//
// all from the generated descriptor pool (what is compiled into the
// binary). What the pool does not have gets an error_response: NOT_FOUND
// ("File not found.", "Symbol not found.", "Type not found.", "Extension not
// found."); a request with none of these set, UNIMPLEMENTED. Each answer
// carries the request's host (valid_host) and the request itself, and the
// stream ends OK once the client is done sending.
//
// The messages are gRPC's own generated classes (libgrpc++_reflection,
// whose headers Debian does not ship), used through their descriptors.
// gRPC 1.51 has no grpc.reflection.v1: only v1alpha is served.
//
// Thread safety: the service may be destroyed before or after the server
// shuts down (its streams keep what they use alive).
#ifndef MINIK8S_COMMON_RPC_REFLECTION_SERVICE_H_
#define MINIK8S_COMMON_RPC_REFLECTION_SERVICE_H_

#include <memory>
#include <string>
#include <vector>

#include "common/rpc/h2_server.h"

namespace minik8s::rpc {

class ReflectionService final {
 public:
  // The reflection service's own name, which gRPC's reflection server lists
  // among the server's services (and grpcurl's `list` shows).
  static constexpr char kServiceName[] = "grpc.reflection.v1alpha.ServerReflection";

  // Registers ServerReflectionInfo on `server` (before its Start);
  // list_services answers `services` ("etcdserverpb.KV", ...), in this
  // order.
  ReflectionService(Server* server, std::vector<std::string> services);
  ~ReflectionService();
  ReflectionService(const ReflectionService&) = delete;
  ReflectionService& operator=(const ReflectionService&) = delete;

 private:
  class State;
  class Stream;
  std::shared_ptr<State> state_;
};

}  // namespace minik8s::rpc

#endif  // MINIK8S_COMMON_RPC_REFLECTION_SERVICE_H_
