#include "kubelet/node_event_sink.h"

#include <vector>

#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "client/event_recorder.h"
#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;

class RecordingSink : public client::EventSink {
 public:
  absl::StatusOr<core::Event> Create(const core::Event& event) override {
    absl::MutexLock lock(&mu_);
    created_.push_back(event);
    return event;
  }
  absl::StatusOr<core::Event> Patch(absl::string_view ns, absl::string_view name,
                                    absl::string_view json) override {
    absl::MutexLock lock(&mu_);
    patched_.push_back(std::string(name));
    core::Event e;
    e.mutable_metadata()->set_namespace_(std::string(ns));
    e.mutable_metadata()->set_name(std::string(name));
    return e;
  }
  std::vector<core::Event> created() {
    absl::MutexLock lock(&mu_);
    return created_;
  }
  std::vector<std::string> patched() {
    absl::MutexLock lock(&mu_);
    return patched_;
  }

 private:
  absl::Mutex mu_;
  std::vector<core::Event> created_;
  std::vector<std::string> patched_;
};

core::Event AboutPod(const std::string& uid, const std::string& host = "") {
  core::Event e;
  e.mutable_metadata()->set_namespace_("default");
  e.mutable_metadata()->set_name("web." + uid);
  e.mutable_involved_object()->set_kind("Pod");
  e.mutable_involved_object()->set_uid(uid);
  e.mutable_source()->set_component("kubelet");
  e.mutable_source()->set_host(host);
  return e;
}

TEST(NodeEventSink, FillsInTheNodeOfThePod) {
  RecordingSink inner;
  NodeEventSink sink(&inner, 10);
  sink.Remember("uid-1", "sim-1");
  sink.Remember("uid-2", "sim-2");
  ASSERT_TRUE(sink.Create(AboutPod("uid-1")).ok());
  ASSERT_TRUE(sink.Create(AboutPod("uid-2")).ok());
  ASSERT_TRUE(sink.Create(AboutPod("uid-unknown")).ok());
  ASSERT_TRUE(sink.Create(AboutPod("uid-1", "already-set")).ok());
  auto created = inner.created();
  ASSERT_EQ(created.size(), 4u);
  EXPECT_EQ(created[0].source().host(), "sim-1");
  EXPECT_EQ(created[0].reporting_instance(), "sim-1");
  EXPECT_EQ(created[1].source().host(), "sim-2");
  EXPECT_EQ(created[2].source().host(), "");  // passed on unchanged
  EXPECT_EQ(created[3].source().host(), "already-set");
  ASSERT_TRUE(sink.Patch("default", "web.uid-1", "{\"count\":2}").ok());
  EXPECT_EQ(inner.patched(), std::vector<std::string>{"web.uid-1"});
}

TEST(NodeEventSink, ForgetsTheLeastRecentlyNamedPodsBeyondItsCapacity) {
  RecordingSink inner;
  NodeEventSink sink(&inner, 2);
  sink.Remember("a", "n-a");
  sink.Remember("b", "n-b");
  sink.Remember("a", "n-a2");  // refreshed: now the most recent, node updated
  sink.Remember("c", "n-c");   // evicts b
  EXPECT_EQ(sink.NodeOf("a"), "n-a2");
  EXPECT_EQ(sink.NodeOf("b"), "");
  EXPECT_EQ(sink.NodeOf("c"), "n-c");
  sink.Remember("d", "");  // nothing to remember
  EXPECT_EQ(sink.NodeOf("a"), "n-a2");
  EXPECT_EQ(sink.NodeOf("d"), "");
}

// Behind a real client::EventRecorder with an empty host (scale mode):
// Events get their pod's node, repeats become counts.
TEST(NodeEventSink, BehindTheSharedRecorder) {
  RecordingSink inner;
  NodeEventSink sink(&inner, 100);
  {
    client::EventRecorder recorder(&sink, {.component = "kubelet"});
    core::ObjectReference ref;
    ref.set_kind("Pod");
    ref.set_namespace_("default");
    ref.set_name("web");
    ref.set_uid("uid-w");
    sink.Remember("uid-w", "sim-7");
    recorder.Event(ref, client::kEventTypeWarning, "BackOff",
                   "Back-off restarting failed container");
    recorder.Event(ref, client::kEventTypeWarning, "BackOff",
                   "Back-off restarting failed container");
    recorder.Flush();
  }
  auto created = inner.created();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].source().component(), "kubelet");
  EXPECT_EQ(created[0].source().host(), "sim-7");
  EXPECT_EQ(inner.patched().size(), 1u);  // the repeat: count 2
}

}  // namespace
}  // namespace minik8s::kubelet
