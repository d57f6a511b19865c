#include "client/indexer.h"

#include <algorithm>

#include "k8s/core/v1/core.pb.h"
#include "spdlog/spdlog.h"

namespace minik8s::client {

using google::protobuf::Message;

std::vector<std::string> NamespaceIndexFunc(const Message& object) {
  return {MetaOf(object).namespace_()};
}

std::vector<std::string> PodNodeNameIndexFunc(const Message& object) {
  if (object.GetDescriptor() != minik8s::core::v1::Pod::descriptor()) return {};
  return {static_cast<const minik8s::core::v1::Pod&>(object).spec().node_name()};
}

std::vector<std::string> ControllerUidIndexFunc(const Message& object) {
  for (const auto& ref : MetaOf(object).owner_references()) {
    if (ref.has_controller() && ref.controller()) return {ref.uid()};
  }
  return {};
}

Indexers DefaultIndexersFor(const google::protobuf::Descriptor* descriptor) {
  Indexers out;
  out[kIndexNamespace] = NamespaceIndexFunc;
  out[kIndexControllerUid] = ControllerUidIndexFunc;
  if (descriptor == minik8s::core::v1::Pod::descriptor()) {
    out[kIndexPodNodeName] = PodNodeNameIndexFunc;
  }
  return out;
}

Indexer::Indexer(Indexers indexers) : indexers_(std::move(indexers)) {}

void Indexer::IndexLocked(const std::string& key, const ObjectPtr& object) {
  for (const auto& [name, fn] : indexers_) {
    auto& index = indices_[name];
    for (std::string& value : fn(*object)) index[std::move(value)].insert(key);
  }
}

void Indexer::UnindexLocked(const std::string& key, const ObjectPtr& object) {
  for (const auto& [name, fn] : indexers_) {
    auto it = indices_.find(name);
    if (it == indices_.end()) continue;
    for (const std::string& value : fn(*object)) {
      auto v = it->second.find(value);
      if (v == it->second.end()) continue;
      v->second.erase(key);
      if (v->second.empty()) it->second.erase(v);
    }
  }
}

ObjectPtr Indexer::Upsert(ObjectPtr object) {
  std::string key = KeyOf(*object);
  absl::MutexLock lock(&mu_);
  ObjectPtr& slot = items_[key];
  ObjectPtr old = std::move(slot);
  if (old != nullptr) UnindexLocked(key, old);
  slot = std::move(object);
  IndexLocked(key, slot);
  return old;
}

ObjectPtr Indexer::Delete(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  ObjectPtr old = std::move(it->second);
  items_.erase(it);
  UnindexLocked(key, old);
  return old;
}

void Indexer::Replace(std::vector<ObjectPtr> objects) {
  absl::MutexLock lock(&mu_);
  items_.clear();
  indices_.clear();
  for (ObjectPtr& object : objects) {
    std::string key = KeyOf(*object);
    ObjectPtr& slot = items_[key];
    if (slot != nullptr) UnindexLocked(key, slot);
    slot = std::move(object);
    IndexLocked(key, slot);
  }
}

ObjectPtr Indexer::Get(const std::string& key) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : it->second;
}

ObjectPtr Indexer::Get(absl::string_view ns, absl::string_view name) const {
  return Get(MakeKey(ns, name));
}

std::vector<ObjectPtr> Indexer::List() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [key, object] : items_) out.push_back(object);
  return out;
}

std::vector<std::string> Indexer::ListKeys() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [key, object] : items_) out.push_back(key);
  return out;
}

size_t Indexer::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return items_.size();
}

std::vector<ObjectPtr> Indexer::ByIndex(absl::string_view index, absl::string_view value) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<ObjectPtr> out;
  if (indexers_.find(std::string(index)) == indexers_.end()) {
    spdlog::error("indexer: no index named \"{}\"", std::string(index));
    return out;
  }
  auto it = indices_.find(index);
  if (it == indices_.end()) return out;
  auto v = it->second.find(value);
  if (v == it->second.end()) return out;
  out.reserve(v->second.size());
  for (const std::string& key : v->second) {
    auto item = items_.find(key);
    if (item != items_.end()) out.push_back(item->second);
  }
  return out;
}

std::vector<std::string> Indexer::IndexKeys(absl::string_view index,
                                            absl::string_view value) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  auto it = indices_.find(index);
  if (it == indices_.end()) return out;
  auto v = it->second.find(value);
  if (v == it->second.end()) return out;
  out.assign(v->second.begin(), v->second.end());
  std::sort(out.begin(), out.end());
  return out;
}

bool Indexer::HasIndex(absl::string_view index) const {
  absl::ReaderMutexLock lock(&mu_);
  return indexers_.find(std::string(index)) != indexers_.end();
}

absl::Status Indexer::AddIndexers(Indexers indexers) {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, fn] : indexers) {
    if (indexers_.count(name)) {
      return absl::AlreadyExistsError("index \"" + name + "\" already exists");
    }
  }
  for (auto& [name, fn] : indexers) {
    auto& index = indices_[name];
    for (const auto& [key, object] : items_) {
      for (std::string& value : fn(*object)) index[std::move(value)].insert(key);
    }
    indexers_[name] = std::move(fn);
  }
  return absl::OkStatus();
}

}  // namespace minik8s::client
