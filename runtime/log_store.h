// LogStore: the simulated containers' logs. Each container's lines are kept
// in memory (the newest max_lines), appended to its CRI log file when it has
// one (cri_log.h format, as the kubelet reads them), and streamed to
// followers.
//
// Thread-compatible: the owner (Runtime, under its mutex) serialises calls.
// Sinks run inline, in the caller's thread, under whatever lock the caller
// holds: they must only buffer and must not call back into the owner.
#ifndef MINIK8S_RUNTIME_LOG_STORE_H_
#define MINIK8S_RUNTIME_LOG_STORE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "cri/v1/api.pb.h"

namespace minik8s::runtime {

namespace cri = ::minik8s::cri::v1;

// Receives log entries of a followed container. `end` is true exactly once,
// on the last call: the container exited or was removed, or the runtime is
// shutting down.
using LogSink = std::function<void(std::vector<cri::LogEntry> entries, bool end)>;
using FollowId = uint64_t;

class LogStore {
 public:
  // `max_lines` per container (at least 1).
  explicit LogStore(size_t max_lines) : max_lines_(max_lines == 0 ? 1 : max_lines) {}

  // Starts an empty log for a container; `path` is its log file (created on
  // the first line; empty = memory only).
  void Open(const std::string& container_id, std::string path);
  bool Contains(const std::string& container_id) const { return logs_.contains(container_id); }

  // Appends a line: to the file (a write error is logged, not returned),
  // to every follower, and to memory (dropping the oldest past max_lines).
  // No-op for a container without a log.
  void Append(const std::string& container_id, cri::LogEntry entry);

  // The last `tail_lines` lines (all when unset; none when <= 0), oldest
  // first. Empty for a container without a log.
  std::vector<cri::LogEntry> Tail(const std::string& container_id,
                                  std::optional<int64_t> tail_lines) const;

  // Registers `sink` for the container's new lines until EndFollowers,
  // Remove or StopFollowing. Returns 0 (and drops the sink) for a container
  // without a log.
  FollowId Follow(const std::string& container_id, LogSink sink);
  // Drops a follower without calling it; no-op for an unknown id.
  void StopFollowing(FollowId id);
  // Calls every follower of the container once with end = true and drops it.
  void EndFollowers(const std::string& container_id);
  // EndFollowers, then forgets the lines (the file stays).
  void Remove(const std::string& container_id);
  // EndFollowers for every container (shutdown).
  void EndAll();

  size_t follower_count() const { return followers_.size(); }

 private:
  struct Log {
    std::string path;
    std::deque<cri::LogEntry> lines;
    std::vector<FollowId> followers;  // registration order
  };
  struct Follower {
    std::string container_id;
    LogSink sink;
  };

  const size_t max_lines_;
  absl::flat_hash_map<std::string, Log> logs_;
  FollowId next_follow_id_ = 1;
  absl::flat_hash_map<FollowId, Follower> followers_;
};

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_LOG_STORE_H_
