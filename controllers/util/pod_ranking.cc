#include "controllers/util/pod_ranking.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "controllers/util/pod_util.h"

namespace minik8s::controllers {
namespace {

using minik8s::core::v1::Pod;

int PhaseOrdinal(const std::string& phase) {
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 0;  // Pending and anything else
}

// afterOrZero: a zero time sorts first; otherwise the later time first.
bool AfterOrZero(absl::Time t1, absl::Time t2) {
  if (IsZero(t1) || IsZero(t2)) return IsZero(t1);
  return t1 > t2;
}

int64_t LogRank(absl::Time t, absl::Time now) {
  const int64_t d = absl::ToInt64Nanoseconds(now - t);
  if (d <= 0) return -1;
  return static_cast<int64_t>(std::log2(static_cast<double>(d)));
}

// Compares two times in log2 buckets of their age; ties by uid. Returns
// whether `a` goes first.
bool LogarithmicBefore(absl::Time ta, absl::Time tb, const Pod& a, const Pod& b, absl::Time now) {
  if (IsZero(now) || IsZero(ta) || IsZero(tb)) return AfterOrZero(ta, tb);
  const int64_t diff = LogRank(ta, now) - LogRank(tb, now);
  if (diff == 0) return a.metadata().uid() < b.metadata().uid();
  return diff < 0;
}

}  // namespace

int32_t PodDeletionCost(const Pod& pod) {
  auto it = pod.metadata().annotations().find(kPodDeletionCostAnnotation);
  if (it == pod.metadata().annotations().end()) return 0;
  int32_t cost = 0;
  if (!absl::SimpleAtoi(it->second, &cost)) return 0;
  return cost;
}

bool PodDeletesBefore(const Pod& a, int rank_a, const Pod& b, int rank_b, absl::Time now) {
  const std::string& na = a.spec().node_name();
  const std::string& nb = b.spec().node_name();
  if (na != nb && (na.empty() || nb.empty())) return na.empty();
  const int pa = PhaseOrdinal(a.status().phase());
  const int pb = PhaseOrdinal(b.status().phase());
  if (pa != pb) return pa < pb;
  const bool ra = IsPodReady(a);
  const bool rb = IsPodReady(b);
  if (ra != rb) return !ra;
  const int32_t ca = PodDeletionCost(a);
  const int32_t cb = PodDeletionCost(b);
  if (ca != cb) return ca < cb;
  if (rank_a != rank_b) return rank_a > rank_b;
  if (ra && rb) {
    const absl::Time ta = PodReadyTime(a);
    const absl::Time tb = PodReadyTime(b);
    if (ta != tb) return LogarithmicBefore(ta, tb, a, b, now);
  }
  const int32_t restarts_a = MaxContainerRestarts(a);
  const int32_t restarts_b = MaxContainerRestarts(b);
  if (restarts_a != restarts_b) return restarts_a > restarts_b;
  const absl::Time created_a =
      TimeOrZero(a.metadata().creation_timestamp(), a.metadata().has_creation_timestamp());
  const absl::Time created_b =
      TimeOrZero(b.metadata().creation_timestamp(), b.metadata().has_creation_timestamp());
  if (created_a != created_b) return LogarithmicBefore(created_a, created_b, a, b, now);
  return false;
}

std::vector<int> RankByRelatedPodsOnSameNode(const std::vector<PodPtr>& pods,
                                             const std::vector<PodPtr>& related) {
  absl::flat_hash_map<std::string, int> on_node;
  for (const PodPtr& p : related) {
    if (IsPodActive(*p)) ++on_node[p->spec().node_name()];
  }
  std::vector<int> ranks;
  ranks.reserve(pods.size());
  for (const PodPtr& p : pods) {
    auto it = on_node.find(p->spec().node_name());
    ranks.push_back(it == on_node.end() ? 0 : it->second);
  }
  return ranks;
}

std::vector<PodPtr> PodsToDelete(const std::vector<PodPtr>& pods,
                                 const std::vector<PodPtr>& related, int diff, absl::Time now) {
  if (diff >= static_cast<int>(pods.size())) return pods;
  std::vector<int> ranks = RankByRelatedPodsOnSameNode(pods, related);
  std::vector<size_t> order(pods.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) {
    return PodDeletesBefore(*pods[i], ranks[i], *pods[j], ranks[j], now);
  });
  std::vector<PodPtr> out;
  out.reserve(diff);
  for (int i = 0; i < diff; ++i) out.push_back(pods[order[i]]);
  return out;
}

}  // namespace minik8s::controllers
