#include "bench/cluster/store_census.h"

#include <grpcpp/create_channel.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace minik8s::bench {
namespace {

constexpr char kPrefix[] = "/registry/";
constexpr char kPrefixEnd[] = "/registry0";  // '/' + 1

std::string ResourceOf(const std::string& key) {
  const std::string rest = key.substr(sizeof(kPrefix) - 1);
  const size_t slash = rest.find('/');
  return slash == std::string::npos ? rest : rest.substr(0, slash);
}

}  // namespace

absl::StatusOr<StoreCensus> TakeStoreCensus(const std::string& target,
                                            std::shared_ptr<grpc::ChannelCredentials> credentials) {
  auto channel = grpc::CreateChannel(target, credentials);
  auto kv = etcdserverpb::KV::NewStub(channel);
  StoreCensus census;
  std::string from = kPrefix;
  // Pages of keys, so that one answer stays small.
  while (true) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    etcdserverpb::RangeRequest req;
    req.set_key(from);
    req.set_range_end(kPrefixEnd);
    req.set_keys_only(true);
    req.set_limit(10000);
    if (census.revision > 0) req.set_revision(census.revision);
    etcdserverpb::RangeResponse resp;
    grpc::Status s = kv->Range(&ctx, req, &resp);
    if (!s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("store Range on ", target, ": ", s.error_message()));
    }
    if (census.revision == 0) census.revision = resp.header().revision();
    for (const auto& item : resp.kvs()) {
      ResourceCensus& r = census.resources[ResourceOf(item.key())];
      ++r.keys;
      r.versions += item.version();
      census.key_versions[item.key()] = item.version();
    }
    if (!resp.more() || resp.kvs().empty()) break;
    from = resp.kvs(resp.kvs_size() - 1).key() + '\0';
  }
  return census;
}

std::map<std::string, int64_t> WritesBetween(const StoreCensus& before, const StoreCensus& after) {
  std::map<std::string, int64_t> writes;
  for (const auto& [key, version] : after.key_versions) {
    auto it = before.key_versions.find(key);
    const int64_t old = it == before.key_versions.end() ? 0 : it->second;
    if (version > old) writes[ResourceOf(key)] += version - old;
  }
  return writes;
}

}  // namespace minik8s::bench
