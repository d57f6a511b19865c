// httpGet and tcpSocket probes over real loopback sockets: the kubelet's
// own checks (kubelet/net_probe.h) against small servers, and RunProbe
// against an in-process runtime whose pod has a 127.x address — the port
// must answer (a declared port nobody listens on fails even though the
// runtime's simulation would pass), and the simulated failure modes still
// apply on top. A 10.x pod is still probed by the runtime alone.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "kubelet/net_probe.h"
#include "kubelet/prober.h"
#include "runtime/container_ports.h"
#include "runtime/in_process_runtime_client.h"
#include "runtime/runtime.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;
namespace cri = ::minik8s::cri::v1;

// A random address in 127.200.0.0 - 127.254.255.254.
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

// A listening socket on ip:(free port); `answer` (when set) is written to
// each connection accepted by Serve(), which then closes it.
class Server {
 public:
  explicit Server(const std::string& ip) : ip_(ip) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = Address(ip, 0);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Server() {
    if (thread_.joinable()) {
      shutdown(fd_, SHUT_RDWR);
      thread_.join();
    }
    close(fd_);
  }
  int port() const { return port_; }
  // Answers one connection: reads the request head, writes `answer`, closes.
  void ServeOnce(std::string answer) {
    thread_ = std::thread([this, answer] {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string in;
      char buf[1024];
      while (in.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        in.append(buf, n);
      }
      request_ = in;
      send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      close(c);
    });
  }
  std::string request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  std::string ip_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string request_;
};

// A port nobody listens on (bound, read back, closed).
int ClosedPort(const std::string& ip) {
  Server s(ip);
  return s.port();
}

TEST(NetProbeTest, TcpSucceedsOnAListeningPortAndIsRefusedOnAClosedOne) {
  const std::string ip = RandomLoopbackIp();
  Server server(ip);
  NetProbeOutcome ok = TcpProbe(ip, server.port(), absl::Seconds(1));
  EXPECT_TRUE(ok.success) << ok.message;
  const int closed = ClosedPort(ip);
  NetProbeOutcome refused = TcpProbe(ip, closed, absl::Seconds(1));
  EXPECT_FALSE(refused.success);
  EXPECT_EQ(refused.message,
            absl::StrCat("dial tcp ", ip, ":", closed, ": connect: connection refused"));
}

TEST(NetProbeTest, HttpSendsKubeProbeHeadersAndAccepts2xxAnd3xx) {
  const std::string ip = RandomLoopbackIp();
  for (const char* answer : {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                             "HTTP/1.1 302 Found\r\nLocation: /other\r\n\r\n"}) {
    Server server(ip);
    server.ServeOnce(answer);
    HttpProbeRequest req{ip, server.port(), "healthz", {{"X-Probe", "yes"}}};
    NetProbeOutcome out = HttpProbe(req, absl::Seconds(2));
    EXPECT_TRUE(out.success) << answer << ": " << out.message;
    const std::string request = server.request();
    EXPECT_TRUE(absl::StartsWith(request, "GET /healthz HTTP/1.1\r\n")) << request;
    EXPECT_TRUE(absl::StrContains(request, absl::StrCat("Host: ", ip, ":", server.port(), "\r\n")))
        << request;
    EXPECT_TRUE(absl::StrContains(request, "User-Agent: kube-probe/")) << request;
    EXPECT_TRUE(absl::StrContains(request, "X-Probe: yes\r\n")) << request;
    EXPECT_TRUE(absl::StrContains(request, "Connection: close\r\n")) << request;
  }
}

TEST(NetProbeTest, HttpFailsOnAnErrorStatusAGarbledAnswerAClosedPortAndATimeout) {
  const std::string ip = RandomLoopbackIp();
  {
    Server server(ip);
    server.ServeOnce("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    NetProbeOutcome out = HttpProbe({ip, server.port(), "/ready", {}}, absl::Seconds(2));
    EXPECT_FALSE(out.success);
    EXPECT_EQ(out.http_status, 503);
    EXPECT_EQ(out.message, "HTTP probe failed with statuscode: 503");
  }
  {
    Server server(ip);
    server.ServeOnce("GET / HTTP/1.1\r\n\r\n");  // an echo server's answer
    NetProbeOutcome out = HttpProbe({ip, server.port(), "/", {}}, absl::Seconds(2));
    EXPECT_FALSE(out.success);
    EXPECT_TRUE(absl::StrContains(out.message, "malformed HTTP response")) << out.message;
  }
  {
    const int closed = ClosedPort(ip);
    NetProbeOutcome out = HttpProbe({ip, closed, "/healthz", {}}, absl::Seconds(1));
    EXPECT_FALSE(out.success);
    EXPECT_EQ(out.message, absl::StrCat("Get \"http://", ip, ":", closed, "/healthz\": dial tcp ",
                                        ip, ":", closed, ": connect: connection refused"));
  }
  {
    Server server(ip);  // listens (the kernel accepts) but never answers
    NetProbeOutcome out = HttpProbe({ip, server.port(), "/healthz", {}}, absl::Milliseconds(200));
    EXPECT_FALSE(out.success);
    EXPECT_TRUE(absl::StrContains(out.message, "Client.Timeout exceeded")) << out.message;
  }
}

// RunProbe against the fake runtime: a pod with a 127.x address whose nginx
// container declares a port the runtime listens on.
class RunProbeNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rt = runtime::Runtime::Create(runtime::RuntimeOptions());
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = *std::move(rt);
    client_ = runtime::NewInProcessRuntimeClient(rt_.get());
    ip_ = RandomLoopbackIp();
    port_ = ClosedPort(ip_);
  }

  // Starts container `name` (image `image`, declaring port_ as "http") in a
  // new sandbox at `ip`; returns its id.
  std::string Start(const std::string& name, const std::string& ip, const std::string& image,
                    const std::vector<std::pair<std::string, std::string>>& env = {}) {
    cri::RunPodSandboxRequest sb;
    sb.mutable_config()->mutable_metadata()->set_name(name);
    sb.mutable_config()->mutable_metadata()->set_namespace_("default");
    sb.mutable_config()->mutable_metadata()->set_uid("uid-" + name);
    (*sb.mutable_config()->mutable_annotations())[runtime::kPodIpAnnotation] = ip;
    auto sandbox = client_->RunPodSandbox(sb);
    EXPECT_TRUE(sandbox.ok()) << sandbox.status();
    cri::PullImageRequest pull;
    pull.mutable_image()->set_image(image);
    EXPECT_TRUE(client_->PullImage(pull).ok());
    cri::CreateContainerRequest req;
    req.set_pod_sandbox_id(sandbox->pod_sandbox_id());
    req.mutable_config()->mutable_metadata()->set_name(name);
    req.mutable_config()->mutable_image()->set_image(image);
    for (const auto& [k, v] : env) {
      auto* e = req.mutable_config()->add_envs();
      e->set_key(k);
      e->set_value(v);
    }
    (*req.mutable_config()->mutable_annotations())[runtime::kContainerPortsAnnotation] =
        absl::StrCat(R"([{"name":"http","containerPort":)", port_, "}]");
    auto created = client_->CreateContainer(req);
    EXPECT_TRUE(created.ok()) << created.status();
    cri::StartContainerRequest start;
    start.set_container_id(created->container_id());
    EXPECT_TRUE(client_->StartContainer(start).ok());
    container_.set_name(name);
    container_.clear_ports();
    auto* p = container_.add_ports();
    p->set_name("http");
    p->set_container_port(port_);
    return created->container_id();
  }

  ProbeCheck Run(const std::string& id, const std::string& ip, const core::Probe& probe,
                 ProbeKind kind = ProbeKind::kReadiness) {
    auto r =
        RunProbe(client_.get(), id, probe, kind, absl::Seconds(1), ProbeTarget{ip, &container_});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ProbeCheck{};
  }

  static core::Probe HttpGet(const std::string& port_name, int port = 0) {
    core::Probe p;
    p.mutable_http_get()->set_path("/healthz");
    if (port_name.empty()) {
      p.mutable_http_get()->mutable_port()->set_int_val(port);
    } else {
      p.mutable_http_get()->mutable_port()->set_str_val(port_name);
    }
    return p;
  }

  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<runtime::RuntimeClient> client_;
  std::string ip_;
  int port_ = 0;
  core::Container container_;
};

TEST_F(RunProbeNetworkTest, HttpGetOnANamedPortReachesTheSimulatedNginx) {
  const std::string id = Start("web", ip_, "nginx:1.25.3");
  ProbeCheck check = Run(id, ip_, HttpGet("http"));
  EXPECT_TRUE(check.success) << check.message;
  core::Probe tcp;
  tcp.mutable_tcp_socket()->mutable_port()->set_int_val(port_);
  check = Run(id, ip_, tcp);
  EXPECT_TRUE(check.success) << check.message;
}

TEST_F(RunProbeNetworkTest, APortNobodyAnswersOnFailsWhereTheSimulationWouldPass) {
  const std::string id = Start("web", ip_, "nginx:1.25.3");
  const int other = ClosedPort(ip_);
  ProbeCheck check = Run(id, ip_, HttpGet("", other));
  EXPECT_FALSE(check.success);
  EXPECT_TRUE(absl::StrContains(check.message, "connect: connection refused")) << check.message;
  // An unknown port name fails as Kubernetes' prober does.
  check = Run(id, ip_, HttpGet("metrics"));
  EXPECT_FALSE(check.success);
  EXPECT_EQ(check.message, "couldn't find port: metrics in web");
  // An echo server (any image but nginx) is not HTTP: it fails, where the
  // runtime's simulation alone (no pod address) passes it.
  const std::string echo_ip = RandomLoopbackIp();
  const std::string echo = Start("echo", echo_ip, "busybox:1.36");
  check = Run(echo, echo_ip, HttpGet("http"));
  EXPECT_FALSE(check.success);
  EXPECT_TRUE(absl::StrContains(check.message, "malformed HTTP response")) << check.message;
  check = Run(echo, "", HttpGet("http"));
  EXPECT_TRUE(check.success) << check.message;
}

TEST_F(RunProbeNetworkTest, TheSimulatedFailureModesStillApplyOnARealPort) {
  const std::string id = Start("web", ip_, "nginx:1.25.3", {{"MINIK8S_SIM_READINESS", "fail"}});
  ProbeCheck check = Run(id, ip_, HttpGet("http"));
  EXPECT_FALSE(check.success);
  EXPECT_EQ(check.message, "HTTP probe failed with statuscode: 503");
  // Liveness is not affected by the readiness failure mode.
  check = Run(id, ip_, HttpGet("http"), ProbeKind::kLiveness);
  EXPECT_TRUE(check.success) << check.message;
}

TEST_F(RunProbeNetworkTest, AScaleModeAddressIsProbedByTheRuntimeAlone) {
  // 10.x: the runtime opens no socket; the simulated check passes.
  const std::string id = Start("sim", "10.128.3.7", "nginx:1.25.3");
  ProbeCheck check = Run(id, "10.128.3.7", HttpGet("http"));
  EXPECT_TRUE(check.success) << check.message;
}

}  // namespace
}  // namespace minik8s::kubelet
