// The shell's file commands under CRI mounts: reads of the host file (through
// a kubelet volume's `..data` symlinks), and writes refused on a read-only
// mount the way busybox's sh refuses them.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/script.h"
#include "testing/temp_dir.h"

namespace minik8s::runtime {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  std::vector<std::string> out;
  Blocked last;
};

Outcome RunSh(const std::string& script, const std::vector<MountPoint>& mounts, FileMap* files) {
  Program p = CompileCommand({"sh", "-c", script}, {});
  Outcome r;
  ScriptState state;
  ScriptIo io;
  io.output = [&](const std::string& stream, const std::string& line) {
    r.out.push_back(stream + ": " + line);
  };
  io.files = files;
  io.mounts = &mounts;
  for (int i = 0; i < 100; ++i) {
    r.last = RunUntilBlocked(p, &state, io);
    if (r.last.kind != Blocked::kSleep) break;
  }
  return r;
}

void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A volume folder laid out as the kubelet writes it: the files in a
// timestamped folder, `..data` pointing at it, each name linked through it.
class ScriptMounts : public ::testing::Test {
 protected:
  void SetUp() override {
    vol_ = fs::path(dir_.path()) / "vol";
    fs::create_directories(vol_ / "..2026_12_06_09_00_00.1");
    WriteFile(vol_ / "..2026_12_06_09_00_00.1" / "a", "alpha\n");
    WriteFile(vol_ / "..2026_12_06_09_00_00.1" / "token", "eyJhbGc");
    fs::create_directory_symlink("..2026_12_06_09_00_00.1", vol_ / "..data");
    fs::create_symlink("..data/a", vol_ / "a");
    fs::create_symlink("..data/token", vol_ / "token");
    rw_ = fs::path(dir_.path()) / "rw";
    fs::create_directories(rw_);
    mounts_ = {{"/etc/cfg", vol_.string(), true}, {"/data", rw_.string(), false}};
  }

  testing::TempDir dir_;
  fs::path vol_, rw_;
  std::vector<MountPoint> mounts_;
  FileMap files_;
};

TEST_F(ScriptMounts, CatReadsTheHostFileThroughTheDataLinks) {
  Outcome r = RunSh("cat /etc/cfg/a; cat /etc/cfg/token", mounts_, &files_);
  EXPECT_EQ(r.out, (std::vector<std::string>{"stdout: alpha", "stdout: eyJhbGc"}));
  EXPECT_EQ(r.last.exit_code, 0);
  // A later update (the kubelet swaps ..data) is what the next read sees.
  fs::create_directories(vol_ / "..2026_12_06_09_01_00.2");
  WriteFile(vol_ / "..2026_12_06_09_01_00.2" / "a", "beta\n");
  fs::create_directory_symlink("..2026_12_06_09_01_00.2", vol_ / "..data_tmp");
  fs::rename(vol_ / "..data_tmp", vol_ / "..data");
  EXPECT_EQ(RunSh("cat /etc/cfg/a", mounts_, &files_).out,
            std::vector<std::string>{"stdout: beta"});
}

TEST_F(ScriptMounts, MissingFilesAndFoldersAreReportedAsCatDoes) {
  Outcome r = RunSh("cat /etc/cfg/nope", mounts_, &files_);
  EXPECT_EQ(r.out,
            std::vector<std::string>{"stderr: cat: /etc/cfg/nope: No such file or directory"});
  EXPECT_EQ(r.last.exit_code, 1);
  r = RunSh("cat /etc/cfg", mounts_, &files_);
  EXPECT_EQ(r.out, std::vector<std::string>{"stderr: cat: /etc/cfg: Is a directory"});
  EXPECT_EQ(r.last.exit_code, 1);
  // A path that only shares a prefix with the mount is not under it.
  files_["/etc/cfgx"] = "sim\n";
  EXPECT_EQ(RunSh("cat /etc/cfgx", mounts_, &files_).out, std::vector<std::string>{"stdout: sim"});
}

TEST_F(ScriptMounts, TestAndLsLookAtTheHostFileSystem) {
  Outcome r = RunSh(
      "test -e /etc/cfg/a && echo e; [ -f /etc/cfg/token ] && echo f; [ -d /etc/cfg ] && echo d; "
      "test -f /etc/cfg && echo notfile; [ -e /etc/cfg/b ] || echo nob; [ ! -e /etc/cfg/b ] && "
      "echo negated",
      mounts_, &files_);
  EXPECT_EQ(r.out, (std::vector<std::string>{"stdout: e", "stdout: f", "stdout: d", "stdout: nob",
                                             "stdout: negated"}));
  r = RunSh("ls /etc/cfg", mounts_, &files_);
  EXPECT_EQ(r.out, (std::vector<std::string>{"stdout: a", "stdout: token"}));  // no dot entries
  EXPECT_EQ(r.last.exit_code, 0);
  r = RunSh("ls /etc/cfg/zz", mounts_, &files_);
  EXPECT_EQ(r.out, std::vector<std::string>{"stderr: ls: /etc/cfg/zz: No such file or directory"});
  EXPECT_EQ(r.last.exit_code, 1);
}

TEST_F(ScriptMounts, WritesToAReadOnlyMountFailAsBusyboxShDoes) {
  Outcome r = RunSh("echo x > /etc/cfg/a", mounts_, &files_);
  EXPECT_EQ(r.out,
            std::vector<std::string>{"stderr: sh: can't create /etc/cfg/a: Read-only file system"});
  EXPECT_EQ(r.last.exit_code, 1);
  EXPECT_EQ(ReadFile(vol_ / "a"), "alpha\n");  // unchanged
  r = RunSh("echo x >> /etc/cfg/new || echo refused", mounts_, &files_);
  EXPECT_EQ(r.out.back(), "stdout: refused");
  EXPECT_FALSE(fs::exists(vol_ / "new"));
  r = RunSh("touch /etc/cfg/t", mounts_, &files_);
  EXPECT_EQ(r.out, std::vector<std::string>{"stderr: touch: /etc/cfg/t: Read-only file system"});
  EXPECT_EQ(r.last.exit_code, 1);
  r = RunSh("rm /etc/cfg/a", mounts_, &files_);
  EXPECT_EQ(r.out, std::vector<std::string>{
                       "stderr: rm: can't remove '/etc/cfg/a': Read-only file system"});
  EXPECT_EQ(r.last.exit_code, 1);
  EXPECT_TRUE(fs::exists(vol_ / "a"));
  EXPECT_TRUE(files_.empty());  // nothing went to the simulated files either
}

TEST_F(ScriptMounts, WritesToAWritableMountChangeTheHostFile) {
  Outcome r = RunSh(
      "echo one > /data/f; echo two >> /data/f; cat /data/f; rm /data/f; "
      "test -e /data/f || echo gone",
      mounts_, &files_);
  EXPECT_EQ(r.out, (std::vector<std::string>{"stdout: one", "stdout: two", "stdout: gone"}));
  EXPECT_EQ(r.last.exit_code, 0);
}

TEST_F(ScriptMounts, TheLongestMountWins) {
  fs::create_directories(fs::path(dir_.path()) / "inner");
  WriteFile(fs::path(dir_.path()) / "inner" / "a", "inner\n");
  mounts_.push_back({"/etc/cfg/sub", (fs::path(dir_.path()) / "inner").string(), true});
  EXPECT_EQ(RunSh("cat /etc/cfg/sub/a", mounts_, &files_).out,
            std::vector<std::string>{"stdout: inner"});
  // A file mount (subPath): the container path is the file itself.
  mounts_.push_back({"/etc/one", (vol_ / "a").string(), true});
  EXPECT_EQ(RunSh("cat /etc/one", mounts_, &files_).out, std::vector<std::string>{"stdout: alpha"});
}

}  // namespace
}  // namespace minik8s::runtime
