#include "runtime/script.h"

#include "gtest/gtest.h"

namespace minik8s::runtime {
namespace {

// Runs a program to the end, treating sleeps as instant; returns the output
// lines ("stream: text") and the final outcome.
struct Outcome {
  std::vector<std::string> out;
  Blocked last;
  absl::Duration slept;
};

Outcome RunAll(const Program& p, FileMap* files = nullptr) {
  Outcome r;
  ScriptState state;
  ScriptIo io;
  io.output = [&](const std::string& stream, const std::string& line) {
    r.out.push_back(stream + ": " + line);
  };
  io.files = files;
  for (int i = 0; i < 1000; ++i) {
    r.last = RunUntilBlocked(p, &state, io);
    if (r.last.kind != Blocked::kSleep) break;
    r.slept += r.last.sleep;
  }
  return r;
}

Program Sh(const std::string& script, std::map<std::string, std::string> env = {}) {
  return CompileCommand({"/bin/sh", "-c", script}, env);
}

TEST(Script, EmptyArgvIsTheImageEntrypointRunningForever) {
  Program p = CompileCommand({}, {});
  EXPECT_TRUE(p.image_default);
  EXPECT_EQ(RunAll(p).last.kind, Blocked::kForever);
}

TEST(Script, SleepArgvSleepsThenExitsZero) {
  Outcome r = RunAll(CompileCommand({"sleep", "3600"}, {}));
  EXPECT_EQ(r.slept, absl::Hours(1));
  EXPECT_EQ(r.last.kind, Blocked::kExit);
  EXPECT_EQ(r.last.exit_code, 0);
  EXPECT_EQ(RunAll(CompileCommand({"sleep", "1m", "30s"}, {})).slept, absl::Seconds(90));
  EXPECT_EQ(RunAll(CompileCommand({"sleep", "infinity"}, {})).last.kind, Blocked::kForever);
  Outcome bad = RunAll(CompileCommand({"sleep", "soon"}, {}));
  EXPECT_EQ(bad.last.exit_code, 1);
  EXPECT_EQ(bad.out, std::vector<std::string>{"stderr: sleep: invalid time interval 'soon'"});
}

TEST(Script, EchoQuotesAndVariables) {
  Outcome r = RunAll(Sh("echo \"hello  $WHO\" 'and $NOT' ${WHO}s; echo -n x", {{"WHO", "world"}}));
  EXPECT_EQ(r.out, (std::vector<std::string>{"stdout: hello  world and $NOT worlds", "stdout: x"}));
  EXPECT_EQ(r.last.exit_code, 0);
}

TEST(Script, ExitCodesAndSequencing) {
  Outcome r = RunAll(Sh("echo a; false && echo b || echo c; true || echo d; exit 4; echo never"));
  EXPECT_EQ(r.out, (std::vector<std::string>{"stdout: a", "stdout: c"}));
  EXPECT_EQ(r.last.kind, Blocked::kExit);
  EXPECT_EQ(r.last.exit_code, 4);
  EXPECT_EQ(RunAll(Sh("false")).last.exit_code, 1);
  EXPECT_EQ(RunAll(Sh("false; exit")).last.exit_code, 1);
  EXPECT_EQ(RunAll(Sh("exit 300")).last.exit_code, 300 & 255);
}

TEST(Script, WhileLoopWithSleepTicks) {
  Program p = Sh("while true; do echo tick; sleep 1; done");
  ScriptState state;
  std::vector<std::string> out;
  ScriptIo io{[&](const std::string&, const std::string& l) { out.push_back(l); }, nullptr};
  for (int i = 0; i < 3; ++i) {
    Blocked b = RunUntilBlocked(p, &state, io);
    ASSERT_EQ(b.kind, Blocked::kSleep);
    EXPECT_EQ(b.sleep, absl::Seconds(1));
  }
  EXPECT_EQ(out, (std::vector<std::string>{"tick", "tick", "tick"}));
}

TEST(Script, LoopWithoutSleepRunsOnceThenIdles) {
  Outcome r = RunAll(Sh("while :; do echo spin; done"));
  EXPECT_EQ(r.out, std::vector<std::string>{"stdout: spin"});
  EXPECT_EQ(r.last.kind, Blocked::kForever);
  EXPECT_FALSE(r.last.unknown);
}

TEST(Script, ForeverForms) {
  EXPECT_EQ(RunAll(CompileCommand({"tail", "-f", "/dev/null"}, {})).last.kind, Blocked::kForever);
  EXPECT_EQ(RunAll(Sh("echo up && tail -f /dev/null")).last.kind, Blocked::kForever);
  EXPECT_EQ(RunAll(CompileCommand({"nginx", "-g", "daemon off;"}, {})).last.kind,
            Blocked::kForever);
}

TEST(Script, UnknownCommandsRunForeverAndSaySo) {
  Outcome r = RunAll(CompileCommand({"redis-server", "--port", "6379"}, {}));
  EXPECT_EQ(r.last.kind, Blocked::kForever);
  EXPECT_TRUE(r.last.unknown);
  EXPECT_NE(r.last.note.find("redis-server"), std::string::npos);
  // Unparseable shell (unterminated quote, pipes) is unknown too.
  EXPECT_TRUE(RunAll(Sh("echo 'oops")).last.unknown);
  EXPECT_TRUE(RunAll(Sh("cat x | grep y")).last.unknown);
  EXPECT_TRUE(RunAll(CompileCommand({"sh"}, {})).last.unknown);
}

TEST(Script, IfElseAndTests) {
  FileMap files;
  Outcome r = RunAll(Sh("if [ -f /tmp/x ]; then echo yes; else echo no; fi; touch /tmp/x\n"
                        "if test -e /tmp/x; then echo yes; fi; [ a = b ] || echo differ"),
                     &files);
  EXPECT_EQ(r.out, (std::vector<std::string>{"stdout: no", "stdout: yes", "stdout: differ"}));
}

TEST(Script, FilesRedirectionCatAndRm) {
  FileMap files;
  Outcome r =
      RunAll(Sh("echo hi > /tmp/f; echo there >> /tmp/f; cat /tmp/f; rm /tmp/f; cat /tmp/f; "
                "echo gone >/dev/null"),
             &files);
  EXPECT_EQ(r.out, (std::vector<std::string>{"stdout: hi", "stdout: there",
                                             "stderr: cat: /tmp/f: No such file or directory"}));
  EXPECT_EQ(r.last.exit_code, 0);
  EXPECT_TRUE(files.empty());
}

TEST(Script, PrintfFormats) {
  Outcome r = RunAll(CompileCommand({"printf", "%s=%d\\n", "a", "1", "b", "2"}, {}));
  EXPECT_EQ(r.out, (std::vector<std::string>{"stdout: a=1", "stdout: b=2"}));
}

TEST(Script, ClassicLivenessExample) {
  FileMap files;
  Program p = Sh("touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600");
  ScriptState state;
  ScriptIo io{[](const std::string&, const std::string&) {}, &files};
  Blocked b = RunUntilBlocked(p, &state, io);
  EXPECT_EQ(b.sleep, absl::Seconds(30));
  EXPECT_TRUE(files.count("/tmp/healthy"));
  b = RunUntilBlocked(p, &state, io);
  EXPECT_EQ(b.sleep, absl::Seconds(600));
  EXPECT_FALSE(files.count("/tmp/healthy"));
}

}  // namespace
}  // namespace minik8s::runtime
