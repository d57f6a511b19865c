#include "kubelet/atomic_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace minik8s::kubelet {

namespace fs = std::filesystem;

namespace {

constexpr char kDataDir[] = "..data";
constexpr char kDataDirTmp[] = "..data_tmp";

absl::Status FsError(const std::string& what, const fs::path& path, const std::error_code& ec) {
  return absl::InternalError(absl::StrCat(what, " ", path.string(), ": ", ec.message()));
}

// The process's umask, read once from /proc (umask(2) cannot be read
// without setting it, which would race with other threads creating files).
mode_t ProcessUmask() {
  static const mode_t mask = [] {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("Umask:", 0) == 0)
        return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
    }
    return static_cast<mode_t>(07777);  // unknown: always chmod
  }();
  return mask;
}

// Creates `path` with `data` and exactly `mode` (a chmod only when the
// umask would have taken bits away: each metadata write counts when 10,000
// pods get a volume).
bool WriteFileWithMode(const fs::path& path, const std::string& data, int mode) {
  const mode_t want = static_cast<mode_t>(mode & 07777);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, want);
  if (fd < 0) return false;
  size_t done = 0;
  bool ok = true;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (ok && (want & ProcessUmask()) != 0) ok = fchmod(fd, want) == 0;
  return close(fd) == 0 && ok;
}

// The first element of a payload path ("sub/b" -> "sub").
std::string TopLevel(const std::string& path) { return path.substr(0, path.find('/')); }

// Whether the folder `ts` (inside `dir`) holds exactly `payload`.
bool SameContent(const fs::path& ts, const VolumePayload& payload) {
  std::error_code ec;
  size_t files = 0;
  for (auto it = fs::recursive_directory_iterator(ts, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    ++files;
    const std::string rel = fs::relative(it->path(), ts, ec).string();
    auto p = payload.find(rel);
    if (p == payload.end()) return false;
    struct stat st;
    if (stat(it->path().c_str(), &st) != 0 ||
        static_cast<int>(st.st_mode & 07777) != p->second.mode) {
      return false;
    }
    if (static_cast<size_t>(st.st_size) != p->second.data.size()) return false;
    std::ifstream in(it->path(), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (content != p->second.data) return false;
  }
  return !ec && files == payload.size();
}

}  // namespace

absl::Status ValidateVolumePath(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("invalid path: must not be empty");
  if (path.size() > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid path: must be less than or equal to 4096 characters"));
  }
  if (path[0] == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid path ", path, ": must be relative path"));
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid path ", path, ": must not contain '..'"));
    }
  }
  if (absl::StartsWith(path, "..")) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid path ", path, ": must not start with '..'"));
  }
  return absl::OkStatus();
}

absl::Status WriteVolumeAtomically(const std::string& dir_name, const VolumePayload& payload,
                                   absl::Time now, bool* changed) {
  if (changed != nullptr) *changed = false;
  for (const auto& [path, file] : payload) {
    if (absl::Status s = ValidateVolumePath(path); !s.ok()) return s;
  }
  const fs::path dir(dir_name);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FsError("cannot create", dir, ec);

  // What ..data points at now, if anything.
  fs::path old_ts;
  const fs::path data = dir / kDataDir;
  if (fs::is_symlink(fs::symlink_status(data, ec))) {
    old_ts = fs::read_symlink(data, ec);
    if (ec) old_ts.clear();
  }
  if (!old_ts.empty() && SameContent(dir / old_ts, payload)) {
    // Still make sure every user-visible link is there (a crash between the
    // rename and the links would leave one missing).
    for (const auto& [path, file] : payload) {
      const std::string top = TopLevel(path);
      if (!fs::is_symlink(fs::symlink_status(dir / top, ec))) {
        fs::create_symlink(fs::path(kDataDir) / top, dir / top, ec);
        if (ec) return FsError("cannot link", dir / top, ec);
      }
    }
    return absl::OkStatus();
  }

  // 1. The new timestamped folder with the files.
  static thread_local absl::BitGen gen;
  const std::string ts_name =
      absl::StrCat(absl::FormatTime("..%Y_%m_%d_%H_%M_%S.", now, absl::UTCTimeZone()),
                   absl::Uniform<uint32_t>(gen, 0, 1000000000u));
  const fs::path ts = dir / ts_name;
  if (mkdir(ts.c_str(), 0755) != 0) {
    return FsError("cannot create", ts, std::error_code(errno, std::generic_category()));
  }
  if ((0755 & ProcessUmask()) != 0) fs::permissions(ts, fs::perms(0755), ec);
  auto remove_new = [&] {
    std::error_code ignored;
    fs::remove_all(ts, ignored);
  };
  for (const auto& [path, file] : payload) {
    const fs::path target = ts / path;
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      remove_new();
      return FsError("cannot create", target.parent_path(), ec);
    }
    if (!WriteFileWithMode(target, file.data, file.mode)) {
      const std::error_code why(errno, std::generic_category());
      remove_new();
      return FsError("cannot write", target, why);
    }
  }

  // 2. ..data_tmp -> the new folder, renamed over ..data.
  const fs::path tmp = dir / kDataDirTmp;
  fs::remove(tmp, ec);
  fs::create_directory_symlink(ts_name, tmp, ec);
  if (ec) {
    remove_new();
    return FsError("cannot link", tmp, ec);
  }
  fs::rename(tmp, data, ec);
  if (ec) {
    remove_new();
    return FsError("cannot rename to", data, ec);
  }
  if (changed != nullptr) *changed = true;

  // 3. User-visible links for the top-level names.
  std::set<std::string> tops;
  for (const auto& [path, file] : payload) tops.insert(TopLevel(path));
  for (const std::string& top : tops) {
    const fs::path link = dir / top;
    if (fs::is_symlink(fs::symlink_status(link, ec))) continue;
    fs::create_symlink(fs::path(kDataDir) / top, link, ec);
    if (ec) return FsError("cannot link", link, ec);
  }

  // 4. Links no longer in the payload, and the old folder (a first write
  // has neither).
  if (old_ts.empty()) return absl::OkStatus();
  std::vector<fs::path> stale;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (absl::StartsWith(name, "..")) continue;
    if (tops.count(name) == 0 && e.is_symlink(ec)) stale.push_back(e.path());
  }
  for (const fs::path& p : stale) fs::remove(p, ec);
  if (old_ts.filename().string() != ts_name) {
    fs::remove_all(dir / old_ts, ec);
  }
  return absl::OkStatus();
}

}  // namespace minik8s::kubelet
