#include "client/indexer.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "client/lister.h"
#include "tests/client/fake_lister_watcher.h"

namespace minik8s::client {
namespace {

using minik8s::core::v1::Pod;
using testing::MakePod;

std::shared_ptr<const Pod> Owned(Pod p, const std::string& owner_uid) {
  auto* ref = p.mutable_metadata()->add_owner_references();
  ref->set_kind("ReplicaSet");
  ref->set_name("rs");
  ref->set_uid(owner_uid);
  ref->set_controller(true);
  return std::make_shared<Pod>(std::move(p));
}

std::vector<std::string> Names(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> out;
  for (auto& o : objects) out.push_back(MetaOf(*o).name());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Indexer, IndexesFollowUpdatesAndDeletes) {
  Indexer indexer(DefaultIndexersFor(Pod::descriptor()));
  EXPECT_EQ(indexer.Upsert(Owned(MakePod("ns1", "a", "node-1"), "rs-1")), nullptr);
  indexer.Upsert(Owned(MakePod("ns1", "b", "node-1"), "rs-1"));
  indexer.Upsert(Owned(MakePod("ns2", "c", ""), "rs-2"));
  EXPECT_EQ(indexer.size(), 3u);

  EXPECT_EQ(Names(indexer.ByIndex(kIndexNamespace, "ns1")), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Names(indexer.ByIndex(kIndexPodNodeName, "node-1")),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Names(indexer.ByIndex(kIndexPodNodeName, "")), (std::vector<std::string>{"c"}));
  EXPECT_EQ(Names(indexer.ByIndex(kIndexControllerUid, "rs-1")),
            (std::vector<std::string>{"a", "b"}));

  // b moves to node-2 and changes owner.
  ObjectPtr old = indexer.Upsert(Owned(MakePod("ns1", "b", "node-2"), "rs-2"));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(static_cast<const Pod&>(*old).spec().node_name(), "node-1");
  EXPECT_EQ(Names(indexer.ByIndex(kIndexPodNodeName, "node-1")), (std::vector<std::string>{"a"}));
  EXPECT_EQ(Names(indexer.ByIndex(kIndexPodNodeName, "node-2")), (std::vector<std::string>{"b"}));
  EXPECT_EQ(Names(indexer.ByIndex(kIndexControllerUid, "rs-2")),
            (std::vector<std::string>{"b", "c"}));

  EXPECT_NE(indexer.Delete("ns1/a"), nullptr);
  EXPECT_EQ(indexer.Delete("ns1/a"), nullptr);
  EXPECT_TRUE(indexer.ByIndex(kIndexPodNodeName, "node-1").empty());
  EXPECT_TRUE(indexer.IndexKeys(kIndexControllerUid, "rs-1").empty());
  EXPECT_EQ(indexer.IndexKeys(kIndexNamespace, "ns1"), (std::vector<std::string>{"ns1/b"}));
  EXPECT_EQ(indexer.Get("ns1", "a"), nullptr);
  EXPECT_EQ(indexer.size(), 2u);
}

TEST(Indexer, ReplaceRebuildsIndexes) {
  Indexer indexer(DefaultIndexersFor(Pod::descriptor()));
  indexer.Upsert(Owned(MakePod("ns1", "a", "node-1"), "rs-1"));
  indexer.Replace({Owned(MakePod("ns1", "z", "node-9"), "rs-9")});
  EXPECT_EQ(indexer.ListKeys(), (std::vector<std::string>{"ns1/z"}));
  EXPECT_TRUE(indexer.ByIndex(kIndexPodNodeName, "node-1").empty());
  EXPECT_EQ(Names(indexer.ByIndex(kIndexPodNodeName, "node-9")), (std::vector<std::string>{"z"}));
}

TEST(Indexer, AddIndexersIndexesExistingObjects) {
  Indexer indexer;
  indexer.Upsert(std::make_shared<Pod>(MakePod("ns1", "a", "node-1")));
  EXPECT_FALSE(indexer.HasIndex(kIndexPodNodeName));
  ASSERT_TRUE(indexer.AddIndexers({{kIndexPodNodeName, PodNodeNameIndexFunc}}).ok());
  EXPECT_EQ(Names(indexer.ByIndex(kIndexPodNodeName, "node-1")), (std::vector<std::string>{"a"}));
  EXPECT_FALSE(indexer.AddIndexers({{kIndexPodNodeName, PodNodeNameIndexFunc}}).ok());
}

TEST(Indexer, ReadersKeepTheirObjectAfterAnUpdate) {
  Indexer indexer;
  indexer.Upsert(std::make_shared<Pod>(MakePod("ns1", "a", "node-1")));
  ObjectPtr held = indexer.Get("ns1/a");
  indexer.Upsert(std::make_shared<Pod>(MakePod("ns1", "a", "node-2")));
  EXPECT_EQ(static_cast<const Pod&>(*held).spec().node_name(), "node-1");
  // No copy per read: two reads share one object.
  EXPECT_EQ(indexer.Get("ns1/a").get(), indexer.Get("ns1/a").get());
}

struct AppSelector {
  std::string app;
  bool Matches(const google::protobuf::Map<std::string, std::string>& labels) const {
    auto it = labels.find("app");
    return it != labels.end() && it->second == app;
  }
};

TEST(Lister, GetListAndSelect) {
  Indexer indexer(DefaultIndexersFor(Pod::descriptor()));
  Pod a = MakePod("ns1", "a", "node-1");
  (*a.mutable_metadata()->mutable_labels())["app"] = "web";
  Pod b = MakePod("ns1", "b", "node-1");
  (*b.mutable_metadata()->mutable_labels())["app"] = "db";
  Pod c = MakePod("ns2", "c");
  (*c.mutable_metadata()->mutable_labels())["app"] = "web";
  for (Pod* p : {&a, &b, &c}) indexer.Upsert(std::make_shared<Pod>(*p));
  Lister<Pod> lister(&indexer);
  ASSERT_NE(lister.Get("ns1", "a"), nullptr);
  EXPECT_EQ(lister.Get("ns1", "a")->spec().node_name(), "node-1");
  EXPECT_EQ(lister.Get("ns1", "zz"), nullptr);
  EXPECT_EQ(lister.List().size(), 3u);
  EXPECT_EQ(lister.List("", AppSelector{"web"}).size(), 2u);
  EXPECT_EQ(lister.List("ns1", AppSelector{"web"}).size(), 1u);
  EXPECT_EQ(lister.ListNamespace("ns2").size(), 1u);
  EXPECT_EQ(lister.ListByIndex(kIndexPodNodeName, "node-1").size(), 2u);
}

}  // namespace
}  // namespace minik8s::client
