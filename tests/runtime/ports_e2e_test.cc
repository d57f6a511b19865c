// The containers' ports over real loopback sockets: a Runtime (in process,
// real clock) whose pods have 127.x addresses answers TCP on each running
// container's declared ports (runtime/port_listeners.h) — HTTP for an nginx
// image, an echo for others — and stops when the container stops, exits or
// is removed; then the minik8s-runtime binary driven over gRPC does the
// same. Each test picks a random 127.2xx.y.z address and free ports on it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "runtime/container_ports.h"
#include "runtime/grpc_runtime_client.h"
#include "runtime/in_process_runtime_client.h"
#include "runtime/runtime.h"
#include "runtime/runtime_client.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace minik8s::runtime {
namespace {

using ::minik8s::testing::WaitFor;

// A random address in 127.200.0.0 - 127.254.255.254 (no other test uses it).
std::string RandomLoopbackIp() {
  std::random_device rd;
  std::mt19937 gen(rd());
  return absl::StrCat("127.", std::uniform_int_distribution<int>(200, 254)(gen), ".",
                      std::uniform_int_distribution<int>(0, 255)(gen), ".",
                      std::uniform_int_distribution<int>(2, 254)(gen));
}

sockaddr_in Address(const std::string& ip, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  return addr;
}

// A port free on `ip` now (bound to port 0, read back, closed).
int FreePort(const std::string& ip) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Address(ip, 0);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A blocking client connection; reads wait at most 5 s.
class Conn {
 public:
  Conn(const std::string& ip, int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = Address(ip, port);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      error_ = errno;
      close(fd_);
      fd_ = -1;
    }
  }
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  int error() const { return error_; }

  void Send(const std::string& data) {
    ASSERT_EQ(send(fd_, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
  }
  // Reads until `done(text so far)`, the peer closes, or 5 s pass; returns
  // everything read.
  std::string ReadUntil(const std::function<bool(const std::string&)>& done) {
    Fill(done);
    std::string out = std::move(in_);
    in_.clear();
    return out;
  }
  // One HTTP response (head and Content-Length body); what follows it stays
  // for the next call.
  std::string ReadResponse() {
    auto length = [](const std::string& s) -> size_t {
      size_t end = s.find("\r\n\r\n");
      if (end == std::string::npos) return 0;
      size_t cl = s.find("Content-Length: ");
      size_t body = cl == std::string::npos || cl > end ? 0 : std::stoul(s.substr(cl + 16));
      return s.size() >= end + 4 + body ? end + 4 + body : 0;
    };
    Fill([&](const std::string& s) { return length(s) > 0; });
    size_t n = length(in_);
    if (n == 0) n = in_.size();
    std::string out = in_.substr(0, n);
    in_.erase(0, n);
    return out;
  }
  // Whether the peer closed the connection (within 5 s).
  bool PeerClosed() {
    ReadUntil([](const std::string&) { return false; });
    return closed_;
  }

 private:
  void Fill(const std::function<bool(const std::string&)>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (!done(in_) && !closed_ && absl::Now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      in_.append(buf, n);
    }
  }

  int fd_ = -1;
  int error_ = 0;
  bool closed_ = false;
  std::string in_;
};

bool Refused(const std::string& ip, int port) {
  Conn c(ip, port);
  return !c.ok() && c.error() == ECONNREFUSED;
}

std::string PortsAnnotation(const std::vector<int>& ports) {
  std::vector<std::string> items;
  for (int p : ports) items.push_back(absl::StrCat(R"({"containerPort":)", p, "}"));
  return absl::StrCat("[", absl::StrJoin(items, ","), "]");
}

// The CRI calls a kubelet makes, against any RuntimeClient.
class Pods {
 public:
  explicit Pods(RuntimeClient* rt) : rt_(rt) {}

  std::string Sandbox(const std::string& name, const std::string& ip) {
    cri::RunPodSandboxRequest req;
    auto* md = req.mutable_config()->mutable_metadata();
    md->set_name(name);
    md->set_namespace_("default");
    md->set_uid("uid-" + name);
    (*req.mutable_config()->mutable_annotations())[kPodIpAnnotation] = ip;
    auto r = rt_->RunPodSandbox(req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->pod_sandbox_id() : "";
  }

  std::string Start(const std::string& sandbox, const std::string& name, const std::string& image,
                    const std::vector<int>& ports, std::vector<std::string> command = {}) {
    cri::PullImageRequest pull;
    pull.mutable_image()->set_image(image);
    EXPECT_TRUE(rt_->PullImage(pull).ok());
    cri::CreateContainerRequest req;
    req.set_pod_sandbox_id(sandbox);
    req.mutable_config()->mutable_metadata()->set_name(name);
    // A restart is the next attempt, as the kubelet numbers them.
    req.mutable_config()->mutable_metadata()->set_attempt(attempts_[sandbox + "/" + name]++);
    req.mutable_config()->mutable_image()->set_image(image);
    for (const auto& c : command) req.mutable_config()->add_command(c);
    (*req.mutable_config()->mutable_annotations())[kContainerPortsAnnotation] =
        PortsAnnotation(ports);
    auto created = rt_->CreateContainer(req);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return "";
    cri::StartContainerRequest start;
    start.set_container_id(created->container_id());
    auto started = rt_->StartContainer(start);
    EXPECT_TRUE(started.ok()) << started.status();
    return created->container_id();
  }

  void Stop(const std::string& id, int64_t timeout = 10) {
    cri::StopContainerRequest req;
    req.set_container_id(id);
    req.set_timeout(timeout);
    EXPECT_TRUE(rt_->StopContainer(req).ok());
  }

  void Remove(const std::string& id) {
    cri::RemoveContainerRequest req;
    req.set_container_id(id);
    EXPECT_TRUE(rt_->RemoveContainer(req).ok());
  }

  std::vector<std::string> Logs(const std::string& id) {
    cri::ReadLogsRequest req;
    req.set_container_id(id);
    std::vector<std::string> out;
    EXPECT_TRUE(rt_->ReadLogs(req,
                              [&](const cri::LogEntry& e) {
                                out.push_back(e.text());
                                return true;
                              })
                    .ok());
    return out;
  }

  cri::ContainerState State(const std::string& id) {
    cri::ContainerStatusRequest req;
    req.set_container_id(id);
    auto r = rt_->ContainerStatus(req);
    return r.ok() ? r->status().state() : cri::CONTAINER_UNKNOWN;
  }

 private:
  RuntimeClient* rt_;
  std::map<std::string, uint32_t> attempts_;
};

const char kGet[] = "GET / HTTP/1.1\r\nHost: pod\r\nUser-Agent: ports-test\r\n\r\n";
const char kGetClose[] = "GET / HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n";

class PortsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rt = Runtime::Create(RuntimeOptions());
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = *std::move(rt);
    client_ = NewInProcessRuntimeClient(rt_.get());
    pods_ = std::make_unique<Pods>(client_.get());
    ip_ = RandomLoopbackIp();
  }

  std::unique_ptr<Runtime> rt_;
  std::unique_ptr<RuntimeClient> client_;
  std::unique_ptr<Pods> pods_;
  std::string ip_;
};

TEST_F(PortsE2eTest, NginxAnswersHttpOnEachPortUntilItStops) {
  const int p1 = FreePort(ip_), p2 = FreePort(ip_);
  const std::string sb = pods_->Sandbox("web", ip_);
  const std::string id = pods_->Start(sb, "nginx", "nginx:1.14.2", {p1, p2});

  for (int port : {p1, p2}) {
    Conn c(ip_, port);
    ASSERT_TRUE(c.ok()) << ip_ << ":" << port << ": " << strerror(c.error());
    c.Send(kGetClose);
    const std::string response = c.ReadResponse();
    EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200 OK\r\nServer: nginx/1.14.2\r\n"))
        << response;
    EXPECT_TRUE(absl::StrContains(response, "Connection: close\r\n"));
    EXPECT_TRUE(absl::StrContains(response, "default/web")) << response;
    EXPECT_TRUE(absl::StrContains(response, "container <b>nginx</b>")) << response;
    EXPECT_TRUE(c.PeerClosed());
  }

  // Keep-alive: two requests on one connection, then an idle one that the
  // stop closes.
  Conn keep(ip_, p1);
  ASSERT_TRUE(keep.ok());
  for (int i = 0; i < 2; ++i) {
    keep.Send(kGet);
    const std::string response = keep.ReadResponse();
    EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200 OK")) << i << ": " << response;
    EXPECT_TRUE(absl::StrContains(response, "Connection: keep-alive\r\n")) << response;
  }
  // Pipelined: both answered in order.
  keep.Send(std::string(kGet) + kGet);
  EXPECT_TRUE(absl::StartsWith(keep.ReadResponse(), "HTTP/1.1 200 OK"));
  EXPECT_TRUE(absl::StartsWith(keep.ReadResponse(), "HTTP/1.1 200 OK"));
  // A request with a body: the body is skipped, the next request answered.
  keep.Send("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" + std::string(kGet));
  EXPECT_TRUE(absl::StartsWith(keep.ReadResponse(), "HTTP/1.1 405 Not Allowed"));
  EXPECT_TRUE(absl::StartsWith(keep.ReadResponse(), "HTTP/1.1 200 OK"));

  // nginx's access log: one line a request, in the container's log.
  std::vector<std::string> access;
  for (const std::string& line : pods_->Logs(id)) {
    if (absl::StrContains(line, "\"GET / HTTP/1.1\" 200")) access.push_back(line);
  }
  ASSERT_EQ(access.size(), 7u) << absl::StrJoin(pods_->Logs(id), "\n");
  EXPECT_TRUE(absl::StartsWith(access.back(), "127.")) << access.back();
  EXPECT_TRUE(absl::StrContains(access.back(), " - - [")) << access.back();
  EXPECT_TRUE(absl::EndsWith(access[2], "\"ports-test\" \"-\"")) << access[2];

  pods_->Stop(id);
  // Stopped: refused at once (StopContainer returned after the ports
  // closed), and the idle keep-alive connection is closed.
  EXPECT_TRUE(Refused(ip_, p1));
  EXPECT_TRUE(Refused(ip_, p2));
  EXPECT_TRUE(keep.PeerClosed());
}

TEST_F(PortsE2eTest, OtherImagesEchoUntilRemoved) {
  const int port = FreePort(ip_);
  const std::string sb = pods_->Sandbox("echo", ip_);
  const std::string id = pods_->Start(sb, "main", "busybox:1.36", {port}, {"sleep", "infinity"});
  Conn c(ip_, port);
  ASSERT_TRUE(c.ok()) << strerror(c.error());
  c.Send("hello\n");
  EXPECT_EQ(c.ReadUntil([](const std::string& s) { return s.size() >= 6; }), "hello\n");
  c.Send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(c.ReadUntil([](const std::string& s) { return s.size() >= 18; }),
            "GET / HTTP/1.1\r\n\r\n");
  pods_->Remove(id);
  EXPECT_TRUE(Refused(ip_, port));
  EXPECT_TRUE(c.PeerClosed());
}

TEST_F(PortsE2eTest, AContainerThatExitsStopsListeningAndItsRestartListensAgain) {
  const int port = FreePort(ip_);
  const std::string sb = pods_->Sandbox("job", ip_);
  const std::string first = pods_->Start(sb, "main", "busybox:1.36", {port}, {"sleep", "0.3"});
  EXPECT_TRUE(Conn(ip_, port).ok());
  ASSERT_TRUE(
      WaitFor([&] { return pods_->State(first) == cri::CONTAINER_EXITED; }, absl::Seconds(10)));
  EXPECT_TRUE(Refused(ip_, port));
  // The kubelet's restart: a new container on the same address and port.
  const std::string second =
      pods_->Start(sb, "main", "busybox:1.36", {port}, {"sleep", "infinity"});
  EXPECT_NE(first, second);
  EXPECT_TRUE(Conn(ip_, port).ok());
  // Stopping the sandbox kills it.
  cri::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(sb);
  ASSERT_TRUE(client_->StopPodSandbox(stop).ok());
  EXPECT_TRUE(Refused(ip_, port));
}

TEST_F(PortsE2eTest, APortThatCannotBeBoundIsSkipped) {
  const int taken = FreePort(ip_), free = FreePort(ip_);
  // Another process holds `taken` on the pod's address.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Address(ip_, taken);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  const std::string sb = pods_->Sandbox("web", ip_);
  const std::string id = pods_->Start(sb, "nginx", "nginx", {taken, free});
  EXPECT_EQ(pods_->State(id), cri::CONTAINER_RUNNING);
  Conn c(ip_, free);
  ASSERT_TRUE(c.ok());
  c.Send(kGetClose);
  EXPECT_TRUE(absl::StartsWith(c.ReadResponse(), "HTTP/1.1 200 OK"));
  close(fd);
  // Two containers of one pod declaring one port: the second is skipped.
  const std::string other = pods_->Start(sb, "sidecar", "busybox:1.36", {free}, {"sleep", "1h"});
  EXPECT_EQ(pods_->State(other), cri::CONTAINER_RUNNING);
  pods_->Stop(id);
  EXPECT_TRUE(Refused(ip_, free));
}

TEST_F(PortsE2eTest, PodsOffLoopbackListenNowhere) {
  const int port = FreePort("127.0.0.1");
  const std::string sb = pods_->Sandbox("scale", "10.244.0.5");
  const std::string id = pods_->Start(sb, "nginx", "nginx", {port});
  EXPECT_EQ(pods_->State(id), cri::CONTAINER_RUNNING);
  EXPECT_TRUE(Refused("127.0.0.1", port));
}

// The daemon: the same over gRPC, as a kubelet drives it.
TEST(PortsBinaryE2eTest, TheRuntimeDaemonAnswersOnPodAddresses) {
  ::minik8s::testing::TempDir dir;
  const std::string socket = dir.Join("runtime.sock");
  ::minik8s::testing::Subprocess daemon;
  ASSERT_TRUE(daemon
                  .Start({::minik8s::testing::BinPath("minik8s-runtime"), "--listen",
                          "unix://" + socket, "--log-level=debug"},
                         dir.Join("runtime.log"))
                  .ok());
  std::unique_ptr<RuntimeClient> client;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto c = NewGrpcRuntimeClient("unix://" + socket);
        if (!c.ok() || !(*c)->Version({}).ok()) return false;
        client = *std::move(c);
        return true;
      },
      absl::Seconds(20)));
  Pods pods(client.get());
  const std::string web_ip = RandomLoopbackIp();
  std::string echo_ip = RandomLoopbackIp();
  while (echo_ip == web_ip) echo_ip = RandomLoopbackIp();
  const int web_port = FreePort(web_ip), echo_port = FreePort(echo_ip);
  const std::string web = pods.Start(pods.Sandbox("web", web_ip), "nginx", "nginx", {web_port});
  const std::string echo = pods.Start(pods.Sandbox("busybox", echo_ip), "main", "busybox",
                                      {echo_port}, {"sleep", "infinity"});
  {
    Conn c(web_ip, web_port);
    ASSERT_TRUE(c.ok()) << strerror(c.error());
    c.Send(kGetClose);
    const std::string response = c.ReadResponse();
    EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200 OK")) << response;
    EXPECT_TRUE(absl::StrContains(response, "default/web")) << response;
  }
  {
    Conn c(echo_ip, echo_port);
    ASSERT_TRUE(c.ok()) << strerror(c.error());
    c.Send("ping");
    EXPECT_EQ(c.ReadUntil([](const std::string& s) { return s.size() >= 4; }), "ping");
  }
  pods.Stop(web);
  pods.Stop(echo);
  EXPECT_TRUE(Refused(web_ip, web_port));
  EXPECT_TRUE(Refused(echo_ip, echo_port));
}

}  // namespace
}  // namespace minik8s::runtime
