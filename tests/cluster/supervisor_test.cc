// Supervisor on ordinary programs (/bin/sh): start with log redirection,
// notice exits, stop stage by stage. No network.
#include "cluster/supervisor.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/file_util.h"
#include "testing/wait.h"

namespace minik8s::cluster {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/minik8s-supervisor-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string Log(const std::string& name) { return dir_ + "/" + name + ".log"; }

  std::string dir_;
};

bool WaitUntil(const std::function<bool()>& cond) {
  return minik8s::testing::WaitFor(cond, absl::Seconds(5), absl::Milliseconds(10));
}

// True once the child logging to `log` printed its "ready" line.
bool SaidReady(const std::string& log) {
  return minik8s::testing::ReadFile(log).find("ready\n") != std::string::npos;
}

TEST_F(SupervisorTest, OutputGoesToTheLogAndExitsAreReaped) {
  Supervisor s;
  ASSERT_TRUE(
      s.Start("quick", 0, {"/bin/sh", "-c", "echo hello; echo oops >&2; exit 3"}, Log("quick"))
          .ok());
  std::vector<const ChildProcess*> exited;
  ASSERT_TRUE(WaitUntil([&] {
    auto r = s.Reap();
    exited.insert(exited.end(), r.begin(), r.end());
    return !exited.empty();
  }));
  ASSERT_EQ(exited.size(), 1u);
  EXPECT_EQ(exited[0]->name, "quick");
  EXPECT_EQ(DescribeWaitStatus(*exited[0]->wait_status), "exited with status 3");
  EXPECT_EQ(LogTail(Log("quick"), 10), "hello\noops\n");
  EXPECT_TRUE(s.Reap().empty());  // reported once
}

TEST_F(SupervisorTest, MissingExecutableExits127WithTheReason) {
  Supervisor s;
  ASSERT_TRUE(s.Start("ghost", 0, {dir_ + "/no-such-daemon"}, Log("ghost")).ok());
  ASSERT_TRUE(WaitUntil([&] { return !s.Reap().empty(); }));
  EXPECT_EQ(DescribeWaitStatus(*s.Find("ghost")->wait_status), "exited with status 127");
  EXPECT_THAT(LogTail(Log("ghost"), 5), HasSubstr("cannot execute"));
}

TEST_F(SupervisorTest, StopsHighestStageFirst) {
  Supervisor s;
  // Each child appends its name to a shared file when it gets SIGTERM.
  const std::string order = dir_ + "/order";
  auto start = [&](const std::string& name, int stage) {
    ASSERT_TRUE(s.Start(name, stage,
                        {"/bin/sh", "-c",
                         "trap 'echo " + name + " >> " + order +
                             "; exit 0' TERM; "
                             "echo ready; while true; do sleep 0.05; done"},
                        Log(name))
                    .ok());
  };
  start("store", 0);
  start("apiserver", 1);
  start("kubelet-a", 2);
  // Each shell says "ready" once its trap is installed.
  for (const char* name : {"store", "apiserver", "kubelet-a"}) {
    ASSERT_TRUE(WaitUntil([&] { return SaidReady(Log(name)); })) << name;
  }
  std::vector<std::string> stopped;
  s.StopAll(absl::Seconds(5), [&](const ChildProcess& c) { stopped.push_back(c.name); });
  EXPECT_THAT(stopped, ElementsAre("kubelet-a", "apiserver", "store"));
  std::ifstream in(order);
  std::string a, b, c;
  in >> a >> b >> c;
  EXPECT_EQ(a + " " + b + " " + c, "kubelet-a apiserver store");
  for (const ChildProcess& child : s.children()) {
    EXPECT_FALSE(child.running());
    EXPECT_FALSE(ProcessRunning(child.pid, ""));
  }
}

// From `together_from` up, stages stop as one group: a stage-2 child gets
// SIGTERM at once although a stage-3 child ignores it until the SIGKILL;
// lower stages still wait for the group.
TEST_F(SupervisorTest, StagesFromTogetherFromStopAsOneGroup) {
  Supervisor s;
  ASSERT_TRUE(
      s.Start("apiserver", 1,
              {"/bin/sh", "-c", "trap 'exit 0' TERM; echo ready; while true; do sleep 0.05; done"},
              Log("apiserver"))
          .ok());
  ASSERT_TRUE(
      s.Start("scheduler", 2,
              {"/bin/sh", "-c", "trap 'exit 0' TERM; echo ready; while true; do sleep 0.05; done"},
              Log("scheduler"))
          .ok());
  ASSERT_TRUE(
      s.Start("stubborn-kubelet", 3,
              {"/bin/sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.05; done"},
              Log("stubborn-kubelet"))
          .ok());
  for (const char* name : {"apiserver", "scheduler", "stubborn-kubelet"}) {
    ASSERT_TRUE(WaitUntil([&] { return SaidReady(Log(name)); })) << name;
  }
  std::vector<std::string> stopped;
  s.StopAll(
      absl::Milliseconds(500), [&](const ChildProcess& c) { stopped.push_back(c.name); },
      /*together_from=*/2);
  // Stage by stage, the scheduler would wait for the kubelet's SIGKILL.
  EXPECT_THAT(stopped, ElementsAre("scheduler", "stubborn-kubelet", "apiserver"));
  EXPECT_EQ(DescribeWaitStatus(*s.Find("scheduler")->wait_status), "exited normally");
  EXPECT_TRUE(WIFSIGNALED(*s.Find("stubborn-kubelet")->wait_status));
}

TEST_F(SupervisorTest, KillsWhatIgnoresSigterm) {
  Supervisor s;
  ASSERT_TRUE(
      s.Start("stubborn", 0,
              {"/bin/sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.05; done"},
              Log("stubborn"))
          .ok());
  ASSERT_TRUE(WaitUntil([&] { return SaidReady(Log("stubborn")); }));
  const absl::Time start = absl::Now();
  s.StopAll(absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  const ChildProcess* c = s.Find("stubborn");
  ASSERT_TRUE(c->wait_status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*c->wait_status));
  EXPECT_EQ(WTERMSIG(*c->wait_status), SIGKILL);
}

TEST_F(SupervisorTest, ProcessRunningChecksTheBinary) {
  Supervisor s;
  ASSERT_TRUE(s.Start("sleeper", 0, {"/bin/sleep", "30"}, Log("sleeper")).ok());
  const pid_t pid = s.Find("sleeper")->pid;
  // Until the child has called exec, its command line is still ours.
  EXPECT_TRUE(WaitUntil([&] { return ProcessRunning(pid, "/bin/sleep"); }));
  EXPECT_FALSE(ProcessRunning(pid, "/usr/bin/minik8s-store"));
  s.StopAll(absl::Seconds(5));
  EXPECT_FALSE(ProcessRunning(pid, "/bin/sleep"));
}

TEST(LogTail, LastLines) {
  char path[] = "/tmp/minik8s-logtail-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream out(path);
    for (int i = 1; i <= 30; ++i) out << "line " << i << "\n";
  }
  EXPECT_EQ(LogTail(path, 2), "line 29\nline 30\n");
  EXPECT_EQ(LogTail("/nonexistent/file", 2), "");
  unlink(path);
}

}  // namespace
}  // namespace minik8s::cluster
