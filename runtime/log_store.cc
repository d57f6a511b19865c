#include "runtime/log_store.h"

#include <algorithm>
#include <fstream>
#include <utility>

#include "runtime/cri_log.h"
#include "spdlog/spdlog.h"

namespace minik8s::runtime {

void LogStore::Open(const std::string& container_id, std::string path) {
  logs_[container_id].path = std::move(path);
}

void LogStore::Append(const std::string& container_id, cri::LogEntry entry) {
  auto it = logs_.find(container_id);
  if (it == logs_.end()) return;
  Log& log = it->second;
  if (!log.path.empty()) {
    std::ofstream out(log.path, std::ios::app | std::ios::binary);
    out << FormatCriLogLine(entry);
    if (!out) spdlog::warn("container {}: cannot write log file {}", container_id, log.path);
  }
  for (FollowId f : log.followers) {
    auto fit = followers_.find(f);
    if (fit != followers_.end()) fit->second.sink({entry}, false);
  }
  log.lines.push_back(std::move(entry));
  while (log.lines.size() > max_lines_) log.lines.pop_front();
}

std::vector<cri::LogEntry> LogStore::Tail(const std::string& container_id,
                                          std::optional<int64_t> tail_lines) const {
  auto it = logs_.find(container_id);
  if (it == logs_.end()) return {};
  const std::deque<cri::LogEntry>& lines = it->second.lines;
  size_t n = lines.size();
  if (tail_lines.has_value()) {
    n = std::min<size_t>(n, static_cast<size_t>(std::max<int64_t>(0, *tail_lines)));
  }
  return std::vector<cri::LogEntry>(lines.end() - static_cast<std::ptrdiff_t>(n), lines.end());
}

FollowId LogStore::Follow(const std::string& container_id, LogSink sink) {
  auto it = logs_.find(container_id);
  if (it == logs_.end()) return 0;
  FollowId id = next_follow_id_++;
  followers_.emplace(id, Follower{container_id, std::move(sink)});
  it->second.followers.push_back(id);
  return id;
}

void LogStore::StopFollowing(FollowId id) {
  auto it = followers_.find(id);
  if (it == followers_.end()) return;
  if (auto log = logs_.find(it->second.container_id); log != logs_.end()) {
    std::erase(log->second.followers, id);
  }
  followers_.erase(it);
}

void LogStore::EndFollowers(const std::string& container_id) {
  auto it = logs_.find(container_id);
  if (it == logs_.end()) return;
  for (FollowId f : it->second.followers) {
    auto fit = followers_.find(f);
    if (fit == followers_.end()) continue;
    fit->second.sink({}, true);
    followers_.erase(fit);
  }
  it->second.followers.clear();
}

void LogStore::Remove(const std::string& container_id) {
  EndFollowers(container_id);
  logs_.erase(container_id);
}

void LogStore::EndAll() {
  for (auto& [id, f] : followers_) f.sink({}, true);
  followers_.clear();
  for (auto& [id, log] : logs_) log.followers.clear();
}

}  // namespace minik8s::runtime
