// Lister<T>: typed, read-only views of an informer's Indexer — what sync
// functions read instead of calling the apiserver. Answers share the cached
// objects (std::shared_ptr<const T>); never modify them (copy first).
//
//   Lister<Pod> pods = pod_informer.GetLister();
//   std::shared_ptr<const Pod> p = pods.Get("default", "web-1");  // null if absent
//   auto on_node = pods.ListByIndex(kIndexPodNodeName, "node-1");
//   auto web = pods.List("default", selector);  // selector.Matches(labels)
//
// Thread safety: all methods are safe from any thread. The Indexer must
// outlive the Lister (it lives as long as its informer).
#ifndef MINIK8S_CLIENT_LISTER_H_
#define MINIK8S_CLIENT_LISTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "client/indexer.h"

namespace minik8s::client {

template <typename T>
class Lister {
 public:
  using Ptr = std::shared_ptr<const T>;

  explicit Lister(const Indexer* indexer) : indexer_(indexer) {}

  // ns "" for cluster-scoped objects. Null when not in the cache.
  Ptr Get(absl::string_view ns, absl::string_view name) const {
    return Cast(indexer_->Get(ns, name));
  }
  Ptr GetByKey(const std::string& key) const { return Cast(indexer_->Get(key)); }

  // Everything (all namespaces).
  std::vector<Ptr> List() const { return CastAll(indexer_->List()); }
  // Objects whose labels match `selector` (anything with
  // `bool Matches(const google::protobuf::Map<std::string, std::string>&)`,
  // e.g. api/selector LabelSelector). ns "" = all namespaces.
  template <typename Selector>
  std::vector<Ptr> List(absl::string_view ns, const Selector& selector) const {
    std::vector<ObjectPtr> candidates =
        ns.empty() ? indexer_->List() : indexer_->ByIndex(kIndexNamespace, ns);
    std::vector<Ptr> out;
    for (ObjectPtr& o : candidates) {
      Ptr typed = Cast(std::move(o));
      if (selector.Matches(typed->metadata().labels())) out.push_back(std::move(typed));
    }
    return out;
  }
  // Every object of one namespace.
  std::vector<Ptr> ListNamespace(absl::string_view ns) const {
    return CastAll(indexer_->ByIndex(kIndexNamespace, ns));
  }
  std::vector<Ptr> ListByIndex(absl::string_view index, absl::string_view value) const {
    return CastAll(indexer_->ByIndex(index, value));
  }

  const Indexer* indexer() const { return indexer_; }

 private:
  static Ptr Cast(ObjectPtr o) { return std::static_pointer_cast<const T>(std::move(o)); }
  static std::vector<Ptr> CastAll(std::vector<ObjectPtr> in) {
    std::vector<Ptr> out;
    out.reserve(in.size());
    for (ObjectPtr& o : in) out.push_back(Cast(std::move(o)));
    return out;
  }

  const Indexer* indexer_;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_LISTER_H_
