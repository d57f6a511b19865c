// ImageManager on a FakeClock: pull policies, Kubernetes' pull Events, and
// the ImagePullBackOff schedule after failed pulls — with no sleeping.
#include "kubelet/image_manager.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"
#include "tests/kubelet/unimplemented_runtime.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;

// A registry the test controls: images present on the node, images the
// registry refuses, and how long a pull takes on the fake clock.
class ImageRuntime : public UnimplementedRuntime {
 public:
  explicit ImageRuntime(common::FakeClock* clock) : clock_(clock) {}
  absl::StatusOr<cri::ImageStatusResponse> ImageStatus(
      const cri::ImageStatusRequest& req) override {
    if (!answer) return absl::UnavailableError("runtime down");
    cri::ImageStatusResponse r;
    if (present.contains(req.image().image())) {
      r.mutable_image()->set_id(absl::StrCat("sha256:", req.image().image()));
    }
    return r;
  }
  absl::StatusOr<cri::PullImageResponse> PullImage(const cri::PullImageRequest& req) override {
    pulls.push_back(clock_->Now());
    clock_->Advance(pull_takes);
    const std::string& image = req.image().image();
    if (missing.contains(image)) {
      return absl::NotFoundError(absl::StrCat("pull access denied for ", image));
    }
    present.insert(image);
    cri::PullImageResponse r;
    r.set_image_ref(absl::StrCat("sha256:", image));
    return r;
  }
  std::set<std::string> present, missing;
  absl::Duration pull_takes;
  bool answer = true;
  std::vector<absl::Time> pulls;

 private:
  common::FakeClock* const clock_;
};

class Recorder : public PodEventRecorder, public RuntimeHealth {
 public:
  void Event(const core::Pod&, const std::string& container, const std::string& type,
             const std::string& reason, const std::string& message) override {
    events.push_back(absl::StrCat(type, " ", reason, " ", container, ": ", message));
  }
  bool RuntimeReady() const override { return true; }
  uint64_t RuntimeEpoch() override { return 0; }
  bool RuntimeUnreachable(const absl::Status& s) override {
    return s.code() == absl::StatusCode::kUnavailable;
  }
  std::vector<std::string> events;
};

class ImageManagerTest : public ::testing::Test {
 protected:
  ImageManagerTest()
      : runtime_(&clock_),
        images_(&runtime_, &clock_, &recorder_, &recorder_, absl::Seconds(10)),
        backoff_(absl::Seconds(10), absl::Seconds(40)) {
    pod_.mutable_metadata()->set_name("web");
    pod_.mutable_metadata()->set_uid("uid-1");
    container_.set_name("app");
    container_.set_image("nginx:1.25");
  }
  // One attempt at the fake clock's time; `*wake` gets the retry time.
  bool Ensure(absl::Time* wake) {
    *wake = absl::InfiniteFuture();
    return images_.EnsureImage(pod_, container_, backoff_, record_, clock_.Now(), wake,
                               [this] { ++before_pull_calls_; });
  }

  common::FakeClock clock_;
  ImageRuntime runtime_;
  Recorder recorder_;
  ImageManager images_;
  Backoff backoff_;
  core::Pod pod_;
  core::Container container_;
  ContainerRecord record_;
  int before_pull_calls_ = 0;
};

TEST_F(ImageManagerTest, IfNotPresentUsesAnImageAlreadyOnTheNode) {
  runtime_.present.insert("nginx:1.25");
  absl::Time wake;
  EXPECT_TRUE(Ensure(&wake));
  EXPECT_TRUE(runtime_.pulls.empty());
  EXPECT_EQ(record_.image_id, "sha256:nginx:1.25");
  EXPECT_EQ(before_pull_calls_, 0);
  EXPECT_EQ(recorder_.events,
            std::vector<std::string>{"Normal Pulled app: Container image \"nginx:1.25\" already "
                                     "present on machine"});
}

TEST_F(ImageManagerTest, IfNotPresentPullsAnAbsentImageAndSaysHowLongItTook) {
  runtime_.pull_takes = absl::Milliseconds(2500);
  absl::Time wake;
  EXPECT_TRUE(Ensure(&wake));
  EXPECT_EQ(runtime_.pulls.size(), 1u);
  EXPECT_EQ(before_pull_calls_, 1);  // ContainerCreating is reported first
  EXPECT_EQ(record_.image_id, "sha256:nginx:1.25");
  EXPECT_EQ(recorder_.events,
            (std::vector<std::string>{
                "Normal Pulling app: Pulling image \"nginx:1.25\"",
                "Normal Pulled app: Successfully pulled image \"nginx:1.25\" in 2.5s (2.5s "
                "including waiting)"}));
  // Now present: the next container with it pulls nothing.
  EXPECT_TRUE(Ensure(&wake));
  EXPECT_EQ(runtime_.pulls.size(), 1u);
}

TEST_F(ImageManagerTest, AlwaysPullsEvenAPresentImage) {
  container_.set_image_pull_policy("Always");
  runtime_.present.insert("nginx:1.25");
  absl::Time wake;
  EXPECT_TRUE(Ensure(&wake));
  EXPECT_TRUE(Ensure(&wake));
  EXPECT_EQ(runtime_.pulls.size(), 2u);
  EXPECT_EQ(before_pull_calls_, 0);  // the image was there: no extra status
}

TEST_F(ImageManagerTest, NeverDoesNotPullAndComesBackLater) {
  container_.set_image_pull_policy("Never");
  absl::Time wake;
  EXPECT_FALSE(Ensure(&wake));
  EXPECT_TRUE(runtime_.pulls.empty());
  EXPECT_EQ(record_.waiting_reason, "ErrImageNeverPull");
  EXPECT_EQ(record_.waiting_message,
            "Container image \"nginx:1.25\" is not present with pull policy of Never");
  EXPECT_EQ(wake, clock_.Now() + absl::Seconds(10));

  runtime_.present.insert("nginx:1.25");
  EXPECT_TRUE(Ensure(&wake));
}

TEST_F(ImageManagerTest, FailedPullsBackOffExponentially) {
  runtime_.missing.insert("nginx:1.25");
  const absl::Time t0 = clock_.Now();
  absl::Time wake;
  EXPECT_FALSE(Ensure(&wake));
  EXPECT_EQ(record_.waiting_reason, "ErrImagePull");
  EXPECT_EQ(record_.waiting_message,
            "Failed to pull image \"nginx:1.25\": pull access denied for nginx:1.25");
  EXPECT_EQ(wake, t0 + absl::Seconds(1));  // soon, to show ImagePullBackOff
  EXPECT_EQ(before_pull_calls_, 1);

  // Within the back-off (10s from the failure): no pull, one BackOff event.
  clock_.AdvanceTo(wake);
  EXPECT_FALSE(Ensure(&wake));
  EXPECT_EQ(record_.waiting_reason, "ImagePullBackOff");
  EXPECT_EQ(wake, t0 + absl::Seconds(10));
  clock_.Advance(absl::Seconds(5));
  EXPECT_FALSE(Ensure(&wake));
  EXPECT_EQ(runtime_.pulls.size(), 1u);
  int backoff_events = 0;
  for (const auto& e : recorder_.events) {
    backoff_events += e == "Normal BackOff app: Back-off pulling image \"nginx:1.25\"";
  }
  EXPECT_EQ(backoff_events, 1);

  // At its end: pulled again, fails, and the back-off doubles (20s).
  clock_.AdvanceTo(t0 + absl::Seconds(10));
  EXPECT_FALSE(Ensure(&wake));
  ASSERT_EQ(runtime_.pulls.size(), 2u);
  EXPECT_EQ(runtime_.pulls[1], t0 + absl::Seconds(10));
  EXPECT_EQ(before_pull_calls_, 1);  // a retry keeps showing the back-off
  clock_.AdvanceTo(t0 + absl::Seconds(29));
  EXPECT_FALSE(Ensure(&wake));
  EXPECT_EQ(record_.waiting_reason, "ImagePullBackOff");
  EXPECT_EQ(wake, t0 + absl::Seconds(30));

  // The registry has it now: the pull at the back-off's end succeeds and
  // the back-off is forgotten.
  runtime_.missing.clear();
  clock_.AdvanceTo(wake);
  EXPECT_TRUE(Ensure(&wake));
  EXPECT_EQ(runtime_.pulls.size(), 3u);
  EXPECT_EQ(record_.pull_failed_at, absl::Time());
  EXPECT_EQ(backoff_.Get("nginx:1.25"), absl::ZeroDuration());
}

TEST_F(ImageManagerTest, AnUnreachableRuntimeChangesNothing) {
  runtime_.answer = false;
  absl::Time wake;
  EXPECT_FALSE(Ensure(&wake));
  EXPECT_EQ(record_.waiting_reason, "");
  EXPECT_TRUE(recorder_.events.empty());
  EXPECT_TRUE(runtime_.pulls.empty());
  EXPECT_EQ(wake, absl::InfiniteFuture());
}

}  // namespace
}  // namespace minik8s::kubelet
