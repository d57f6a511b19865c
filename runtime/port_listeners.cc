#include "runtime/port_listeners.h"

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/asio.hpp"
#include "spdlog/spdlog.h"

namespace minik8s::runtime {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// nginx's default keepalive_timeout: an idle keep-alive connection is
// closed after it.
constexpr auto kKeepAliveTimeout = std::chrono::seconds(75);

class Session : public std::enable_shared_from_this<Session> {
 public:
  virtual ~Session() = default;
  virtual void Start() = 0;
  // The container stops: close now, or after the request in progress.
  virtual void Drain() = 0;
};

// What one started container has open (io thread only).
struct OpenContainer {
  ListenerSpec spec;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::weak_ptr<Session>> sessions;
  bool closed = false;
};

void CloseSocket(tcp::socket& socket) {
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

// Echoes every byte back until the peer closes its side.
class EchoSession : public Session {
 public:
  explicit EchoSession(tcp::socket socket) : socket_(std::move(socket)) {}

  void Start() override { Read(); }
  void Drain() override { CloseSocket(socket_); }

 private:
  void Read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this(), this](error_code ec, size_t n) {
                              if (ec) {
                                CloseSocket(socket_);
                                return;
                              }
                              asio::async_write(socket_, asio::buffer(buffer_.data(), n),
                                                [self, this](error_code ec, size_t) {
                                                  if (ec) {
                                                    CloseSocket(socket_);
                                                    return;
                                                  }
                                                  Read();
                                                });
                            });
  }

  tcp::socket socket_;
  std::array<char, 16 * 1024> buffer_;
};

// A simulated nginx: reads request heads, skips bodies, answers
// (sim_http.h), keeps the connection while the requests ask for it.
class HttpSession : public Session {
 public:
  HttpSession(tcp::socket socket, std::shared_ptr<const OpenContainer> container,
              const PortListeners::AccessLog* access_log)
      : socket_(std::move(socket)),
        idle_(socket_.get_executor()),
        container_(std::move(container)),
        access_log_(access_log) {
    error_code ec;
    tcp::endpoint peer = socket_.remote_endpoint(ec);
    remote_ip_ = ec ? "-" : peer.address().to_string();
  }

  void Start() override { ReadHead(); }

  void Drain() override {
    draining_ = true;
    if (!busy_) Close();
  }

 private:
  void Close() {
    idle_.cancel();
    CloseSocket(socket_);
  }

  void ReadHead() {
    if (draining_) return Close();
    busy_ = false;
    const uint64_t generation = ++read_generation_;
    idle_.expires_after(kKeepAliveTimeout);
    idle_.async_wait([weak = weak_from_this(), this, generation](error_code ec) {
      auto self = weak.lock();
      if (self == nullptr || ec || read_generation_ != generation) return;
      Close();
    });
    asio::async_read_until(socket_, asio::dynamic_buffer(in_, kMaxHttpHeadBytes), "\r\n\r\n",
                           [self = shared_from_this(), this](error_code ec, size_t n) {
                             ++read_generation_;
                             idle_.cancel();
                             OnHead(ec, n);
                           });
  }

  void OnHead(error_code ec, size_t n) {
    if (ec == asio::error::not_found) {  // the head outgrew kMaxHttpHeadBytes
      busy_ = true;
      return Send(NginxErrorResponse(400, Who(), absl::Now()), "", std::nullopt);
    }
    if (ec) return Close();
    busy_ = true;
    const std::string head = in_.substr(0, n);
    in_.erase(0, n);
    std::optional<HttpRequestHead> request = ParseHttpRequestHead(head);
    const std::string request_line = head.substr(0, head.find("\r\n"));
    if (request.has_value() && request->content_length > kMaxHttpBodyBytes) {
      return Send(NginxErrorResponse(413, Who(), absl::Now()), request_line, request);
    }
    const size_t body = request.has_value() ? static_cast<size_t>(request->content_length) : 0;
    if (in_.size() >= body) {
      in_.erase(0, body);
      return Answer(request_line, request);
    }
    const size_t missing = body - in_.size();
    in_.clear();
    skip_.resize(missing);
    asio::async_read(
        socket_, asio::buffer(skip_),
        [self = shared_from_this(), this, request_line, request](error_code ec, size_t) {
          skip_.clear();
          if (ec) return Close();
          Answer(request_line, request);
        });
  }

  void Answer(const std::string& request_line, const std::optional<HttpRequestHead>& request) {
    Send(NginxResponse(request, Who(), absl::Now(), draining_), request_line, request);
  }

  void Send(HttpResponse response, const std::string& request_line,
            const std::optional<HttpRequestHead>& request) {
    if (*access_log_) {
      (*access_log_)(container_->spec.container_id,
                     NginxAccessLogLine(remote_ip_, absl::Now(), request_line, response, request));
    }
    out_ = std::move(response.bytes);
    const bool close = response.close || draining_;
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this(), this, close](error_code ec, size_t) {
                        out_.clear();
                        if (ec || close) return Close();
                        ReadHead();
                      });
  }

  const HttpServerIdentity& Who() const { return container_->spec.who; }

  tcp::socket socket_;
  asio::steady_timer idle_;
  std::shared_ptr<const OpenContainer> container_;
  const PortListeners::AccessLog* access_log_;  // the Impl's; outlives the io thread
  std::string remote_ip_;
  std::string in_;
  std::string out_;
  std::vector<char> skip_;
  uint64_t read_generation_ = 0;
  bool busy_ = false;  // a request head has arrived and is not answered yet
  bool draining_ = false;
};

}  // namespace

struct PortListeners::Impl {
  explicit Impl(AccessLog log) : access_log(std::move(log)), strand(asio::make_strand(io)) {}

  // Runs `fn` on the io thread after everything queued before it.
  std::shared_future<void> Queue(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(start_mu);
      if (!started) {
        work.emplace(asio::make_work_guard(io));
        thread = std::thread([this] { io.run(); });
        started = true;
      }
    }
    auto done = std::make_shared<std::promise<void>>();
    std::shared_future<void> future = done->get_future().share();
    asio::post(strand, [fn = std::move(fn), done] {
      fn();
      done->set_value();
    });
    return future;
  }

  bool Started() {
    std::lock_guard<std::mutex> lock(start_mu);
    return started;
  }

  // io thread only, below.
  void OpenOn(ListenerSpec spec) {
    CloseOn(spec.container_id);
    auto container = std::make_shared<OpenContainer>();
    container->spec = std::move(spec);
    const ListenerSpec& s = container->spec;
    error_code ec;
    const asio::ip::address_v4 address = asio::ip::make_address_v4(s.ip, ec);
    if (ec) {
      spdlog::warn("container {} ({}/{}): not listening: bad pod IP \"{}\"",
                   s.container_id.substr(0, 13), s.who.pod_name, s.who.container_name, s.ip);
      return;
    }
    for (int port : s.ports) {
      auto acceptor = std::make_unique<tcp::acceptor>(io);
      const tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
      acceptor->open(endpoint.protocol(), ec);
      if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) acceptor->bind(endpoint, ec);
      if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        spdlog::warn("container {} ({}/{} {}): cannot listen on {}:{}: {}{}",
                     s.container_id.substr(0, 13), s.who.pod_namespace, s.who.pod_name,
                     s.who.container_name, s.ip, port, ec.message(),
                     ec == asio::error::access_denied
                         ? " (ports below net.ipv4.ip_unprivileged_port_start, 1024 by default, "
                           "need root or CAP_NET_BIND_SERVICE)"
                         : "");
        continue;
      }
      spdlog::debug("container {} listens on {}:{} ({})", s.container_id.substr(0, 13), s.ip, port,
                    s.http ? "http" : "echo");
      container->acceptors.push_back(std::move(acceptor));
      Accept(container, container->acceptors.back().get());
    }
    if (!container->acceptors.empty()) open[s.container_id] = std::move(container);
  }

  void Accept(const std::shared_ptr<OpenContainer>& container, tcp::acceptor* acceptor) {
    acceptor->async_accept([this, container, acceptor](error_code ec, tcp::socket socket) {
      if (container->closed || ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of descriptors, say: try again a little later instead of spinning.
        auto retry = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
        retry->async_wait([this, container, acceptor, retry](error_code) {
          if (!container->closed) Accept(container, acceptor);
        });
        return;
      }
      std::shared_ptr<Session> session;
      if (container->spec.http) {
        session = std::make_shared<HttpSession>(std::move(socket), container, &access_log);
      } else {
        session = std::make_shared<EchoSession>(std::move(socket));
      }
      std::erase_if(container->sessions, [](const auto& w) { return w.expired(); });
      container->sessions.push_back(session);
      session->Start();
      Accept(container, acceptor);
    });
  }

  void CloseOn(const std::string& container_id) {
    auto it = open.find(container_id);
    if (it == open.end()) return;
    std::shared_ptr<OpenContainer> container = std::move(it->second);
    open.erase(it);
    container->closed = true;
    for (auto& acceptor : container->acceptors) {
      error_code ignored;
      acceptor->close(ignored);
    }
    for (const auto& weak : container->sessions) {
      if (auto session = weak.lock()) session->Drain();
    }
    container->sessions.clear();
  }

  const AccessLog access_log;
  asio::io_context io;
  asio::strand<asio::io_context::executor_type> strand;
  std::mutex start_mu;
  bool started = false;  // guarded by start_mu
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::map<std::string, std::shared_ptr<OpenContainer>> open;  // io thread only
};

PortListeners::PortListeners(AccessLog access_log)
    : impl_(std::make_unique<Impl>(std::move(access_log))) {}

PortListeners::~PortListeners() {
  if (!impl_->Started()) return;
  impl_
      ->Queue([this] {
        std::vector<std::string> ids;
        for (const auto& [id, container] : impl_->open) ids.push_back(id);
        for (const std::string& id : ids) impl_->CloseOn(id);
      })
      .wait();
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

std::shared_future<void> PortListeners::Open(ListenerSpec spec) {
  return impl_->Queue([this, spec = std::move(spec)]() mutable { impl_->OpenOn(std::move(spec)); });
}

std::shared_future<void> PortListeners::Close(const std::string& container_id) {
  if (!impl_->Started()) {
    std::promise<void> done;
    done.set_value();
    return done.get_future().share();
  }
  return impl_->Queue([this, container_id] { impl_->CloseOn(container_id); });
}

std::vector<int> PortListeners::ListeningPorts(const std::string& container_id) {
  if (!impl_->Started()) return {};
  std::vector<int> ports;
  impl_
      ->Queue([&] {
        auto it = impl_->open.find(container_id);
        if (it == impl_->open.end()) return;
        for (const auto& acceptor : it->second->acceptors) {
          error_code ec;
          tcp::endpoint local = acceptor->local_endpoint(ec);
          if (!ec) ports.push_back(local.port());
        }
      })
      .wait();
  std::sort(ports.begin(), ports.end());
  return ports;
}

}  // namespace minik8s::runtime
