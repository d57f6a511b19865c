#include "proxy/tcp_proxy.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/write.hpp"
#include "spdlog/spdlog.h"

namespace minik8s::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

std::string HostPort::ToString() const { return absl::StrCat(ip, ":", port); }

namespace {

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

void SetNoDelay(tcp::socket& s) {
  error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
}

}  // namespace

// Everything below runs on the I/O thread, except where Impl's public
// methods post to it and wait.
class TcpProxy::Impl {
 public:
  explicit Impl(TcpProxyOptions options)
      : options_(options), work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

  ~Impl() {
    RunOnIo([this] {
      for (auto& [address, listener] : listeners_) listener->Close();
      listeners_.clear();
      for (const std::weak_ptr<Session>& w : sessions_) {
        if (std::shared_ptr<Session> s = w.lock()) s->Close(false);
      }
    });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  void Apply(const Table& table) {
    RunOnIo([&] { ApplyOnIo(table); });
  }

  std::vector<HostPort> Listening() {
    std::vector<HostPort> out;
    RunOnIo([&] {
      for (const auto& [address, listener] : listeners_) out.push_back(address);
    });
    return out;
  }

  std::map<HostPort, std::string> BindFailures() {
    std::map<HostPort, std::string> out;
    RunOnIo([&] { out = bind_failures_; });
    return out;
  }

  TcpProxyStats Stats() {
    TcpProxyStats out;
    RunOnIo([&] {
      out = stats_;
      out.active = 0;
      for (const std::weak_ptr<Session>& w : sessions_) out.active += w.expired() ? 0 : 1;
    });
    return out;
  }

 private:
  struct Listener;

  // One client connection and its backend connection.
  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(Impl* impl, std::shared_ptr<Listener> listener, tcp::socket client)
        : impl_(impl),
          listener_(std::move(listener)),
          client_(std::move(client)),
          backend_(impl->io_),
          timer_(impl->io_),
          up_(impl->options_.buffer_bytes),
          down_(impl->options_.buffer_bytes) {}

    void Start() {
      attempts_left_ = std::min<size_t>(std::max(1, impl_->options_.max_connect_attempts),
                                        listener_->backends.size());
      SetNoDelay(client_);
      TryConnect();
    }

    // Closes both sockets (a reset to the client when `reset`); pending
    // operations complete with operation_aborted and do nothing.
    void Close(bool reset) {
      if (closed_) return;
      closed_ = true;
      error_code ignored;
      timer_.cancel();
      if (reset) client_.set_option(asio::socket_base::linger(true, 0), ignored);
      client_.close(ignored);
      backend_.close(ignored);
    }

   private:
    void TryConnect() {
      if (closed_) return;
      std::optional<tcp::endpoint> target = listener_->Pick();
      if (!target || attempts_left_ == 0) {
        ++impl_->stats_.dropped;
        spdlog::debug("{}: no backend answered; resetting the client connection",
                      listener_->address.ToString());
        Close(true);
        return;
      }
      --attempts_left_;
      error_code ignored;
      backend_.close(ignored);
      timer_.expires_after(ToChrono(impl_->options_.connect_timeout));
      auto self = shared_from_this();
      timer_.async_wait([self](const error_code& ec) {
        if (!ec && !self->connected_) {
          error_code ignored;
          self->backend_.cancel(ignored);
          self->backend_.close(ignored);
        }
      });
      backend_.async_connect(*target, [self, target](const error_code& ec) {
        if (self->closed_) return;
        self->timer_.cancel();
        if (ec) {
          ++self->impl_->stats_.connect_failures;
          spdlog::debug("{}: connect to {}:{} failed: {}", self->listener_->address.ToString(),
                        target->address().to_string(), target->port(), ec.message());
          self->TryConnect();
          return;
        }
        self->connected_ = true;
        SetNoDelay(self->backend_);
        self->last_activity_ = std::chrono::steady_clock::now();
        self->ArmIdleTimer(self->impl_->options_.idle_timeout);
        self->Pump(self->client_, self->backend_, self->up_, &self->up_done_);
        self->Pump(self->backend_, self->client_, self->down_, &self->down_done_);
      });
    }

    void ArmIdleTimer(absl::Duration after) {
      timer_.expires_after(ToChrono(after));
      auto self = shared_from_this();
      timer_.async_wait([self](const error_code& ec) {
        if (ec || self->closed_) return;
        auto idle = std::chrono::steady_clock::now() - self->last_activity_;
        absl::Duration left = self->impl_->options_.idle_timeout - absl::FromChrono(idle);
        if (left <= absl::ZeroDuration()) {
          spdlog::debug("{}: closing a connection idle for {}", self->listener_->address.ToString(),
                        absl::FormatDuration(self->impl_->options_.idle_timeout));
          self->Close(false);
          return;
        }
        self->ArmIdleTimer(left);
      });
    }

    // Copies `from` to `to` until end of stream, then half-closes `to`.
    void Pump(tcp::socket& from, tcp::socket& to, std::vector<char>& buf, bool* done) {
      auto self = shared_from_this();
      from.async_read_some(
          asio::buffer(buf), [self, &from, &to, &buf, done](const error_code& ec, size_t n) {
            if (self->closed_) return;
            if (ec == asio::error::eof) {
              error_code ignored;
              to.shutdown(tcp::socket::shutdown_send, ignored);
              *done = true;
              if (self->up_done_ && self->down_done_) self->Close(false);
              return;
            }
            if (ec) {
              self->Close(false);
              return;
            }
            self->last_activity_ = std::chrono::steady_clock::now();
            asio::async_write(to, asio::buffer(buf.data(), n),
                              [self, &from, &to, &buf, done](const error_code& ec, size_t) {
                                if (self->closed_) return;
                                if (ec) {
                                  self->Close(false);
                                  return;
                                }
                                self->last_activity_ = std::chrono::steady_clock::now();
                                self->Pump(from, to, buf, done);
                              });
          });
    }

    Impl* const impl_;
    const std::shared_ptr<Listener> listener_;
    tcp::socket client_;
    tcp::socket backend_;
    asio::steady_timer timer_;  // connect timeout, then idle timeout
    std::vector<char> up_;      // client -> backend
    std::vector<char> down_;    // backend -> client
    size_t attempts_left_ = 0;
    bool connected_ = false;
    bool up_done_ = false;
    bool down_done_ = false;
    bool closed_ = false;
    std::chrono::steady_clock::time_point last_activity_;
  };

  struct Listener : std::enable_shared_from_this<Listener> {
    Listener(Impl* impl, HostPort address)
        : impl(impl), address(std::move(address)), acceptor(impl->io_), retry(impl->io_) {}

    // The next backend round-robin; nullopt when there is none.
    std::optional<tcp::endpoint> Pick() {
      if (backends.empty()) return std::nullopt;
      const tcp::endpoint& e = backends[next % backends.size()];
      next = (next + 1) % backends.size();
      return e;
    }

    void Accept() {
      auto self = shared_from_this();
      acceptor.async_accept([self](const error_code& ec, tcp::socket socket) {
        if (!self->open) return;
        if (ec) {
          // Out of descriptors or similar: back off instead of spinning.
          spdlog::warn("{}: accept failed: {}", self->address.ToString(), ec.message());
          self->retry.expires_after(std::chrono::milliseconds(100));
          self->retry.async_wait([self](const error_code& ec) {
            if (!ec && self->open) self->Accept();
          });
          return;
        }
        ++self->impl->stats_.accepted;
        auto session = std::make_shared<Session>(self->impl, self, std::move(socket));
        self->impl->Track(session);
        session->Start();
        self->Accept();
      });
    }

    // Also forgets the backends: a connection still retrying is reset.
    void Close() {
      open = false;
      backends.clear();
      error_code ignored;
      retry.cancel();
      acceptor.close(ignored);
    }

    Impl* const impl;
    const HostPort address;
    tcp::acceptor acceptor;
    asio::steady_timer retry;
    std::vector<tcp::endpoint> backends;
    size_t next = 0;
    bool open = false;
  };

  template <typename F>
  void RunOnIo(F&& f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void Track(const std::shared_ptr<Session>& s) {
    // Drop expired entries now and then so the list stays as long as the
    // open connections.
    if (sessions_.size() >= 64 && sessions_.size() >= 2 * live_after_sweep_) {
      sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(),
                                     [](const std::weak_ptr<Session>& w) { return w.expired(); }),
                      sessions_.end());
      live_after_sweep_ = sessions_.size();
    }
    sessions_.push_back(s);
  }

  static std::optional<tcp::endpoint> Endpoint(const HostPort& hp) {
    error_code ec;
    asio::ip::address ip = asio::ip::make_address(hp.ip, ec);
    if (ec || hp.port <= 0 || hp.port > 65535) return std::nullopt;
    return tcp::endpoint(ip, static_cast<unsigned short>(hp.port));
  }

  // Opens a listening socket on `address`; the error text on failure.
  std::string Bind(Listener& l) {
    std::optional<tcp::endpoint> endpoint = Endpoint(l.address);
    if (!endpoint) return "not an IP address and port";
    error_code ec;
    l.acceptor.open(endpoint->protocol(), ec);
    if (!ec) l.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      if (setsockopt(l.acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) !=
          0) {
        ec = error_code(errno, boost::system::system_category());
      }
    }
    if (!ec) l.acceptor.bind(*endpoint, ec);
    if (!ec) l.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error_code ignored;
      l.acceptor.close(ignored);
      return ec.message();
    }
    return "";
  }

  void ApplyOnIo(const Table& table) {
    // Close what has no backends any more.
    for (auto it = listeners_.begin(); it != listeners_.end();) {
      auto want = table.find(it->first);
      if (want == table.end() || want->second.empty()) {
        spdlog::debug("{}: no endpoints; closed", it->first.ToString());
        it->second->Close();
        it = listeners_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = bind_failures_.begin(); it != bind_failures_.end();) {
      auto want = table.find(it->first);
      it = (want == table.end() || want->second.empty()) ? bind_failures_.erase(it) : std::next(it);
    }
    for (const auto& [address, backends] : table) {
      if (backends.empty()) continue;
      std::vector<tcp::endpoint> resolved;
      for (const HostPort& b : backends) {
        if (std::optional<tcp::endpoint> e = Endpoint(b)) resolved.push_back(*e);
      }
      if (resolved.empty()) continue;
      auto it = listeners_.find(address);
      if (it == listeners_.end()) {
        auto l = std::make_shared<Listener>(this, address);
        std::string error = Bind(*l);
        if (!error.empty()) {
          auto [failed, first] = bind_failures_.emplace(address, error);
          if (first) {
            spdlog::warn("{}: cannot listen: {}{} (retried at each sync; logged once)",
                         address.ToString(), error,
                         address.port < 1024 ? "; ports below 1024 need root, "
                                               "CAP_NET_BIND_SERVICE or a lower "
                                               "net.ipv4.ip_unprivileged_port_start"
                                             : "");
          }
          continue;
        }
        if (bind_failures_.erase(address) > 0) {
          spdlog::info("{}: listening now", address.ToString());
        }
        l->open = true;
        l->Accept();
        it = listeners_.emplace(address, std::move(l)).first;
      }
      Listener& l = *it->second;
      if (l.backends != resolved) {
        l.backends = std::move(resolved);
        l.next = l.backends.empty() ? 0 : l.next % l.backends.size();
      }
    }
  }

  const TcpProxyOptions options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::map<HostPort, std::shared_ptr<Listener>> listeners_;
  std::map<HostPort, std::string> bind_failures_;
  std::vector<std::weak_ptr<Session>> sessions_;
  size_t live_after_sweep_ = 0;
  TcpProxyStats stats_;
  std::thread thread_;  // last: starts after everything above exists
};

TcpProxy::TcpProxy(TcpProxyOptions options) : impl_(std::make_unique<Impl>(options)) {}
TcpProxy::~TcpProxy() = default;
void TcpProxy::Apply(const Table& table) { impl_->Apply(table); }
std::vector<HostPort> TcpProxy::Listening() { return impl_->Listening(); }
std::map<HostPort, std::string> TcpProxy::BindFailures() { return impl_->BindFailures(); }
TcpProxyStats TcpProxy::Stats() { return impl_->Stats(); }

}  // namespace minik8s::proxy
