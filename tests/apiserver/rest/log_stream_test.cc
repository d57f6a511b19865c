// pods/log: PodLogOptions from the query (ParsePodLogOptions), and the
// kubelet side (KubeletLogReader / KubeletLogStream) against a fake
// `minik8s.kubelet.v1.Kubelet` served on a loopback port: lines arrive in
// order and as soon as the kubelet sends them, a followed log runs until the
// kubelet ends it, cancelling the HTTP side cancels the kubelet's stream,
// the request's fields reach the kubelet, refusals become API errors.
#include "apiserver/rest/log_stream.h"

#include <arpa/inet.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "api/errors.h"
#include "apiserver/rest/kubelet_logs.h"
#include "gtest/gtest.h"
#include "kubelet/v1/kubelet.grpc.pb.h"

namespace minik8s::apiserver::rest {
namespace {

namespace kv1 = ::minik8s::kubelet::v1;

// ---------------------------------------------------------------- fake kubelet

// Serves ContainerLogs from a script the test feeds: each Send() becomes one
// response message, End() finishes the call with a status. A call waits for
// the next step until the client cancels it.
class FakeKubelet final : public kv1::Kubelet::Service {
 public:
  grpc::Status ContainerLogs(grpc::ServerContext* context, const kv1::ContainerLogsRequest* request,
                             grpc::ServerWriter<kv1::ContainerLogsResponse>* writer) override {
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(*request);
    }
    for (;;) {
      Step step;
      {
        absl::MutexLock lock(&mu_);
        // The client's cancellation is only seen by polling the context.
        while (steps_.empty()) {
          if (context->IsCancelled()) {
            ++cancelled_;
            return grpc::Status::CANCELLED;
          }
          mu_.AwaitWithTimeout(absl::Condition(this, &FakeKubelet::HasSteps),
                               absl::Milliseconds(5));
        }
        step = std::move(steps_.front());
        steps_.erase(steps_.begin());
      }
      if (step.end.has_value()) {
        absl::MutexLock lock(&mu_);
        ++ended_;
        return *step.end;
      }
      if (!writer->Write(step.response)) {
        absl::MutexLock lock(&mu_);
        ++cancelled_;
        return grpc::Status::CANCELLED;
      }
    }
  }

  // One message with `texts` as lines stamped `timestamp` (Unix nanos).
  void Send(const std::vector<std::string>& texts, int64_t timestamp = 0) {
    Step step;
    for (const std::string& text : texts) {
      kv1::LogLine* line = step.response.add_lines();
      line->set_text(text);
      line->set_stream("stdout");
      line->set_timestamp(timestamp);
    }
    absl::MutexLock lock(&mu_);
    steps_.push_back(std::move(step));
  }
  void End(grpc::Status status = grpc::Status::OK) {
    Step step;
    step.end = std::move(status);
    absl::MutexLock lock(&mu_);
    steps_.push_back(std::move(step));
  }

  std::vector<kv1::ContainerLogsRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  // Waits until `n` calls were cancelled by the client.
  bool AwaitCancelled(int n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return cancelled_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }
  int cancelled() {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

 private:
  struct Step {
    kv1::ContainerLogsResponse response;
    std::optional<grpc::Status> end;
  };
  bool HasSteps() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !steps_.empty(); }

  absl::Mutex mu_;
  std::vector<Step> steps_ ABSL_GUARDED_BY(mu_);
  std::vector<kv1::ContainerLogsRequest> requests_ ABSL_GUARDED_BY(mu_);
  int cancelled_ ABSL_GUARDED_BY(mu_) = 0;
  int ended_ ABSL_GUARDED_BY(mu_) = 0;
};

// ---------------------------------------------------------------- HTTP side

// Plays the HTTP connection: starts the source and pulls whenever woken.
class Puller {
 public:
  explicit Puller(std::shared_ptr<StreamSource> source)
      : source_(std::move(source)), wakes_(std::make_shared<Wakes>()) {
    source_->Start([wakes = wakes_] {
      absl::MutexLock lock(&wakes->mu);
      ++wakes->count;
    });
  }

  // Pulls until the text received so far satisfies `done`, the stream
  // ends, or `timeout` passes.
  void PullUntil(const std::function<bool(const std::string&)>& done,
                 absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      int seen;
      {
        absl::MutexLock lock(&wakes_->mu);
        seen = wakes_->count;
      }
      for (;;) {
        size_t before = text_.size();
        StreamSource::Next next = source_->Pull(&text_);
        if (next == StreamSource::Next::kData) {
          EXPECT_GT(text_.size(), before) << "kData without data";
          ++chunks_;
          continue;
        }
        if (next == StreamSource::Next::kEnd) ended_ = true;
        break;
      }
      if (ended_ || done(text_)) return;
      absl::MutexLock lock(&wakes_->mu);
      auto woken = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return wakes_->count > seen; };
      if (!wakes_->mu.AwaitWithDeadline(absl::Condition(&woken), deadline)) return;
    }
  }
  void PullToEnd() {
    PullUntil([](const std::string&) { return false; });
  }
  void PullUntilHas(const std::string& text) {
    PullUntil([&](const std::string& got) { return absl::StrContains(got, text); });
  }

  const std::string& text() const { return text_; }
  bool ended() const { return ended_; }
  int chunks() const { return chunks_; }
  StreamSource* source() { return source_.get(); }

 private:
  struct Wakes {
    absl::Mutex mu;
    int count ABSL_GUARDED_BY(mu) = 0;
  };
  std::shared_ptr<StreamSource> source_;
  std::shared_ptr<Wakes> wakes_;
  std::string text_;
  bool ended_ = false;
  int chunks_ = 0;
};

// ---------------------------------------------------------------- fixture

class KubeletLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&kubelet_);
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ != nullptr);
    ASSERT_GT(port, 0);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override {
    reader_.reset();
    if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  }

  KubeletLogReader& reader() {
    if (!reader_) reader_ = std::make_unique<KubeletLogReader>(options_);
    return *reader_;
  }

  static KubeletLogRequest Request(bool follow) {
    KubeletLogRequest request;
    request.kubelet.set_namespace_("default");
    request.kubelet.set_pod("web");
    request.kubelet.set_container("nginx");
    request.kubelet.set_follow(follow);
    request.node = "node-1";
    return request;
  }

  std::shared_ptr<KubeletLogStream> OpenOk(KubeletLogRequest request) {
    absl::StatusOr<std::shared_ptr<KubeletLogStream>> stream =
        reader().Open(address_, std::move(request));
    EXPECT_TRUE(stream.ok()) << stream.status();
    return stream.ok() ? *stream : nullptr;
  }

  FakeKubelet kubelet_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  KubeletLogReader::Options options_ = [] {
    KubeletLogReader::Options o;
    o.dial_timeout = absl::Seconds(5);
    o.first_answer_wait = absl::Milliseconds(100);
    return o;
  }();
  std::unique_ptr<KubeletLogReader> reader_;
};

TEST_F(KubeletLogsTest, LinesArriveInOrderAndTheBodyEndsWithTheLog) {
  kubelet_.Send({"one", "two"});
  kubelet_.Send({"three"});
  kubelet_.Send({"", "five"});  // an empty line stays a line
  kubelet_.End();
  auto stream = OpenOk(Request(false));
  ASSERT_NE(stream, nullptr);
  Puller http(stream);
  http.PullToEnd();
  EXPECT_TRUE(http.ended());
  EXPECT_EQ(http.text(), "one\ntwo\nthree\n\nfive\n");
  stream->AwaitDone();
  EXPECT_TRUE(stream->status().ok()) << stream->status().error_message();
  EXPECT_EQ(reader().running(), 0u);
}

TEST_F(KubeletLogsTest, FollowPassesEachBatchOnAtOnceUntilTheKubeletEnds) {
  auto stream = OpenOk(Request(true));  // quiet: starts after first_answer_wait
  ASSERT_NE(stream, nullptr);
  Puller http(stream);
  for (int i = 0; i < 5; ++i) {
    const std::string line = absl::StrCat("line ", i);
    kubelet_.Send({line});
    http.PullUntilHas(line + "\n");
    ASSERT_FALSE(http.ended()) << "the followed log ended before the kubelet ended it";
    ASSERT_TRUE(absl::EndsWith(http.text(), line + "\n")) << http.text();
  }
  EXPECT_EQ(reader().running(), 1u);
  kubelet_.End();
  http.PullToEnd();
  EXPECT_TRUE(http.ended());
  EXPECT_EQ(http.text(), "line 0\nline 1\nline 2\nline 3\nline 4\n");
  stream->AwaitDone();
  EXPECT_EQ(kubelet_.cancelled(), 0);
}

TEST_F(KubeletLogsTest, CancelStopsTheKubeletsStream) {
  kubelet_.Send({"hello"});
  auto stream = OpenOk(Request(true));
  ASSERT_NE(stream, nullptr);
  Puller http(stream);
  http.PullUntilHas("hello\n");
  ASSERT_FALSE(http.ended());
  stream->Cancel();  // the HTTP client went away
  EXPECT_TRUE(kubelet_.AwaitCancelled(1));
  stream->AwaitDone();
  EXPECT_EQ(stream->status().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(reader().running(), 0u);
  std::string more;
  EXPECT_EQ(stream->Pull(&more), StreamSource::Next::kEnd);
}

TEST_F(KubeletLogsTest, TheRequestReachesTheKubelet) {
  kubelet_.End();
  KubeletLogRequest request = Request(false);
  request.kubelet.set_namespace_("team-a");
  request.kubelet.set_container("side");
  request.kubelet.set_tail_lines(7);
  request.kubelet.set_timestamps(true);
  request.kubelet.set_previous(true);
  auto stream = OpenOk(request);
  ASSERT_NE(stream, nullptr);
  stream->AwaitDone();
  std::vector<kv1::ContainerLogsRequest> got = kubelet_.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].namespace_(), "team-a");
  EXPECT_EQ(got[0].pod(), "web");
  EXPECT_EQ(got[0].container(), "side");
  EXPECT_TRUE(got[0].has_tail_lines());
  EXPECT_EQ(got[0].tail_lines(), 7);
  EXPECT_TRUE(got[0].timestamps());
  EXPECT_TRUE(got[0].previous());
  EXPECT_FALSE(got[0].follow());

  kubelet_.End();
  auto plain = OpenOk(Request(true));
  ASSERT_NE(plain, nullptr);
  plain->AwaitDone();
  got = kubelet_.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_FALSE(got[1].has_tail_lines());
  EXPECT_FALSE(got[1].timestamps());
  EXPECT_FALSE(got[1].previous());
  EXPECT_TRUE(got[1].follow());
}

TEST_F(KubeletLogsTest, ARefusalBeforeAnyLineIsABadRequest) {
  kubelet_.End(grpc::Status(grpc::StatusCode::NOT_FOUND,
                            "container \"nginx\" in pod \"web\" is not available"));
  absl::StatusOr<std::shared_ptr<KubeletLogStream>> stream = reader().Open(address_, Request(true));
  ASSERT_FALSE(stream.ok());
  EXPECT_TRUE(api::IsBadRequest(stream.status())) << stream.status();
  EXPECT_EQ(stream.status().message(), "container \"nginx\" in pod \"web\" is not available");
  EXPECT_EQ(reader().running(), 0u);
}

TEST_F(KubeletLogsTest, AFailureAfterTheFirstLinesEndsTheBody) {
  kubelet_.Send({"partial"});
  kubelet_.End(grpc::Status(grpc::StatusCode::INTERNAL, "runtime went away"));
  auto stream = OpenOk(Request(false));
  ASSERT_NE(stream, nullptr);
  Puller http(stream);
  http.PullToEnd();
  EXPECT_TRUE(http.ended());
  EXPECT_EQ(http.text(), "partial\n");
}

TEST_F(KubeletLogsTest, AnUnreachableKubeletIsAnInternalErrorNamingIt) {
  // A port nothing listens on any more.
  int port = 0;
  {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    close(fd);
  }
  const std::string address = absl::StrCat("127.0.0.1:", port);
  absl::StatusOr<std::shared_ptr<KubeletLogStream>> stream = reader().Open(address, Request(true));
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StartsWith(stream.status().message(),
                               absl::StrCat("cannot read the logs of pod \"web\" from the kubelet "
                                            "of node node-1 at ",
                                            address, ": ")))
      << stream.status();
  EXPECT_EQ(reader().running(), 0u);
}

TEST_F(KubeletLogsTest, SinceDropsOlderLinesAndLimitBytesCutsTheBody) {
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  kubelet_.Send({"old"}, absl::ToUnixNanos(t0 - absl::Seconds(10)));
  kubelet_.Send({"new-1", "new-2"}, absl::ToUnixNanos(t0));
  kubelet_.Send({"new-3"}, absl::ToUnixNanos(t0 + absl::Seconds(1)));
  KubeletLogRequest request = Request(true);
  request.since = t0;
  request.limit_bytes = 9;  // "new-1\nnew" of "new-1\nnew-2\nnew-3\n"
  auto stream = OpenOk(request);
  ASSERT_NE(stream, nullptr);
  Puller http(stream);
  http.PullToEnd();
  EXPECT_TRUE(http.ended());
  EXPECT_EQ(http.text(), "new-1\nnew");
  // The body is complete: the kubelet's follow stream is cancelled.
  EXPECT_TRUE(kubelet_.AwaitCancelled(1));
  stream->AwaitDone();
  EXPECT_EQ(reader().running(), 0u);
}

TEST_F(KubeletLogsTest, ATinyBufferStillPassesEverythingInOrder) {
  options_.max_buffered_bytes = 4;
  std::string want;
  for (int i = 0; i < 200; ++i) {
    kubelet_.Send({absl::StrCat("line ", i), absl::StrCat("more ", i)});
    absl::StrAppend(&want, "line ", i, "\nmore ", i, "\n");
  }
  kubelet_.End();
  auto stream = OpenOk(Request(false));
  ASSERT_NE(stream, nullptr);
  Puller http(stream);
  http.PullToEnd();
  EXPECT_TRUE(http.ended());
  EXPECT_EQ(http.text(), want);
}

TEST_F(KubeletLogsTest, DestroyingTheReaderEndsRunningStreams) {
  kubelet_.Send({"running"});
  auto first = OpenOk(Request(true));
  auto second = OpenOk(Request(true));  // never started by an HTTP connection
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  Puller http(first);
  http.PullUntilHas("running\n");
  EXPECT_EQ(reader().running(), 2u);
  reader_.reset();  // waits until gRPC finished both calls
  EXPECT_TRUE(kubelet_.AwaitCancelled(2));
  http.PullToEnd();
  EXPECT_TRUE(http.ended());
  EXPECT_EQ(first->status().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(second->status().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(KubeletLogsTest, CancelBeforeStartEndsTheCall) {
  kubelet_.Send({"never read"});
  auto stream = OpenOk(Request(true));
  ASSERT_NE(stream, nullptr);
  stream->Cancel();  // e.g. the connection closed before the head was sent
  stream->AwaitDone();
  EXPECT_EQ(reader().running(), 0u);
}

// ---------------------------------------------------------------- options

HttpRequest Query(std::map<std::string, std::string, std::less<>> query) {
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/v1/namespaces/default/pods/web/log";
  request.query = std::move(query);
  return request;
}

TEST(ParsePodLogOptions, AsKubectlSendsThem) {
  absl::StatusOr<PodLogOptions> options = ParsePodLogOptions(Query({{"container", "nginx"},
                                                                    {"follow", "true"},
                                                                    {"tailLines", "10"},
                                                                    {"timestamps", "true"},
                                                                    {"previous", "false"},
                                                                    {"limitBytes", "500"},
                                                                    {"sinceSeconds", "60"}}),
                                                             "web");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->container, "nginx");
  EXPECT_TRUE(options->follow);
  EXPECT_TRUE(options->timestamps);
  EXPECT_FALSE(options->previous);
  EXPECT_EQ(options->tail_lines.value_or(-1), 10);
  EXPECT_EQ(options->limit_bytes.value_or(-1), 500);
  EXPECT_EQ(options->since_seconds.value_or(-1), 60);
  EXPECT_FALSE(options->since_time.has_value());

  options = ParsePodLogOptions(Query({}), "web");
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->container, "");
  EXPECT_FALSE(options->follow);
  EXPECT_FALSE(options->tail_lines.has_value());
}

TEST(ParsePodLogOptions, BooleansAreFalseOnlyFor0FAndFalse) {
  for (const char* value : {"0", "f", "F", "false", "FALSE", "False"}) {
    EXPECT_FALSE(ParsePodLogOptions(Query({{"follow", value}}), "web")->follow) << value;
  }
  for (const char* value : {"1", "t", "true", "True", "", "yes"}) {
    EXPECT_TRUE(ParsePodLogOptions(Query({{"follow", value}}), "web")->follow) << value;
  }
}

TEST(ParsePodLogOptions, SinceTime) {
  absl::StatusOr<PodLogOptions> options =
      ParsePodLogOptions(Query({{"sinceTime", "2023-11-14T22:13:20Z"}}), "web");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->since_time.value_or(absl::InfinitePast()), absl::FromUnixSeconds(1700000000));
  absl::Status bad = ParsePodLogOptions(Query({{"sinceTime", "yesterday"}}), "web").status();
  EXPECT_EQ(api::Reason(bad), "BadRequest") << bad;
}

TEST(ParsePodLogOptions, NumbersThatAreNotNumbersAreBadRequests) {
  absl::Status s = ParsePodLogOptions(Query({{"tailLines", "ten"}}), "web").status();
  EXPECT_EQ(api::Reason(s), "BadRequest");
  EXPECT_EQ(api::ToApiStatus(s).code(), 400);
  EXPECT_EQ(s.message(), "strconv.ParseInt: parsing \"ten\": invalid syntax");
  s = ParsePodLogOptions(Query({{"limitBytes", "99999999999999999999"}}), "web").status();
  EXPECT_EQ(s.message(), "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
  EXPECT_EQ(ParsePodLogOptions(Query({{"tailLines", ""}}), "web").status().message(),
            "strconv.ParseInt: parsing \"\": invalid syntax");
  EXPECT_EQ(
      ParsePodLogOptions(Query({{"tailLines", "-9223372036854775808"}}), "web").status().message(),
      "PodLogOptions \"web\" is invalid: tailLines: Invalid value: -9223372036854775808: "
      "must be greater than or equal to 0");
  EXPECT_EQ(ParsePodLogOptions(Query({{"tailLines", "+9223372036854775807"}}), "web")
                ->tail_lines.value_or(0),
            9223372036854775807);
}

TEST(ParsePodLogOptions, OutOfRangeValuesAreInvalid) {
  absl::Status s = ParsePodLogOptions(Query({{"tailLines", "-1"}}), "web").status();
  EXPECT_EQ(api::Reason(s), "Invalid");
  meta::v1::Status api = api::ToApiStatus(s);
  EXPECT_EQ(api.code(), 422);
  EXPECT_EQ(api.details().kind(), "PodLogOptions");
  EXPECT_EQ(api.details().name(), "web");
  ASSERT_EQ(api.details().causes_size(), 1);
  EXPECT_EQ(api.details().causes(0).field(), "tailLines");
  EXPECT_EQ(s.message(),
            "PodLogOptions \"web\" is invalid: tailLines: Invalid value: -1: must be greater "
            "than or equal to 0");
  s = ParsePodLogOptions(Query({{"limitBytes", "0"}, {"sinceSeconds", "0"}}), "web").status();
  EXPECT_EQ(s.message(),
            "PodLogOptions \"web\" is invalid: [limitBytes: Invalid value: 0: must be greater "
            "than 0, sinceSeconds: Invalid value: 0: must be greater than 0]");
  s = ParsePodLogOptions(Query({{"sinceSeconds", "5"}, {"sinceTime", "2023-11-14T22:13:20Z"}}),
                         "web")
          .status();
  EXPECT_EQ(api::Reason(s), "Invalid");
  EXPECT_TRUE(absl::StrContains(s.message(),
                                "at most one of `sinceTime` or `sinceSeconds` may be specified"))
      << s;
}

}  // namespace
}  // namespace minik8s::apiserver::rest
