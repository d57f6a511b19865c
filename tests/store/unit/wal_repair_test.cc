// Torn write-ahead logs and the data dir's permissions (Backend::Open).
//
// A torn log is made the way the issue found it: the store is closed (its
// newest WAL then holds the latest writes, not yet flushed to an SST) and
// the newest WAL file is cut inside its last record.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "store/kvstore.h"
#include "testing/temp_dir.h"

namespace minik8s::store {
namespace {

namespace fs = std::filesystem;

constexpr int kPuts = 40;  // revisions 2 .. kPuts + 1

StoreOptions Options(const std::string& dir, bool unsafe_repair = false) {
  StoreOptions o;
  o.data_dir = dir;
  o.lease_expiry_loop = false;
  o.unsafe_repair = unsafe_repair;
  return o;
}

std::string Key(int i) { return absl::StrCat("key", i); }

// Writes kPuts puts of 200-byte values and closes the store cleanly.
void WritePutsAndClose(const std::string& dir) {
  auto store = KvStore::Open(Options(dir));
  ASSERT_TRUE(store.ok()) << store.status();
  for (int i = 1; i <= kPuts; ++i) {
    etcdserverpb::PutRequest req;
    req.set_key(Key(i));
    req.set_value(std::string(200, 'v'));
    etcdserverpb::PutResponse resp;
    ASSERT_TRUE((*store)->PutSync(req, &resp).ok());
  }
}

// The newest (highest-numbered) WAL file with data.
std::string NewestWal(const std::string& dir) {
  std::string newest;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string p = e.path().string();
    if (e.path().extension() == ".log" && fs::file_size(p) > 0 && p > newest) newest = p;
  }
  return newest;
}

// Cuts the newest WAL `bytes` before the end of its data (its last
// non-zero byte; a WAL may carry a zeroed preallocated tail): inside the last
// record, as each put's record is larger than that.
std::string TearNewestWal(const std::string& dir, uintmax_t bytes = 100) {
  const std::string wal = NewestWal(dir);
  EXPECT_FALSE(wal.empty());
  if (wal.empty()) return wal;
  std::ifstream in(wal, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t end = data.find_last_not_of('\0') + 1;
  EXPECT_GT(end, bytes);
  fs::resize_file(wal, end - bytes);
  return wal;
}

bool HasKey(KvStore* store, const std::string& key) {
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  etcdserverpb::RangeResponse resp;
  EXPECT_TRUE(store->Range(req, &resp).ok());
  return resp.kvs_size() == 1;
}

// Counts the records a read-only replay of `dir` in `mode` recovers from the
// history column family; a failed open gives the status.
rocksdb::Status CountHistory(const std::string& dir, rocksdb::WALRecoveryMode mode, int* count) {
  rocksdb::DBOptions options;
  options.wal_recovery_mode = mode;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(options, dir, &names);
  if (!s.ok()) return s;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  s = rocksdb::DB::OpenForReadOnly(options, dir, cfs, &handles, &db);
  if (!s.ok()) return s;
  *count = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != "history") continue;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++*count;
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
  return rocksdb::Status::OK();
}

// What RocksDB 7.8's recovery modes do with a log cut inside its last
// record: only kAbsoluteConsistency notices; the others replay up to the
// tear and report success, which is why the store checks with the former.
TEST(WalRecoveryModes, OnlyAbsoluteConsistencyRefusesATruncatedLog) {
  testing::TempDir tmp;
  const std::string dir = tmp.Join("data");
  WritePutsAndClose(dir);
  int count = 0;
  ASSERT_TRUE(CountHistory(dir, rocksdb::WALRecoveryMode::kAbsoluteConsistency, &count).ok());
  EXPECT_EQ(count, kPuts);
  TearNewestWal(dir);

  rocksdb::Status strict =
      CountHistory(dir, rocksdb::WALRecoveryMode::kAbsoluteConsistency, &count);
  EXPECT_TRUE(strict.IsCorruption()) << strict.ToString();
  for (auto mode : {rocksdb::WALRecoveryMode::kPointInTimeRecovery,
                    rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords,
                    rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords}) {
    count = 0;
    rocksdb::Status s = CountHistory(dir, mode, &count);
    EXPECT_TRUE(s.ok()) << static_cast<int>(mode) << ": " << s.ToString();
    EXPECT_EQ(count, kPuts - 1) << "mode " << static_cast<int>(mode) << " replays up to the tear";
  }
}

TEST(WalRepair, TornLogIsRefusedWithTheFileAndTheFlagNamed) {
  testing::TempDir tmp;
  const std::string dir = tmp.Join("data");
  WritePutsAndClose(dir);
  const std::string wal = TearNewestWal(dir);
  auto store = KvStore::Open(Options(dir));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  const std::string msg(store.status().message());
  EXPECT_NE(msg.find(wal), std::string::npos) << msg;
  EXPECT_NE(msg.find("is torn"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--unsafe-repair"), std::string::npos) << msg;
  EXPECT_NE(msg.find(absl::StrCat("revision ", kPuts)), std::string::npos) << msg;
  // Refusing changed nothing: it is refused again.
  EXPECT_FALSE(KvStore::Open(Options(dir)).ok());
}

TEST(WalRepair, UnsafeRepairDropsTheTornTailOnly) {
  testing::TempDir tmp;
  const std::string dir = tmp.Join("data");
  WritePutsAndClose(dir);
  TearNewestWal(dir);
  {
    auto store = KvStore::Open(Options(dir, /*unsafe_repair=*/true));
    ASSERT_TRUE(store.ok()) << store.status();
    // The last put (revision kPuts + 1) was in the torn record.
    EXPECT_EQ((*store)->CurrentRevision(), kPuts);
    for (int i = 1; i < kPuts; ++i) EXPECT_TRUE(HasKey(store->get(), Key(i))) << i;
    EXPECT_FALSE(HasKey(store->get(), Key(kPuts)));
    etcdserverpb::PutRequest req;
    req.set_key("after");
    etcdserverpb::PutResponse resp;
    ASSERT_TRUE((*store)->PutSync(req, &resp).ok());
    EXPECT_EQ(resp.header().revision(), kPuts + 1);
  }
  // The repair is done: a plain start works and keeps everything.
  auto again = KvStore::Open(Options(dir));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->CurrentRevision(), kPuts + 1);
  EXPECT_TRUE(HasKey(again->get(), "after"));
}

// A crash (the process dies without closing RocksDB) leaves the WAL at its
// preallocated size with a zeroed tail: that is not a tear.
TEST(WalRepair, CrashedProcessIsNotTakenForATornLog) {
  testing::TempDir tmp;
  const std::string dir = tmp.Join("data");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = KvStore::Open(Options(dir));
    if (!store.ok()) _exit(2);
    for (int i = 1; i <= kPuts; ++i) {
      etcdserverpb::PutRequest req;
      req.set_key(Key(i));
      req.set_value(std::string(200, 'v'));
      etcdserverpb::PutResponse resp;
      if (!(*store)->PutSync(req, &resp).ok()) _exit(3);
    }
    _exit(0);  // no close, no flush: as kill -9
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  auto store = KvStore::Open(Options(dir));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->CurrentRevision(), kPuts + 1);
  for (int i = 1; i <= kPuts; ++i) EXPECT_TRUE(HasKey(store->get(), Key(i))) << i;
}

// A crash in the middle of a large write leaves the last record running into
// the zeroed preallocated space (damaged, but not cut short by the end of
// the file). That record was never synced, so never acknowledged:
// point-in-time recovery drops it, and the store starts.
TEST(WalRepair, RecordRunningIntoZerosIsACrashNotATear) {
  testing::TempDir tmp;
  const std::string dir = tmp.Join("data");
  WritePutsAndClose(dir);
  const std::string wal = NewestWal(dir);
  ASSERT_FALSE(wal.empty());
  std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t end = data.find_last_not_of('\0') + 1;
  f.seekp(static_cast<std::streamoff>(end - 100));
  f.write(std::string(100, '\0').data(), 100);  // the file keeps its size
  f.close();
  auto store = KvStore::Open(Options(dir));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->CurrentRevision(), kPuts);
  EXPECT_TRUE(HasKey(store->get(), Key(kPuts - 1)));
}

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(DataDirPermissions, NewDirIsPrivateAndSoIsEveryFile) {
  testing::TempDir tmp;
  const std::string dir = tmp.Join("data");
  const mode_t old_umask = ::umask(0);  // the most permissive caller
  {
    auto store = KvStore::Open(Options(dir));
    ASSERT_TRUE(store.ok()) << store.status();
    etcdserverpb::PutRequest req;
    req.set_key("k");
    req.set_value("v");
    etcdserverpb::PutResponse resp;
    ASSERT_TRUE((*store)->PutSync(req, &resp).ok());
    ASSERT_TRUE((*store)->DefragmentSync().ok());  // writes SST files too
  }
  ASSERT_TRUE(KvStore::Open(Options(dir)).ok());  // reopening: LOG.old, new WAL
  ::umask(old_umask);
  EXPECT_EQ(Mode(dir), 0700u);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    const std::string p = e.path().string();
    EXPECT_EQ(Mode(p), e.is_directory() ? 0700u : 0600u) << p;
  }
  EXPECT_GT(files, 5);
}

TEST(DataDirPermissions, ExistingLooseDirIsUsedAndLeftAsItIs) {
  testing::TempDir tmp;
  const std::string dir = tmp.Join("data");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  ::chmod(dir.c_str(), 0755);
  // Opens (with a warning in the log, as etcd's), without changing the mode.
  ASSERT_TRUE(KvStore::Open(Options(dir)).ok());
  EXPECT_EQ(Mode(dir), 0755u);
}

}  // namespace
}  // namespace minik8s::store
