// Indexer: the informer's thread-safe object cache, keyed "namespace/name"
// (KeyOf), with secondary indexes. Objects are immutable once stored and
// shared as std::shared_ptr<const Message>: readers get pointers, never
// copies, and an object a reader holds stays valid after the cache moves on.
//
// An index maps each object to zero or more values (IndexFunc); ByIndex
// answers the objects whose values include the given one. Indexes follow
// every Upsert/Delete/Replace. Built-in indexes:
//   kIndexNamespace       "namespace"      metadata.namespace
//   kIndexPodNodeName     "spec.nodeName"  pods by node ("" = unscheduled)
//   kIndexControllerUid   "controllerUID"  the uid of the controller owner
//                                          (ownerReference with controller=true)
//
// Thread safety: all methods are safe from any thread (one reader/writer
// lock). Index functions run under the write lock: keep them pure and cheap.
#ifndef MINIK8S_CLIENT_INDEXER_H_
#define MINIK8S_CLIENT_INDEXER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "client/resource.h"
#include "client/watch.h"
#include "google/protobuf/message.h"

namespace minik8s::client {

using IndexFunc = std::function<std::vector<std::string>(const google::protobuf::Message&)>;
using Indexers = std::map<std::string, IndexFunc>;

inline constexpr char kIndexNamespace[] = "namespace";
inline constexpr char kIndexPodNodeName[] = "spec.nodeName";
inline constexpr char kIndexControllerUid[] = "controllerUID";

std::vector<std::string> NamespaceIndexFunc(const google::protobuf::Message& object);
// For minik8s.core.v1.Pod; other kinds get no values.
std::vector<std::string> PodNodeNameIndexFunc(const google::protobuf::Message& object);
std::vector<std::string> ControllerUidIndexFunc(const google::protobuf::Message& object);
// namespace + controllerUID, plus spec.nodeName for pods.
Indexers DefaultIndexersFor(const google::protobuf::Descriptor* descriptor);

class Indexer {
 public:
  explicit Indexer(Indexers indexers = {});
  Indexer(const Indexer&) = delete;
  Indexer& operator=(const Indexer&) = delete;

  // Adds or replaces the object under KeyOf(*object); returns the object it
  // replaced (null when the key was new).
  ObjectPtr Upsert(ObjectPtr object);
  // Removes the key; returns the removed object (null when absent).
  ObjectPtr Delete(const std::string& key);
  // Replaces the whole content.
  void Replace(std::vector<ObjectPtr> objects);

  ObjectPtr Get(const std::string& key) const;
  ObjectPtr Get(absl::string_view ns, absl::string_view name) const;
  std::vector<ObjectPtr> List() const;
  std::vector<std::string> ListKeys() const;
  size_t size() const;

  // Objects whose index `index` includes `value`. InvalidArgument-free: an
  // unknown index answers nothing (and logs once per call site misuse).
  std::vector<ObjectPtr> ByIndex(absl::string_view index, absl::string_view value) const;
  std::vector<std::string> IndexKeys(absl::string_view index, absl::string_view value) const;
  bool HasIndex(absl::string_view index) const;
  // Adds indexes (built over the current content). AlreadyExists on a
  // duplicate name.
  absl::Status AddIndexers(Indexers indexers);

 private:
  void IndexLocked(const std::string& key, const ObjectPtr& object)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UnindexLocked(const std::string& key, const ObjectPtr& object)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  Indexers indexers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, ObjectPtr> items_ ABSL_GUARDED_BY(mu_);
  // index name → value → keys.
  absl::flat_hash_map<std::string,
                      absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>>
      indices_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_INDEXER_H_
