// The kubelet's pod volumes: the atomic writer (atomic_writer.h), the token
// manager's renewal rule (token_manager.h) and the volume manager's files,
// cache, errors and mounts (volume_manager.h).
#include "kubelet/volume_manager.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/time.h"
#include "common/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/atomic_writer.h"
#include "kubelet/token_manager.h"
#include "testing/temp_dir.h"

namespace minik8s::kubelet {
namespace {

namespace fs = std::filesystem;
namespace core = ::minik8s::core::v1;
using minik8s::authentication::v1::TokenRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int ModeOf(const fs::path& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

// Names in `dir`, hidden ones included.
std::vector<std::string> Entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// ------------------------------------------------------------- AtomicWriter

TEST(AtomicWriter, WritesFilesAsLinksThroughData) {
  testing::TempDir tmp;
  const fs::path dir = fs::path(tmp.path()) / "vol";
  bool changed = false;
  ASSERT_TRUE(WriteVolumeAtomically(dir, {{"a", {"alpha", 0644}}, {"sub/b", {"beta", 0400}}},
                                    absl::FromUnixSeconds(1700000000), &changed)
                  .ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(Read(dir / "a"), "alpha");
  EXPECT_EQ(Read(dir / "sub" / "b"), "beta");
  EXPECT_TRUE(fs::is_symlink(dir / "a"));
  EXPECT_EQ(fs::read_symlink(dir / "a"), "..data/a");
  EXPECT_EQ(fs::read_symlink(dir / "sub"), "..data/sub");
  ASSERT_TRUE(fs::is_symlink(dir / "..data"));
  const std::string ts = fs::read_symlink(dir / "..data").string();
  EXPECT_THAT(ts, HasSubstr("..2023_11_14_22_13_20."));
  EXPECT_EQ(ModeOf(dir / "a"), 0644);
  EXPECT_EQ(ModeOf(dir / "sub" / "b"), 0400);
  EXPECT_THAT(Entries(dir), ElementsAre(ts, "..data", "a", "sub"));
}

TEST(AtomicWriter, AnUpdateSwapsContentAndRemovesStaleFiles) {
  testing::TempDir tmp;
  const fs::path dir = fs::path(tmp.path()) / "vol";
  ASSERT_TRUE(WriteVolumeAtomically(dir, {{"a", {"1", 0644}}, {"gone", {"x", 0644}}},
                                    absl::FromUnixSeconds(1700000000))
                  .ok());
  const std::string first = fs::read_symlink(dir / "..data").string();
  bool changed = false;
  ASSERT_TRUE(WriteVolumeAtomically(dir, {{"a", {"2", 0644}}, {"new", {"n", 0600}}},
                                    absl::FromUnixSeconds(1700000060), &changed)
                  .ok());
  EXPECT_TRUE(changed);
  const std::string second = fs::read_symlink(dir / "..data").string();
  EXPECT_NE(first, second);
  EXPECT_EQ(Read(dir / "a"), "2");
  EXPECT_EQ(Read(dir / "new"), "n");
  EXPECT_EQ(ModeOf(dir / "new"), 0600);
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir / "gone"))) << "stale link removed";
  EXPECT_FALSE(fs::exists(dir / first)) << "old timestamped folder removed";
  EXPECT_THAT(Entries(dir), ElementsAre(second, "..data", "a", "new"));
}

TEST(AtomicWriter, TheSamePayloadWritesNothingButAModeChangeDoes) {
  testing::TempDir tmp;
  const fs::path dir = fs::path(tmp.path()) / "vol";
  ASSERT_TRUE(WriteVolumeAtomically(dir, {{"a", {"1", 0644}}}, absl::FromUnixSeconds(1)).ok());
  const std::string first = fs::read_symlink(dir / "..data").string();
  bool changed = true;
  ASSERT_TRUE(
      WriteVolumeAtomically(dir, {{"a", {"1", 0644}}}, absl::FromUnixSeconds(2), &changed).ok());
  EXPECT_FALSE(changed);
  EXPECT_EQ(fs::read_symlink(dir / "..data").string(), first);
  ASSERT_TRUE(
      WriteVolumeAtomically(dir, {{"a", {"1", 0640}}}, absl::FromUnixSeconds(3), &changed).ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(ModeOf(dir / "a"), 0640);
}

TEST(AtomicWriter, AnEmptyPayloadLeavesAnEmptyVolume) {
  testing::TempDir tmp;
  const fs::path dir = fs::path(tmp.path()) / "vol";
  ASSERT_TRUE(WriteVolumeAtomically(dir, {{"a", {"1", 0644}}}, absl::FromUnixSeconds(1)).ok());
  ASSERT_TRUE(WriteVolumeAtomically(dir, {}, absl::FromUnixSeconds(2)).ok());
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir / "a")));
  EXPECT_TRUE(fs::is_symlink(dir / "..data"));
}

TEST(AtomicWriter, BadPathsAreRefused) {
  testing::TempDir tmp;
  const fs::path dir = fs::path(tmp.path()) / "vol";
  for (const char* bad : {"/etc/passwd", "../x", "a/../../x", "..data", ""}) {
    absl::Status s = WriteVolumeAtomically(dir, {{bad, {"x", 0644}}}, absl::FromUnixSeconds(1));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(fs::exists(fs::path(tmp.path()) / "x"));
}

// ------------------------------------------------------------- TokenManager

class FakeRequester : public client::ServiceAccountTokenRequester {
 public:
  explicit FakeRequester(common::Clock* clock) : clock_(clock) {}
  absl::StatusOr<TokenRequest> Request(const std::string& ns, const std::string& sa,
                                       const TokenRequest& request) override {
    ++calls;
    last = request;
    if (!fail.ok()) return fail;
    TokenRequest out = request;
    out.mutable_status()->set_token(absl::StrCat("token-", ns, "-", sa, "-", calls));
    *out.mutable_status()->mutable_expiration_timestamp() =
        api::ToProtoTime(clock_->Now() + absl::Seconds(request.spec().expiration_seconds()));
    return out;
  }
  int calls = 0;
  TokenRequest last;
  absl::Status fail;

 private:
  common::Clock* clock_;
};

TokenRequest BoundRequest(int64_t seconds, const std::string& uid = "uid-1") {
  TokenRequest r;
  r.mutable_spec()->set_expiration_seconds(seconds);
  r.mutable_spec()->mutable_bound_object_ref()->set_kind("Pod");
  r.mutable_spec()->mutable_bound_object_ref()->set_uid(uid);
  return r;
}

TEST(TokenManager, RenewsPastEightyPercentOfTheLifetime) {
  common::FakeClock clock;
  FakeRequester api(&clock);
  TokenManager tokens(&api, &clock, TokenManager::NoJitter);
  auto t1 = tokens.GetServiceAccountToken("ns", "default", BoundRequest(1000));
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(api.calls, 1);
  clock.Advance(absl::Seconds(800));  // exactly 80 %: still fresh
  auto t2 = tokens.GetServiceAccountToken("ns", "default", BoundRequest(1000));
  EXPECT_EQ(api.calls, 1);
  EXPECT_EQ(t2->status().token(), t1->status().token());
  clock.Advance(absl::Seconds(1));  // past 80 %
  auto t3 = tokens.GetServiceAccountToken("ns", "default", BoundRequest(1000));
  EXPECT_EQ(api.calls, 2);
  EXPECT_NE(t3->status().token(), t1->status().token());
}

TEST(TokenManager, RenewsLongLivedTokensAfterADay) {
  common::FakeClock clock;
  FakeRequester api(&clock);
  TokenManager tokens(&api, &clock, TokenManager::NoJitter);
  const int64_t year = 365 * 24 * 3600;
  ASSERT_TRUE(tokens.GetServiceAccountToken("ns", "sa", BoundRequest(year)).ok());
  clock.Advance(absl::Hours(24));
  ASSERT_TRUE(tokens.GetServiceAccountToken("ns", "sa", BoundRequest(year)).ok());
  EXPECT_EQ(api.calls, 1);
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(tokens.GetServiceAccountToken("ns", "sa", BoundRequest(year)).ok());
  EXPECT_EQ(api.calls, 2);
}

TEST(TokenManager, TheRuleItself) {
  TokenRequest t = BoundRequest(3607);
  const absl::Time exp = absl::FromUnixSeconds(1700003607);
  *t.mutable_status()->mutable_expiration_timestamp() = api::ToProtoTime(exp);
  const absl::Time issued = absl::FromUnixSeconds(1700000000);
  EXPECT_FALSE(TokenManager::RequiresRefresh(t, issued));
  // 20 % of 3607 s is 721 s (integer arithmetic, as Kubernetes').
  EXPECT_FALSE(TokenManager::RequiresRefresh(t, exp - absl::Seconds(722)));
  EXPECT_TRUE(TokenManager::RequiresRefresh(t, exp - absl::Seconds(720)));
  // A jitter moves the limit earlier by as much.
  EXPECT_FALSE(TokenManager::RequiresRefresh(t, exp - absl::Seconds(732), absl::Seconds(9)));
  EXPECT_TRUE(TokenManager::RequiresRefresh(t, exp - absl::Seconds(729), absl::Seconds(9)));
}

TEST(TokenManager, RenewalsOfTokensIssuedTogetherAreSpreadOverTenSeconds) {
  common::FakeClock clock;
  FakeRequester api(&clock);
  TokenManager tokens(&api, &clock);  // Kubernetes' random jitter
  constexpr int kPods = 200;
  auto request = [](int i) { return BoundRequest(1000, absl::StrCat("pod-", i)); };
  for (int i = 0; i < kPods; ++i) {
    ASSERT_TRUE(tokens.GetServiceAccountToken("ns", "sa", request(i)).ok());
  }
  // Checked every second from 790 s on (the rule alone renews past 800 s):
  // every token is renewed by 801 s, none before 791 s, and not all in one
  // second.
  std::set<int> renewed_at;
  std::set<int> renewed;
  clock.Advance(absl::Seconds(790));
  for (int t = 790; t <= 801; ++t, clock.Advance(absl::Seconds(1))) {
    for (int i = 0; i < kPods; ++i) {
      if (renewed.count(i) > 0) continue;
      const int before = api.calls;
      ASSERT_TRUE(tokens.GetServiceAccountToken("ns", "sa", request(i)).ok());
      if (api.calls > before) {
        renewed.insert(i);
        renewed_at.insert(t);
      }
    }
  }
  EXPECT_EQ(renewed.size(), static_cast<size_t>(kPods));
  EXPECT_GE(*renewed_at.begin(), 791);
  EXPECT_GT(renewed_at.size(), 3u) << "renewals spread over several seconds";
}

TEST(TokenManager, KeysByPodAudienceAndLifetimeAndForgetsAPod) {
  common::FakeClock clock;
  FakeRequester api(&clock);
  TokenManager tokens(&api, &clock);
  ASSERT_TRUE(tokens.GetServiceAccountToken("ns", "sa", BoundRequest(3607, "a")).ok());
  ASSERT_TRUE(tokens.GetServiceAccountToken("ns", "sa", BoundRequest(3607, "b")).ok());
  TokenRequest vault = BoundRequest(3607, "a");
  vault.mutable_spec()->add_audiences("vault");
  ASSERT_TRUE(tokens.GetServiceAccountToken("ns", "sa", vault).ok());
  ASSERT_TRUE(tokens.GetServiceAccountToken("ns", "sa", BoundRequest(3607, "a")).ok());
  EXPECT_EQ(api.calls, 3);
  EXPECT_EQ(tokens.size(), 3u);
  tokens.DeleteServiceAccountTokens("a");
  EXPECT_EQ(tokens.size(), 1u);
}

TEST(TokenManager, AFailedRenewalKeepsAnUnexpiredToken) {
  common::FakeClock clock;
  FakeRequester api(&clock);
  TokenManager tokens(&api, &clock);
  auto first = tokens.GetServiceAccountToken("ns", "sa", BoundRequest(1000));
  ASSERT_TRUE(first.ok());
  api.fail = absl::PermissionDeniedError("forbidden");
  clock.Advance(absl::Seconds(900));
  auto kept = tokens.GetServiceAccountToken("ns", "sa", BoundRequest(1000));
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->status().token(), first->status().token());
  clock.Advance(absl::Seconds(101));  // expired
  EXPECT_EQ(tokens.GetServiceAccountToken("ns", "sa", BoundRequest(1000)).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// ------------------------------------------------------------- VolumeManager

class FakeObjects : public VolumeObjectApi {
 public:
  absl::StatusOr<core::ConfigMap> GetConfigMap(const std::string& ns,
                                               const std::string& name) override {
    ++config_map_gets;
    if (!error.ok()) return error;
    auto it = config_maps.find(ns + "/" + name);
    if (it == config_maps.end()) return api::NewNotFound("configmaps", name);
    return it->second;
  }
  absl::StatusOr<core::Secret> GetSecret(const std::string& ns, const std::string& name) override {
    auto it = secrets.find(ns + "/" + name);
    if (it == secrets.end()) return api::NewNotFound("secrets", name);
    return it->second;
  }
  std::map<std::string, core::ConfigMap> config_maps;
  std::map<std::string, core::Secret> secrets;
  int config_map_gets = 0;
  absl::Status error;  // answered by GetConfigMap when set
};

class VolumeManagerTest : public ::testing::Test {
 protected:
  VolumeManagerTest()
      : api_(&clock_),
        tokens_(&api_, &clock_),
        volumes_(&objects_, &tokens_, &clock_,
                 {.root_dir = tmp_.path(), .object_ttl = absl::Seconds(10)}) {
    core::ConfigMap cm;
    (*cm.mutable_data())["a"] = "alpha";
    (*cm.mutable_data())["b"] = "beta";
    objects_.config_maps["ns/cfg"] = cm;
    core::Secret secret;
    (*secret.mutable_data())["password"] = "s3cret";
    objects_.secrets["ns/sec"] = secret;
    pod_.mutable_metadata()->set_name("web");
    pod_.mutable_metadata()->set_namespace_("ns");
    pod_.mutable_metadata()->set_uid("uid-1");
    (*pod_.mutable_metadata()->mutable_labels())["app"] = "web";
    (*pod_.mutable_metadata()->mutable_labels())["tier"] = "front";
  }

  core::Volume* AddVolume(const std::string& name) {
    core::Volume* v = pod_.mutable_spec()->add_volumes();
    v->set_name(name);
    return v;
  }
  fs::path Dir(const std::string& plugin, const std::string& name) const {
    return fs::path(tmp_.path()) / "pods" / "uid-1" / "volumes" / plugin / name;
  }

  testing::TempDir tmp_;
  common::FakeClock clock_;
  FakeRequester api_;
  TokenManager tokens_;
  FakeObjects objects_;
  VolumeManager volumes_;
  core::Pod pod_;
};

TEST_F(VolumeManagerTest, ConfigMapSecretAndDownwardApiFiles) {
  AddVolume("cfg")->mutable_config_map()->set_name("cfg");
  core::SecretVolumeSource* sec = AddVolume("sec")->mutable_secret();
  sec->set_secret_name("sec");
  sec->set_default_mode(0400);
  core::KeyToPath* item = sec->add_items();
  item->set_key("password");
  item->set_path("db/pw");
  core::DownwardAPIVolumeFile* f = AddVolume("info")->mutable_downward_api()->add_items();
  f->set_path("labels");
  f->mutable_field_ref()->set_field_path("metadata.labels");
  VolumePaths dirs;
  ASSERT_TRUE(volumes_.SetUpPod(pod_, &dirs).ok());
  EXPECT_EQ(Read(Dir("kubernetes.io~configmap", "cfg") / "a"), "alpha");
  EXPECT_EQ(Read(Dir("kubernetes.io~configmap", "cfg") / "b"), "beta");
  EXPECT_EQ(ModeOf(Dir("kubernetes.io~configmap", "cfg") / "a"), 0644);
  EXPECT_EQ(Read(Dir("kubernetes.io~secret", "sec") / "db" / "pw"), "s3cret");
  EXPECT_EQ(ModeOf(Dir("kubernetes.io~secret", "sec") / "db" / "pw"), 0400);
  EXPECT_EQ(Read(Dir("kubernetes.io~downward-api", "info") / "labels"),
            "app=\"web\"\ntier=\"front\"");
  EXPECT_EQ(dirs.size(), 3u);

  // Mounts: one per volumeMount of a written volume, read-only; subPath
  // points under the folder; a volume not set up gets none.
  core::Container c;
  auto* m = c.add_volume_mounts();
  m->set_name("cfg");
  m->set_mount_path("/etc/cfg");
  m = c.add_volume_mounts();
  m->set_name("sec");
  m->set_mount_path("/etc/pw");
  m->set_sub_path("db/pw");
  m = c.add_volume_mounts();
  m->set_name("not-set-up");
  m->set_mount_path("/tmp");
  std::vector<cri::v1::Mount> mounts = VolumeManager::MountsFor(c, dirs);
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].container_path(), "/etc/cfg");
  EXPECT_EQ(mounts[0].host_path(), Dir("kubernetes.io~configmap", "cfg").string());
  EXPECT_TRUE(mounts[0].readonly());
  EXPECT_EQ(mounts[1].host_path(), (Dir("kubernetes.io~secret", "sec") / "db/pw").string());
  EXPECT_TRUE(mounts[1].readonly());

  volumes_.CleanupPod("uid-1");
  EXPECT_FALSE(fs::exists(fs::path(tmp_.path()) / "pods" / "uid-1"));
}

TEST_F(VolumeManagerTest, EnvValuesFromConfigMapAndSecretKeysInKubernetesWords) {
  auto config_map_key = [](const std::string& name, const std::string& key, bool optional) {
    core::EnvVarSource from;
    from.mutable_config_map_key_ref()->set_name(name);
    from.mutable_config_map_key_ref()->set_key(key);
    if (optional) from.mutable_config_map_key_ref()->set_optional(true);
    return from;
  };
  auto secret_key = [](const std::string& name, const std::string& key, bool optional) {
    core::EnvVarSource from;
    from.mutable_secret_key_ref()->set_name(name);
    from.mutable_secret_key_ref()->set_key(key);
    if (optional) from.mutable_secret_key_ref()->set_optional(true);
    return from;
  };
  auto value = [&](const core::EnvVarSource& from) -> std::string {
    absl::StatusOr<std::optional<std::string>> v = volumes_.EnvValue("ns", from);
    if (!v.ok()) return "error: " + std::string(v.status().message());
    return v->has_value() ? **v : "(left out)";
  };
  EXPECT_EQ(value(config_map_key("cfg", "a", false)), "alpha");
  EXPECT_EQ(value(secret_key("sec", "password", false)), "s3cret");
  EXPECT_EQ(value(config_map_key("cfg", "zz", false)),
            "error: couldn't find key zz in ConfigMap ns/cfg");
  EXPECT_EQ(value(secret_key("sec", "zz", false)), "error: couldn't find key zz in Secret ns/sec");
  EXPECT_EQ(value(config_map_key("nope", "a", false)), "error: configmap \"nope\" not found");
  EXPECT_EQ(value(secret_key("nope", "a", false)), "error: secret \"nope\" not found");
  // optional: a missing object or key leaves the variable out.
  EXPECT_EQ(value(config_map_key("cfg", "zz", true)), "(left out)");
  EXPECT_EQ(value(config_map_key("nope", "a", true)), "(left out)");
  EXPECT_EQ(value(secret_key("nope", "a", true)), "(left out)");
  // Another error (the apiserver unreachable) is not hidden by optional.
  objects_.error = absl::UnavailableError("connection refused");
  EXPECT_EQ(value(config_map_key("other", "a", true)), "error: connection refused");
}

TEST_F(VolumeManagerTest, EnvFromGivesEveryKeyOfTheObject) {
  core::EnvFromSource from;
  from.mutable_config_map_ref()->set_name("cfg");
  auto got = volumes_.EnvFromValues("ns", from);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, (std::map<std::string, std::string>{{"a", "alpha"}, {"b", "beta"}}));
  core::EnvFromSource secret;
  secret.mutable_secret_ref()->set_name("sec");
  got = volumes_.EnvFromValues("ns", secret);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, (std::map<std::string, std::string>{{"password", "s3cret"}}));
  from.mutable_config_map_ref()->set_name("nope");
  EXPECT_EQ(volumes_.EnvFromValues("ns", from).status().message(), "configmap \"nope\" not found");
  from.mutable_config_map_ref()->set_optional(true);
  got = volumes_.EnvFromValues("ns", from);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value()) << "optional and missing";
}

TEST_F(VolumeManagerTest, AnEmptyDirIsSharedWritableAndLivesAsLongAsThePod) {
  AddVolume("scratch")->mutable_empty_dir();
  AddVolume("ram")->mutable_empty_dir()->set_medium("Memory");
  core::Container* writer = pod_.mutable_spec()->add_containers();
  writer->set_name("writer");
  core::VolumeMount* m = writer->add_volume_mounts();
  m->set_name("scratch");
  m->set_mount_path("/data");
  m = writer->add_volume_mounts();
  m->set_name("scratch");
  m->set_mount_path("/logs");
  m->set_sub_path("logs/app");
  core::Container* reader = pod_.mutable_spec()->add_containers();
  reader->set_name("reader");
  m = reader->add_volume_mounts();
  m->set_name("scratch");
  m->set_mount_path("/data");
  m->set_read_only(true);

  VolumePaths dirs;
  ASSERT_TRUE(volumes_.SetUpPod(pod_, &dirs).ok());
  const fs::path scratch = Dir("kubernetes.io~empty-dir", "scratch");
  EXPECT_TRUE(fs::is_directory(scratch));
  EXPECT_EQ(ModeOf(scratch), 0777);
  EXPECT_TRUE(fs::is_directory(Dir("kubernetes.io~empty-dir", "ram")));
  EXPECT_TRUE(fs::is_directory(scratch / "logs" / "app")) << "a subPath is made before start";
  ASSERT_EQ(dirs.size(), 2u);
  EXPECT_EQ(dirs["scratch"].path, scratch.string());
  EXPECT_TRUE(dirs["scratch"].writable);

  std::vector<cri::v1::Mount> w = VolumeManager::MountsFor(*writer, dirs);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].host_path(), scratch.string());
  EXPECT_FALSE(w[0].readonly());
  EXPECT_EQ(w[1].host_path(), (scratch / "logs/app").string());
  EXPECT_FALSE(w[1].readonly());
  std::vector<cri::v1::Mount> r = VolumeManager::MountsFor(*reader, dirs);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].readonly()) << "readOnly: true on the volumeMount";

  // What a container wrote survives the periodic set-up (and so a
  // container restart); the pod's end removes it.
  std::ofstream(scratch / "note") << "kept";
  ASSERT_TRUE(volumes_.SetUpPod(pod_, &dirs).ok());
  EXPECT_EQ(Read(scratch / "note"), "kept");
  volumes_.CleanupPod("uid-1");
  EXPECT_FALSE(fs::exists(scratch));
}

TEST_F(VolumeManagerTest, HostPathTypesAreCheckedOrMadeInKubernetesWords) {
  const fs::path host = fs::path(tmp_.path()) / "host";
  fs::create_directories(host / "dir");
  std::ofstream(host / "file") << "x";
  auto set_up = [&](const std::string& path, const std::string& type) {
    pod_.mutable_spec()->clear_volumes();
    core::HostPathVolumeSource* hp = AddVolume("h")->mutable_host_path();
    hp->set_path(path);
    hp->set_type(type);
    VolumePaths dirs;
    absl::Status s = volumes_.SetUpPod(pod_, &dirs);
    if (s.ok()) {
      EXPECT_EQ(dirs["h"].path, path);
      EXPECT_TRUE(dirs["h"].writable);
    }
    return s;
  };
  EXPECT_TRUE(set_up((host / "missing").string(), "").ok()) << "no type: nothing checked";
  EXPECT_FALSE(fs::exists(host / "missing"));
  EXPECT_TRUE(set_up((host / "dir").string(), "Directory").ok());
  EXPECT_TRUE(set_up((host / "file").string(), "File").ok());
  EXPECT_TRUE(set_up((host / "dir").string(), "DirectoryOrCreate").ok());

  EXPECT_TRUE(set_up((host / "made" / "deep").string(), "DirectoryOrCreate").ok());
  EXPECT_TRUE(fs::is_directory(host / "made" / "deep"));
  EXPECT_EQ(ModeOf(host / "made" / "deep"), 0755);
  EXPECT_TRUE(set_up((host / "new-file").string(), "FileOrCreate").ok());
  EXPECT_TRUE(fs::is_regular_file(host / "new-file"));

  const std::string file = (host / "file").string();
  EXPECT_EQ(set_up(file, "Directory").message(),
            "MountVolume.SetUp failed for volume \"h\" : hostPath type check failed: " + file +
                " is not a directory");
  EXPECT_EQ(set_up(file, "DirectoryOrCreate").message(),
            "MountVolume.SetUp failed for volume \"h\" : hostPath type check failed: " + file +
                " is not a directory");
  const std::string dir = (host / "dir").string();
  EXPECT_THAT(set_up(dir, "File").message(), HasSubstr(dir + " is not a file"));
  EXPECT_THAT(set_up(dir, "FileOrCreate").message(), HasSubstr(dir + " is not a file"));
  EXPECT_THAT(set_up((host / "missing").string(), "Directory").message(),
              HasSubstr("missing is not a directory"));
  EXPECT_THAT(set_up(file, "Socket").message(), HasSubstr(" is not a socket file"));
  EXPECT_THAT(set_up(file, "CharDevice").message(), HasSubstr(" is not a character device"));
  EXPECT_THAT(set_up(file, "BlockDevice").message(), HasSubstr(" is not a block device"));
  EXPECT_TRUE(set_up("/dev/null", "CharDevice").ok());

  // The pod's end leaves the host's files alone.
  volumes_.CleanupPod("uid-1");
  EXPECT_TRUE(fs::exists(host / "file"));
}

TEST_F(VolumeManagerTest, MissingObjectsAndKeysFailInKubernetesWordsUnlessOptional) {
  AddVolume("config")->mutable_config_map()->set_name("nope");
  absl::Status s = volumes_.SetUpPod(pod_);
  EXPECT_EQ(s.message(),
            "MountVolume.SetUp failed for volume \"config\" : configmap \"nope\" not found");
  pod_.mutable_spec()->mutable_volumes(0)->mutable_config_map()->set_optional(true);
  EXPECT_TRUE(volumes_.SetUpPod(pod_).ok());

  pod_.mutable_spec()->clear_volumes();
  AddVolume("s")->mutable_secret()->set_secret_name("missing");
  EXPECT_EQ(volumes_.SetUpPod(pod_).message(),
            "MountVolume.SetUp failed for volume \"s\" : secret \"missing\" not found");

  pod_.mutable_spec()->clear_volumes();
  core::ConfigMapVolumeSource* cm = AddVolume("k")->mutable_config_map();
  cm->set_name("cfg");
  cm->add_items()->set_key("zzz");
  cm->mutable_items(0)->set_path("z");
  EXPECT_EQ(volumes_.SetUpPod(pod_).message(),
            "MountVolume.SetUp failed for volume \"k\" : configmap references non-existent config "
            "key: zzz");
}

TEST_F(VolumeManagerTest, ConfigMapsAreReadOnceATtl) {
  AddVolume("cfg")->mutable_config_map()->set_name("cfg");
  for (int i = 0; i < 100; ++i) {
    pod_.mutable_metadata()->set_uid(absl::StrCat("uid-", i));
    ASSERT_TRUE(volumes_.SetUpPod(pod_).ok());
  }
  EXPECT_EQ(objects_.config_map_gets, 1);
  (*objects_.config_maps["ns/cfg"].mutable_data())["a"] = "changed";
  clock_.Advance(absl::Seconds(10));
  pod_.mutable_metadata()->set_uid("uid-1");
  ASSERT_TRUE(volumes_.SetUpPod(pod_).ok());
  EXPECT_EQ(objects_.config_map_gets, 2);
  EXPECT_EQ(Read(Dir("kubernetes.io~configmap", "cfg") / "a"), "changed");
  // A NotFound is kept for at most 2 s: a ConfigMap created after it shows.
  pod_.mutable_spec()->mutable_volumes(0)->mutable_config_map()->set_name("later");
  EXPECT_FALSE(volumes_.SetUpPod(pod_).ok());
  objects_.config_maps["ns/later"] = objects_.config_maps["ns/cfg"];
  EXPECT_FALSE(volumes_.SetUpPod(pod_).ok());
  clock_.Advance(absl::Seconds(2));
  EXPECT_TRUE(volumes_.SetUpPod(pod_).ok());
}

TEST_F(VolumeManagerTest, ProjectedServiceAccountVolume) {
  objects_.config_maps["ns/kube-root-ca.crt"].mutable_data()->insert({"ca.crt", "PEM"});
  pod_.mutable_spec()->set_service_account_name("robot");
  core::ProjectedVolumeSource* p = AddVolume("kube-api-access-abcde")->mutable_projected();
  core::ServiceAccountTokenProjection* t = p->add_sources()->mutable_service_account_token();
  t->set_expiration_seconds(3607);
  t->set_path("token");
  core::ConfigMapProjection* ca = p->add_sources()->mutable_config_map();
  ca->set_name("kube-root-ca.crt");
  ca->add_items()->set_key("ca.crt");
  ca->mutable_items(0)->set_path("ca.crt");
  core::DownwardAPIVolumeFile* ns = p->add_sources()->mutable_downward_api()->add_items();
  ns->set_path("namespace");
  ns->mutable_field_ref()->set_field_path("metadata.namespace");
  ASSERT_TRUE(volumes_.SetUpPod(pod_).ok());
  const fs::path dir = Dir("kubernetes.io~projected", "kube-api-access-abcde");
  EXPECT_EQ(Read(dir / "token"), "token-ns-robot-1");
  EXPECT_EQ(Read(dir / "ca.crt"), "PEM");
  EXPECT_EQ(Read(dir / "namespace"), "ns");
  // The request: bound to the pod, the projection's lifetime, no audience
  // (the apiserver's own).
  EXPECT_EQ(api_.last.spec().expiration_seconds(), 3607);
  EXPECT_TRUE(api_.last.spec().audiences().empty());
  EXPECT_EQ(api_.last.spec().bound_object_ref().kind(), "Pod");
  EXPECT_EQ(api_.last.spec().bound_object_ref().api_version(), "v1");
  EXPECT_EQ(api_.last.spec().bound_object_ref().name(), "web");
  EXPECT_EQ(api_.last.spec().bound_object_ref().uid(), "uid-1");

  // Renewed (and the file rewritten) once past 80 % of its lifetime.
  clock_.Advance(absl::Seconds(2800));
  ASSERT_TRUE(volumes_.SetUpPod(pod_).ok());
  EXPECT_EQ(Read(dir / "token"), "token-ns-robot-1");
  clock_.Advance(absl::Seconds(100));
  ASSERT_TRUE(volumes_.SetUpPod(pod_).ok());
  EXPECT_EQ(Read(dir / "token"), "token-ns-robot-2");

  // An audience is asked for; a refused request is the pod's FailedMount.
  t->set_audience("vault");
  api_.fail = absl::PermissionDeniedError("serviceaccounts \"robot\" is forbidden");
  absl::Status s = volumes_.SetUpPod(pod_);
  EXPECT_EQ(s.message(),
            "MountVolume.SetUp failed for volume \"kube-api-access-abcde\" : failed to fetch "
            "token: serviceaccounts \"robot\" is forbidden");
  EXPECT_THAT(api_.last.spec().audiences(), ElementsAre("vault"));
}

TEST_F(VolumeManagerTest, SweepingRemovesOnlyTheFoldersOfPodsThatAreGone) {
  AddVolume("cfg")->mutable_config_map()->set_name("cfg");
  ASSERT_TRUE(volumes_.SetUpPod(pod_).ok());  // uid-1, set up here
  // Left by an earlier kubelet: one pod still bound here, one gone.
  fs::create_directories(fs::path(tmp_.path()) / "pods" / "uid-still-here" / "volumes");
  fs::create_directories(fs::path(tmp_.path()) / "pods" / "uid-gone" / "volumes");
  EXPECT_EQ(volumes_.SweepOrphans({"uid-still-here"}), 1);
  EXPECT_TRUE(fs::exists(fs::path(tmp_.path()) / "pods" / "uid-1"));
  EXPECT_TRUE(fs::exists(fs::path(tmp_.path()) / "pods" / "uid-still-here"));
  EXPECT_FALSE(fs::exists(fs::path(tmp_.path()) / "pods" / "uid-gone"));
  // Once cleaned up, a pod is no longer protected.
  volumes_.CleanupPod("uid-1");
  fs::create_directories(fs::path(tmp_.path()) / "pods" / "uid-1");
  EXPECT_EQ(volumes_.SweepOrphans({}), 2);
  EXPECT_FALSE(fs::exists(fs::path(tmp_.path()) / "pods" / "uid-1"));
}

TEST_F(VolumeManagerTest, AnUnwritableRootIsAFailedMountNotACrash) {
  VolumeManager bad(&objects_, &tokens_, &clock_,
                    {.root_dir = "/proc/minik8s-no-such-root", .object_ttl = absl::Seconds(10)});
  AddVolume("cfg")->mutable_config_map()->set_name("cfg");
  absl::Status s = bad.SetUpPod(pod_);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("MountVolume.SetUp failed for volume \"cfg\" : cannot create"));
}

}  // namespace
}  // namespace minik8s::kubelet
