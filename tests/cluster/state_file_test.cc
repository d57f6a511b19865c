#include "cluster/state_file.h"

#include <unistd.h>

#include <cstdio>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minik8s::cluster {
namespace {

using ::testing::HasSubstr;

ClusterState Sample() {
  ClusterState s;
  s.supervisor_pid = 4242;
  s.apiserver = "127.0.0.1:6443";
  s.processes.push_back(
      {"store", 0, 4243, "127.0.0.1:6440", "/bin dir/minik8s-store", "/data dir/logs/store.log"});
  s.processes.push_back({"scheduler", 2, 4244, "", "/b/minik8s-scheduler", "/d/logs/s.log"});
  s.processes.push_back({"runtime-node-1", 3, 4245, "unix:///d/run/node-1.sock",
                         "/b/minik8s-runtime", "/d/logs/runtime-node-1.log"});
  return s;
}

TEST(StateFile, RoundTrip) {
  const ClusterState s = Sample();
  auto parsed = ParseState(FormatState(s));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, s);
}

TEST(StateFile, Format) {
  const std::string text = FormatState(Sample());
  EXPECT_THAT(text, HasSubstr("version\t1\n"));
  EXPECT_THAT(text, HasSubstr("supervisor\t4242\n"));
  EXPECT_THAT(text, HasSubstr("process\tscheduler\t2\t4244\t-\t/b/minik8s-scheduler\t"));
}

TEST(StateFile, RejectsMalformed) {
  EXPECT_FALSE(ParseState("").ok());  // no version
  EXPECT_FALSE(ParseState("version\t2\n").ok());
  auto s = ParseState("version\t1\nprocess\tstore\t0\tabc\t-\t/b\t/l\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("line 2"));
  EXPECT_FALSE(ParseState("version\t1\nprocess\tstore\t0\n").ok());
  EXPECT_FALSE(ParseState("version\t1\nbogus\t1\n").ok());
}

TEST(StateFile, WriteAndRead) {
  char tmpl[] = "/tmp/minik8s-state-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/minik8s.state";
  EXPECT_TRUE(absl::IsNotFound(ReadStateFile(path).status()));
  ASSERT_TRUE(WriteStateFile(path, Sample()).ok());
  auto read = ReadStateFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, Sample());
  ClusterState bad = Sample();
  bad.processes[0].log_file = "a\tb";
  EXPECT_FALSE(WriteStateFile(path, bad).ok());
  std::remove(path.c_str());
  rmdir(tmpl);
}

}  // namespace
}  // namespace minik8s::cluster
