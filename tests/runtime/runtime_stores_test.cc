// Unit tests of the fake runtime's stores, each on its own (no Runtime, no
// clock, no threads): sandboxes and pod IPs, containers and probes, images
// and the simulated registry, logs and followers, nginx's lines.
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "runtime/container_store.h"
#include "runtime/cri_log.h"
#include "runtime/image_name.h"
#include "runtime/image_store.h"
#include "runtime/log_store.h"
#include "runtime/runtime_client.h"
#include "runtime/sandbox_store.h"
#include "runtime/workload_logs.h"
#include "testing/temp_dir.h"

namespace minik8s::runtime {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

std::unique_ptr<Sandbox> MakeSandbox(const std::string& id, const std::string& name, uint64_t seq,
                                     const std::string& ip = "") {
  auto sb = std::make_unique<Sandbox>();
  sb->id = id;
  sb->seq = seq;
  sb->config.mutable_metadata()->set_name(name);
  sb->config.mutable_metadata()->set_namespace_("default");
  sb->config.mutable_metadata()->set_uid("uid-" + name);
  sb->created_at = kT0;
  sb->ip = ip;
  return sb;
}

// ---- SandboxStore

TEST(SandboxStore, ReservesNamesUntilRemoved) {
  SandboxStore s;
  ASSERT_TRUE(s.Add(MakeSandbox("aaa", "web", 1)).ok());
  auto dup = s.Add(MakeSandbox("bbb", "web", 2));
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("web_default_uid-web_0"), std::string::npos)
      << dup.status();
  EXPECT_FALSE(s.Contains("bbb"));  // a refused sandbox leaves nothing behind
  // Stopping keeps the name; removing frees it.
  s.MarkStopped(*s.Find("aaa"));
  EXPECT_FALSE(s.Add(MakeSandbox("bbb", "web", 2)).ok());
  s.Remove("aaa");
  s.Remove("aaa");  // no-op
  EXPECT_EQ(s.Find("aaa"), nullptr);
  EXPECT_TRUE(s.Add(MakeSandbox("bbb", "web", 2)).ok());
  // Another attempt is another name.
  auto next = MakeSandbox("ccc", "web", 3);
  next->config.mutable_metadata()->set_attempt(1);
  EXPECT_TRUE(s.Add(std::move(next)).ok());
}

TEST(SandboxStore, HoldsTheGivenIpUntilStopped) {
  SandboxStore s;
  ASSERT_TRUE(s.Add(MakeSandbox("aaa", "a", 1, "10.244.0.5")).ok());
  auto dup = s.Add(MakeSandbox("bbb", "b", 2, "10.244.0.5"));
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("aaa"), std::string::npos) << dup.status();
  // Sandboxes without an IP never conflict.
  EXPECT_TRUE(s.Add(MakeSandbox("ccc", "c", 3)).ok());
  EXPECT_TRUE(s.Add(MakeSandbox("ddd", "d", 4)).ok());

  cri::PodSandboxStatus st;
  SandboxStore::FillStatus(*s.Find("aaa"), &st);
  EXPECT_EQ(st.network().ip(), "10.244.0.5");
  EXPECT_EQ(st.state(), cri::SANDBOX_READY);
  EXPECT_EQ(st.created_at(), absl::ToUnixNanos(kT0));

  s.MarkStopped(*s.Find("aaa"));
  SandboxStore::FillStatus(*s.Find("aaa"), &st);
  EXPECT_EQ(st.network().ip(), "");
  EXPECT_EQ(st.state(), cri::SANDBOX_NOTREADY);
  EXPECT_TRUE(s.Add(MakeSandbox("bbb", "b", 2, "10.244.0.5")).ok());
  // Removing a ready sandbox frees its IP too.
  s.Remove("bbb");
  EXPECT_TRUE(s.Add(MakeSandbox("eee", "e", 5, "10.244.0.5")).ok());
}

TEST(SandboxStore, PodIpComesFromTheAnnotation) {
  cri::PodSandboxConfig config;
  EXPECT_EQ(SandboxStore::PodIpOf(config).value(), "");
  (*config.mutable_annotations())[kPodIpAnnotation] = "10.128.3.17";
  EXPECT_EQ(SandboxStore::PodIpOf(config).value(), "10.128.3.17");
  for (const char* bad : {"", "10.1.2", "10.1.2.3.4", "10.1.2.256", "10.1.-2.3", "a.b.c.d",
                          "fd00::1", "10.1.2.0/24", "0010.1.2.3"}) {
    (*config.mutable_annotations())[kPodIpAnnotation] = bad;
    auto ip = SandboxStore::PodIpOf(config);
    EXPECT_EQ(ip.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(SandboxStore, ListFiltersAndSortsByCreation) {
  SandboxStore s;
  auto a = MakeSandbox("a1", "a", 3);
  (*a->config.mutable_labels())["app"] = "web";
  auto b = MakeSandbox("b1", "b", 1);
  (*b->config.mutable_labels())["app"] = "db";
  auto c = MakeSandbox("a2", "c", 2);
  (*c->config.mutable_labels())["app"] = "web";
  ASSERT_TRUE(s.Add(std::move(a)).ok());
  ASSERT_TRUE(s.Add(std::move(b)).ok());
  ASSERT_TRUE(s.Add(std::move(c)).ok());
  auto ids = [&](const cri::PodSandboxFilter& f) {
    std::vector<std::string> out;
    for (Sandbox* sb : s.List(f)) out.push_back(sb->id);
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<std::string>{"b1", "a2", "a1"}));
  cri::PodSandboxFilter f;
  f.set_id("a");
  EXPECT_EQ(ids(f), (std::vector<std::string>{"a2", "a1"}));
  f.Clear();
  (*f.mutable_label_selector())["app"] = "web";
  EXPECT_EQ(ids(f), (std::vector<std::string>{"a2", "a1"}));
  s.MarkStopped(*s.Find("a1"));
  f.Clear();
  f.mutable_state()->set_state(cri::SANDBOX_READY);
  EXPECT_EQ(ids(f), (std::vector<std::string>{"b1", "a2"}));

  cri::PodSandbox item;
  SandboxStore::FillItem(*s.Find("b1"), &item);
  EXPECT_EQ(item.metadata().name(), "b");
  EXPECT_EQ(item.labels().at("app"), "db");
}

// ---- ContainerStore

std::unique_ptr<Container> MakeContainer(const std::string& id, const std::string& sandbox,
                                         uint64_t seq) {
  auto c = std::make_unique<Container>();
  c->id = id;
  c->sandbox_id = sandbox;
  c->seq = seq;
  c->config.mutable_metadata()->set_name("c-" + id);
  c->image_name = "docker.io/library/busybox:1.36";
  c->created_at = kT0;
  return c;
}

TEST(ContainerStore, FindListAndRemove) {
  ContainerStore s;
  s.Add(MakeContainer("x2", "sb1", 2));
  s.Add(MakeContainer("x1", "sb1", 1));
  Container& y = s.Add(MakeContainer("y1", "sb2", 3));
  (*y.config.mutable_labels())["tier"] = "db";
  y.state = cri::CONTAINER_RUNNING;
  EXPECT_TRUE(s.Contains("x1"));
  EXPECT_EQ(s.Find("nope"), nullptr);
  EXPECT_EQ(s.All().size(), 3u);

  auto ids = [&](const cri::ContainerFilter& f) {
    std::vector<std::string> out;
    for (Container* c : s.List(f)) out.push_back(c->id);
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<std::string>{"x1", "x2", "y1"}));
  cri::ContainerFilter f;
  f.set_pod_sandbox_id("sb1");
  EXPECT_EQ(ids(f), (std::vector<std::string>{"x1", "x2"}));
  f.Clear();
  f.mutable_state()->set_state(cri::CONTAINER_RUNNING);
  EXPECT_EQ(ids(f), (std::vector<std::string>{"y1"}));
  f.Clear();
  (*f.mutable_label_selector())["tier"] = "web";
  EXPECT_TRUE(ids(f).empty());

  s.Remove("x1");
  s.Remove("x1");  // no-op
  EXPECT_EQ(ids({}), (std::vector<std::string>{"x2", "y1"}));
}

TEST(ContainerStore, StatusViewCarriesTheRun) {
  auto c = MakeContainer("x1", "sb1", 1);
  c->state = cri::CONTAINER_EXITED;
  c->started = true;
  c->started_at = kT0 + absl::Seconds(1);
  c->finished = true;
  c->finished_at = kT0 + absl::Seconds(5);
  c->exit_code = 137;
  c->reason = "OOMKilled";
  c->log_path = "/var/log/pods/x/0.log";
  cri::ContainerStatus st;
  ContainerStore::FillStatus(*c, &st);
  EXPECT_EQ(st.state(), cri::CONTAINER_EXITED);
  EXPECT_EQ(st.started_at(), absl::ToUnixNanos(kT0 + absl::Seconds(1)));
  EXPECT_EQ(st.finished_at(), absl::ToUnixNanos(kT0 + absl::Seconds(5)));
  EXPECT_EQ(st.exit_code(), 137);
  EXPECT_EQ(st.reason(), "OOMKilled");
  EXPECT_EQ(st.log_path(), "/var/log/pods/x/0.log");
  EXPECT_EQ(st.pod_sandbox_id(), "sb1");
  // Never started: no start or finish times.
  auto fresh = MakeContainer("x2", "sb1", 2);
  cri::ContainerStatus st2;
  ContainerStore::FillStatus(*fresh, &st2);
  EXPECT_EQ(st2.started_at(), 0);
  EXPECT_EQ(st2.finished_at(), 0);
  EXPECT_STREQ(ContainerStateName(fresh->state), "CREATED");
}

TEST(ContainerStore, SimulatedProbesFollowTheSimOptions) {
  auto c = MakeContainer("x1", "sb1", 1);
  EXPECT_EQ(SimulatedProbeFailure(*c, cri::LIVENESS, kT0), "container is not running");
  c->state = cri::CONTAINER_RUNNING;
  c->started_at = kT0;
  EXPECT_EQ(SimulatedProbeFailure(*c, cri::LIVENESS, kT0), std::nullopt);
  c->sim.ready_after = absl::Seconds(10);
  c->sim.liveness_fail_after = absl::Seconds(30);
  c->sim.startup_after = absl::Seconds(5);
  EXPECT_NE(SimulatedProbeFailure(*c, cri::READINESS, kT0 + absl::Seconds(9)), std::nullopt);
  EXPECT_EQ(SimulatedProbeFailure(*c, cri::READINESS, kT0 + absl::Seconds(10)), std::nullopt);
  EXPECT_NE(SimulatedProbeFailure(*c, cri::STARTUP, kT0 + absl::Seconds(4)), std::nullopt);
  EXPECT_EQ(SimulatedProbeFailure(*c, cri::STARTUP, kT0 + absl::Seconds(5)), std::nullopt);
  EXPECT_EQ(SimulatedProbeFailure(*c, cri::LIVENESS, kT0 + absl::Seconds(29)), std::nullopt);
  auto failure = SimulatedProbeFailure(*c, cri::LIVENESS, kT0 + absl::Seconds(30));
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->find("MINIK8S_SIM_LIVENESS_FAIL_AFTER=30s"), std::string::npos) << *failure;
  c->sim.readiness_fail = true;
  EXPECT_NE(SimulatedProbeFailure(*c, cri::READINESS, kT0 + absl::Hours(1)), std::nullopt);
}

// ---- ImageStore

TEST(ImageStore, PullStoresAStableSyntheticImage) {
  ImageStore s({});
  const std::string name = NormalizeImageName("nginx:1.14.2");
  EXPECT_EQ(s.Find("nginx:1.14.2"), nullptr);
  auto pulled = s.CompletePull(name);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  const ImageRecord* img = *pulled;
  EXPECT_EQ(img->name, "docker.io/library/nginx:1.14.2");
  EXPECT_EQ(img->id, "sha256:" + Sha256Hex(name));
  EXPECT_TRUE(absl::StartsWith(img->repo_digest, "docker.io/library/nginx@sha256:"));
  EXPECT_GE(img->size, 5'000'000u);
  // The same image on another node (another store) is the same.
  ImageStore other({});
  EXPECT_EQ((*other.CompletePull(name))->repo_digest, img->repo_digest);
  // Found by name as written, normalized name, id, bare hex id and digest.
  EXPECT_EQ(s.Find("nginx:1.14.2"), img);
  EXPECT_EQ(s.Find(" docker.io/library/nginx:1.14.2 "), img);
  EXPECT_EQ(s.Find(img->id), img);
  EXPECT_EQ(s.Find(img->id.substr(7)), img);
  EXPECT_EQ(s.Find(img->repo_digest), img);
  EXPECT_EQ(s.Find(""), nullptr);
  EXPECT_EQ(s.Find("nginx:latest"), nullptr);

  cri::Image proto = ImageStore::ToProto(*img);
  EXPECT_EQ(proto.repo_tags(0), name);
  EXPECT_EQ(proto.repo_digests(0), img->repo_digest);

  s.Remove(img->id);
  EXPECT_EQ(s.Find("nginx:1.14.2"), nullptr);
  s.Remove("nginx:1.14.2");  // no-op
  EXPECT_TRUE(s.List().empty());
}

TEST(ImageStore, RegistryMissingImagesAndDelays) {
  ImageRegistryOptions o;
  o.pull_delay = absl::Seconds(1);
  o.pull_delay_for["nginx:1.14.2"] = absl::Seconds(3);
  o.missing_images = {"private/app:v2"};
  ImageStore s(o);
  EXPECT_EQ(s.PullDelayFor(NormalizeImageName("nginx:1.14.2")), absl::Seconds(3));
  EXPECT_EQ(s.PullDelayFor(NormalizeImageName("busybox")), absl::Seconds(1));
  EXPECT_TRUE(s.IsMissing(NormalizeImageName("private/app:v2")));
  EXPECT_TRUE(s.IsMissing(NormalizeImageName("nginx:DoesNotExist")));
  EXPECT_TRUE(s.IsMissing(NormalizeImageName("example.com/notfound")));
  EXPECT_FALSE(s.IsMissing(NormalizeImageName("private/app:v1")));
  auto missing = s.CompletePull(NormalizeImageName("private/app:v2"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("failed to pull and unpack image"), std::string::npos);
  EXPECT_TRUE(s.List().empty());
  // List is by name.
  ASSERT_TRUE(s.CompletePull(NormalizeImageName("redis")).ok());
  ASSERT_TRUE(s.CompletePull(NormalizeImageName("busybox")).ok());
  auto list = s.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]->name, "docker.io/library/busybox:latest");
  // An image pinned by digest keeps it and has no tag.
  const std::string pinned = "gcr.io/x/y@sha256:" + std::string(64, 'a');
  auto by_digest = s.CompletePull(NormalizeImageName(pinned));
  ASSERT_TRUE(by_digest.ok());
  EXPECT_EQ((*by_digest)->repo_digest, pinned);
  EXPECT_EQ(ImageStore::ToProto(**by_digest).repo_tags_size(), 0);
}

// ---- LogStore

cri::LogEntry Line(const std::string& text, const std::string& stream = "stdout") {
  cri::LogEntry e;
  e.set_timestamp(absl::ToUnixNanos(kT0));
  e.set_stream(stream);
  e.set_text(text);
  return e;
}

std::vector<std::string> Texts(const std::vector<cri::LogEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.text());
  return out;
}

TEST(LogStore, KeepsTheNewestLinesAndTails) {
  LogStore s(3);
  s.Append("c1", Line("lost"));  // no log opened: dropped
  s.Open("c1", "");
  for (const char* t : {"1", "2", "3", "4"}) s.Append("c1", Line(t));
  EXPECT_EQ(Texts(s.Tail("c1", std::nullopt)), (std::vector<std::string>{"2", "3", "4"}));
  EXPECT_EQ(Texts(s.Tail("c1", 2)), (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(Texts(s.Tail("c1", 10)), (std::vector<std::string>{"2", "3", "4"}));
  EXPECT_TRUE(s.Tail("c1", 0).empty());
  EXPECT_TRUE(s.Tail("c1", -5).empty());
  EXPECT_TRUE(s.Tail("nope", std::nullopt).empty());
  s.Remove("c1");
  EXPECT_FALSE(s.Contains("c1"));
  EXPECT_TRUE(s.Tail("c1", std::nullopt).empty());
}

TEST(LogStore, FollowersSeeNewLinesAndEndOnce) {
  LogStore s(100);
  s.Open("c1", "");
  s.Open("c2", "");
  std::vector<std::string> seen;
  int ends = 0;
  LogSink sink = [&](std::vector<cri::LogEntry> entries, bool end) {
    for (const auto& t : Texts(entries)) seen.push_back(t);
    if (end) ++ends;
  };
  EXPECT_EQ(s.Follow("nope", sink), 0u);
  FollowId a = s.Follow("c1", sink);
  FollowId b = s.Follow("c1", sink);
  FollowId other = s.Follow("c2", sink);
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(s.follower_count(), 3u);
  s.Append("c1", Line("x"));
  EXPECT_EQ(seen, (std::vector<std::string>{"x", "x"}));
  s.StopFollowing(b);
  s.StopFollowing(b);  // no-op
  s.Append("c1", Line("y"));
  EXPECT_EQ(seen, (std::vector<std::string>{"x", "x", "y"}));
  s.EndFollowers("c1");
  EXPECT_EQ(ends, 1);
  s.Append("c1", Line("z"));  // nobody follows any more
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(Texts(s.Tail("c1", std::nullopt)), (std::vector<std::string>{"x", "y", "z"}));
  // Removing a container ends its followers; shutdown ends the rest.
  FollowId c = s.Follow("c1", sink);
  s.Remove("c1");
  EXPECT_EQ(ends, 2);
  s.StopFollowing(c);  // already gone: no-op
  s.EndAll();
  EXPECT_EQ(ends, 3);
  EXPECT_EQ(s.follower_count(), 0u);
  (void)other;
}

TEST(LogStore, WritesTheCriLogFile) {
  testing::TempDir dir;
  const std::string path = dir.Join("0.log");
  LogStore s(1);  // memory keeps one line; the file keeps all
  s.Open("c1", path);
  s.Append("c1", Line("hello"));
  s.Append("c1", Line("oops", "stderr"));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), FormatCriLogLine(Line("hello")) + FormatCriLogLine(Line("oops", "stderr")));
  EXPECT_EQ(Texts(s.Tail("c1", std::nullopt)), (std::vector<std::string>{"oops"}));
}

// ---- workload lines

TEST(WorkloadLogs, NginxLinesCarryVersionAndTime) {
  const std::string image = NormalizeImageName("nginx:1.14.2-alpine");
  EXPECT_TRUE(IsNginxImage(image));
  EXPECT_TRUE(IsNginxImage(NormalizeImageName("bitnami/nginx")));
  EXPECT_FALSE(IsNginxImage(NormalizeImageName("busybox")));
  EXPECT_EQ(NginxVersion(image), "1.14.2");
  EXPECT_EQ(NginxVersion(NormalizeImageName("nginx")), "1.25.3");
  EXPECT_EQ(NginxVersion(NormalizeImageName("nginx:stable")), "1.25.3");

  auto start = NginxStartLines(image, absl::FromUnixSeconds(0));
  ASSERT_EQ(start.size(), 5u);
  EXPECT_EQ(start[0].stream, "stdout");
  EXPECT_EQ(start[3].stream, "stderr");
  EXPECT_EQ(start[3].text, "1970/01/01 00:00:00 [notice] 1#1: nginx/1.14.2");
  auto stop = NginxStopLines(absl::FromUnixSeconds(61));
  ASSERT_EQ(stop.size(), 2u);
  EXPECT_EQ(stop[0].text,
            "1970/01/01 00:01:01 [notice] 1#1: signal 15 (SIGTERM) received, exiting");
  EXPECT_EQ(stop[1].text, "1970/01/01 00:01:01 [notice] 1#1: exit");
}

}  // namespace
}  // namespace minik8s::runtime
