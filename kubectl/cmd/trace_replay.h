// The store-history replay `mkctl trace` uses (trace.cc): a watch of one
// resource from the oldest revision the apiserver still has, read until
// every object of `current` (uid -> its resourceVersion now) was seen at
// that version, or 3 s. Calls `seen` for each event with an object, in
// revision order; returns the revision the replay started after.
//
// Thread safety: as ApiClient.
#ifndef MINIK8S_KUBECTL_CMD_TRACE_REPLAY_H_
#define MINIK8S_KUBECTL_CMD_TRACE_REPLAY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "client/api_client.h"
#include "client/watch.h"
#include "google/protobuf/message.h"
#include "kubectl/cmd/context.h"

namespace minik8s::kubectl {

absl::StatusOr<int64_t> Replay(client::ApiClient& client, const std::string& ns,
                               const std::string& resource,
                               const google::protobuf::Message& prototype,
                               std::map<std::string, std::string> current,
                               const std::function<void(const client::WatchEvent&)>& seen);

// mkctl trace service/NAME (trace_service.cc).
int RunTraceService(Context& ctx, const std::string& name);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_TRACE_REPLAY_H_
