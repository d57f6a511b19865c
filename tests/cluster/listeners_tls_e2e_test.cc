// Every TCP port a `minik8s up` cluster listens on refuses plaintext: the
// ports are found the way `ss -ltnp` finds them (the daemons' socket
// descriptors under /proc/<pid>/fd matched against the LISTEN rows of
// /proc/net/tcp and tcp6), so a listener added later is covered without
// naming it here. Each gets a plaintext HTTP request and a plaintext gRPC
// health check; neither may be served. Over TLS the health ports answer
// /healthz to anyone and /metrics only to a client the cluster CA signed.
// The unix sockets the daemons listen on (/proc/net/unix), which serve
// plaintext (the store's, which the apiserver uses, and the runtimes'), are
// each 0600: their owner's alone.
// Skips when a binary is not built.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cluster/health.h"
#include "cluster/plan.h"
#include "cluster/state_file.h"
#include "common/tls.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/http_client.h"
#include "testing/tcp_exchange.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;

struct Listener {
  std::string process;
  std::string ip;  // as dialled: a wildcard bind is dialled on loopback
  int port = 0;
};

// The socket inodes `pid` holds ("socket:[12345]" links under fd/).
std::set<std::string> SocketInodes(pid_t pid) {
  std::set<std::string> inodes;
  const std::string dir = absl::StrCat("/proc/", pid, "/fd");
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return inodes;
  while (dirent* entry = readdir(d)) {
    char target[128];
    const std::string link = absl::StrCat(dir, "/", entry->d_name);
    const ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    absl::string_view t(target, static_cast<size_t>(n));
    if (absl::ConsumePrefix(&t, "socket:[") && absl::ConsumeSuffix(&t, "]")) {
      inodes.insert(std::string(t));
    }
  }
  closedir(d);
  return inodes;
}

// "0100007F:1F90" (little-endian IPv4 as /proc prints it) -> 127.0.0.1,
// 8080. IPv6 rows are dialled on ::1 only when bound there; a wildcard of
// either family is dialled on 127.0.0.1.
bool ParseProcAddress(absl::string_view text, bool v6, std::string* ip, int* port) {
  const size_t colon = text.find(':');
  if (colon == absl::string_view::npos) return false;
  unsigned int p = 0;
  if (!absl::SimpleHexAtoi(text.substr(colon + 1), &p)) return false;
  *port = static_cast<int>(p);
  const absl::string_view hex = text.substr(0, colon);
  if (!v6) {
    uint32_t a = 0;
    if (!absl::SimpleHexAtoi(hex, &a)) return false;
    *ip = a == 0 ? "127.0.0.1"
                 : absl::StrCat(a & 0xff, ".", (a >> 8) & 0xff, ".", (a >> 16) & 0xff, ".",
                                (a >> 24) & 0xff);
    return true;
  }
  if (hex == std::string(32, '0')) {
    *ip = "127.0.0.1";
  } else if (hex == "00000000000000000000000001000000") {
    *ip = "::1";
  } else if (absl::StartsWith(hex, "0000000000000000FFFF0000")) {  // v4-mapped
    uint32_t a = 0;
    if (!absl::SimpleHexAtoi(hex.substr(24), &a)) return false;
    *ip =
        absl::StrCat(a & 0xff, ".", (a >> 8) & 0xff, ".", (a >> 16) & 0xff, ".", (a >> 24) & 0xff);
  } else {
    return false;
  }
  return true;
}

// The paths of the unix sockets `pid` listens on.
std::vector<std::string> UnixListenersOf(pid_t pid) {
  const std::set<std::string> inodes = SocketInodes(pid);
  std::vector<std::string> out;
  std::ifstream in("/proc/net/unix");
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    // Num RefCount Protocol Flags Type St Inode Path; __SO_ACCEPTCON in Flags.
    if (f.size() < 8 || f[3] != "00010000" || !inodes.contains(std::string(f[6]))) continue;
    // gRPC binds "unix:///p" as "///p": the same file.
    if (absl::StartsWith(f[7], "/")) {
      out.push_back(std::filesystem::path(std::string(f[7])).lexically_normal().string());
    }
  }
  return out;
}

std::vector<Listener> ListenersOf(const cluster::ClusterState& state) {
  std::vector<Listener> out;
  for (const cluster::ProcessRecord& p : state.processes) {
    const std::set<std::string> inodes = SocketInodes(p.pid);
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
      const bool v6 = absl::EndsWith(table, "6");
      std::ifstream in(table);
      std::string line;
      std::getline(in, line);  // the header
      while (std::getline(in, line)) {
        std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
        if (f.size() < 10 || f[3] != "0A" || !inodes.contains(std::string(f[9]))) continue;
        Listener l{.process = p.name};
        if (ParseProcAddress(f[1], v6, &l.ip, &l.port)) out.push_back(std::move(l));
      }
    }
  }
  return out;
}

TEST(ListenersTlsE2E, NoListenerServesPlaintext) {
  if (std::string why = ClusterHarness::MissingPrerequisite(BackendKind::kMinik8sStore);
      !why.empty()) {
    GTEST_SKIP() << why;
  }
  ClusterHarness cluster({.nodes = 1, .apiserver_tls = true});
  absl::Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started << "\n" << cluster.Diagnostics();
  auto state = cluster::ReadStateFile(cluster::StateFilePath(cluster.data_dir()));
  ASSERT_TRUE(state.ok()) << state.status();

  const std::vector<Listener> listeners = ListenersOf(*state);
  // The store (client and health), the apiserver, the controller-manager,
  // the scheduler, the runtime's health, the kubelet (API and health) and
  // the proxy's health at least; the proxy's service ports may add more.
  std::set<std::string> processes;
  for (const Listener& l : listeners) processes.insert(l.process);
  for (const char* want : {"store", "apiserver", "controller-manager", "scheduler",
                           "runtime-node-1", "kubelet-node-1", "proxy-node-1"}) {
    EXPECT_TRUE(processes.contains(want)) << want << " listens on no TCP port";
  }
  ASSERT_GE(listeners.size(), 9u);

  for (const Listener& l : listeners) {
    SCOPED_TRACE(absl::StrCat(l.process, " on ", l.ip, ":", l.port));
    // A plaintext HTTP request is answered only with the HTTPS server's
    // refusal, a TLS alert, or a closed connection.
    testing::TcpExchangeResult http = testing::TcpExchange(
        l.ip, l.port, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", 4096, absl::Seconds(5));
    ASSERT_TRUE(http.connected) << http.error;
    EXPECT_FALSE(absl::StartsWith(http.answer, "HTTP/1.1 200")) << http.answer;
    EXPECT_FALSE(absl::StrContains(http.answer, "ok")) << http.answer;
    if (absl::StartsWith(http.answer, "HTTP/")) {
      EXPECT_TRUE(absl::StrContains(http.answer, "Client sent an HTTP request to an HTTPS server"))
          << http.answer;
    }
    // Plaintext gRPC (the HTTP/2 preface) gets no health answer.
    const std::string target =
        l.ip == "::1" ? absl::StrCat("[::1]:", l.port) : absl::StrCat(l.ip, ":", l.port);
    EXPECT_FALSE(cluster::CheckGrpcHealth(target, absl::Seconds(3), std::nullopt).ok());
  }

  // The unix listeners: the store's (for the apiserver) and the runtime's.
  std::map<std::string, std::vector<std::string>> sockets;
  for (const cluster::ProcessRecord& p : state->processes) sockets[p.name] = UnixListenersOf(p.pid);
  const std::string store_socket = cluster::StoreSocketPath(cluster.data_dir());
  EXPECT_EQ(sockets["store"], std::vector<std::string>{store_socket});
  EXPECT_EQ(sockets["runtime-node-1"].size(), 1u);
  for (const auto& [process, paths] : sockets) {
    for (const std::string& path : paths) {
      SCOPED_TRACE(absl::StrCat(process, " on ", path));
      struct stat st {};
      ASSERT_EQ(stat(path.c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777, 0600u);
    }
  }
  // The apiserver is the store's client there, not on the TLS port.
  for (const cluster::ProcessRecord& p : state->processes) {
    if (p.name != "apiserver") continue;
    std::ifstream in(absl::StrCat("/proc/", p.pid, "/cmdline"));
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(absl::StrContains(cmdline, "unix://" + store_socket)) << cmdline;
  }

  // Over TLS, each daemon's health port: health for anyone the handshake
  // admits, metrics only with a certificate the cluster CA signed.
  const std::string pki = cluster::PkiDir(cluster.data_dir());
  const TlsClientFiles ca_only{.ca_file = pki + "/ca.crt"};
  // The apiserver's port is the port base + 3 (cluster/plan.cc).
  int api_port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(std::vector<std::string>(absl::StrSplit(cluster.api(), ':')).back(),
                               &api_port));
  auto ports = cluster::DerivePorts(api_port - 3, 1);
  ASSERT_TRUE(ports.ok()) << ports.status();
  for (int port : {ports->store_health, ports->controller_manager, ports->scheduler,
                   ports->runtime_health[0], ports->kubelet_health[0], ports->proxy_health[0]}) {
    SCOPED_TRACE(absl::StrCat("health port ", port));
    auto healthz = testing::HttpRequest(port, {.target = "/healthz", .tls = ca_only});
    ASSERT_TRUE(healthz.ok()) << healthz.status();
    EXPECT_EQ(healthz->status, 200) << healthz->body;
    auto anonymous = testing::HttpRequest(port, {.target = "/metrics", .tls = ca_only});
    ASSERT_TRUE(anonymous.ok()) << anonymous.status();
    EXPECT_EQ(anonymous->status, 401) << anonymous->body;
    auto admin = testing::HttpRequest(port, {.target = "/metrics", .tls = cluster.admin_tls()});
    ASSERT_TRUE(admin.ok()) << admin.status();
    EXPECT_EQ(admin->status, 200);
    // Prometheus' text format (a daemon with no metrics yet sends none).
    EXPECT_TRUE(absl::StartsWith(admin->headers["content-type"], "text/plain; version=0.0.4"))
        << admin->headers["content-type"];
    EXPECT_TRUE(
        cluster::CheckGrpcHealth(absl::StrCat("127.0.0.1:", port), absl::Seconds(5), ca_only).ok());
  }

  absl::Status stopped = cluster.Stop();
  EXPECT_TRUE(stopped.ok()) << stopped;
}

}  // namespace
}  // namespace minik8s::clustertest
