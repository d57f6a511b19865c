#include "cluster/health.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <chrono>
#include <future>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace minik8s::cluster {
namespace {

std::chrono::system_clock::time_point Deadline(absl::Duration timeout) {
  return std::chrono::system_clock::now() +
         std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout));
}

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", s.error_message()));
}

}  // namespace

absl::Status CheckEtcd(const std::string& target, absl::Duration timeout,
                       const std::optional<TlsClientFiles>& tls) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (tls.has_value()) {
    auto made = MakeChannelCredentials(*tls);
    if (!made.ok()) return made.status();
    credentials = *std::move(made);
  }
  auto channel = grpc::CreateChannel(target, credentials);
  auto stub = etcdserverpb::Maintenance::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout));
  etcdserverpb::StatusRequest request;
  etcdserverpb::StatusResponse response;
  grpc::Status s = stub->Status(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s, absl::StrCat("etcd Status on ", target));
  return absl::OkStatus();
}

absl::Status CheckGrpcHealth(const std::string& target, absl::Duration timeout,
                             const std::optional<TlsClientFiles>& tls) {
  // The health protocol by hand (grpc++ ships no client stub for it):
  // HealthCheckRequest{service: ""} is the empty message, and the answer
  // HealthCheckResponse{status: SERVING(1)} is the two bytes 08 01.
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (tls.has_value()) {
    auto made = MakeChannelCredentials(*tls);
    if (!made.ok()) return made.status();
    credentials = *std::move(made);
  }
  auto channel = grpc::CreateChannel(target, credentials);
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(timeout));
  grpc::Slice empty_message("", 0);
  grpc::ByteBuffer request(&empty_message, 1);  // a valid, zero-length message
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status s = done.get_future().get();
  if (!s.ok()) return FromGrpc(s, absl::StrCat("health check on ", target));
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    return absl::UnavailableError(absl::StrCat("health check on ", target, ": unreadable answer"));
  }
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  if (bytes != std::string("\x08\x01", 2)) {
    return absl::UnavailableError(absl::StrCat(target, " is not SERVING yet"));
  }
  return absl::OkStatus();
}

absl::Status CheckNodesReady(const client::Clientset& clientset,
                             const std::vector<std::string>& names) {
  auto nodes = clientset.Nodes().List("");
  if (!nodes.ok()) {
    return absl::UnavailableError(absl::StrCat("listing nodes: ", nodes.status().message()));
  }
  absl::flat_hash_set<std::string> ready;
  for (const auto& node : nodes->items) {
    for (const auto& c : node.status().conditions()) {
      if (c.type() == "Ready" && c.status() == "True") ready.insert(node.metadata().name());
    }
  }
  std::vector<std::string> waiting;
  for (const std::string& name : names) {
    if (!ready.contains(name)) waiting.push_back(name);
  }
  if (waiting.empty()) return absl::OkStatus();
  if (waiting.size() > 5) {
    return absl::UnavailableError(
        absl::StrCat(waiting.size(), " of ", names.size(), " nodes are not Ready yet"));
  }
  return absl::UnavailableError(
      absl::StrCat("node ", absl::StrJoin(waiting, ", "), " not Ready yet"));
}

}  // namespace minik8s::cluster
