// minik8s-store: an etcd v3 wire-compatible key-value store. Parses flags
// (etcd's names), opens the store, serves gRPC until SIGTERM/SIGINT.
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/daemon.h"
#include "common/net.h"
#include "common/tls.h"
#include "common/unix_socket.h"
#include "spdlog/spdlog.h"
#include "store/auto_compactor.h"
#include "store/kvstore.h"
#include "store/server.h"

int main(int argc, char** argv) {
  minik8s::Daemon daemon(
      {.name = "minik8s-store",
       .description = "an etcd v3 compatible key-value store (KV, Watch, Lease) on RocksDB",
       .health_help = "host:port of the health and metrics endpoint (etcd serves its metrics "
                      "on --listen-metrics-urls): gRPC health and HTTP GET /healthz, /readyz, "
                      "/livez and /metrics (etcd_mvcc_put_total, "
                      "etcd_disk_wal_fsync_duration_seconds, etcd_debugging_mvcc_keys_total) "
                      "on one port; empty = none"});
  auto Fail = [&daemon](const std::string& msg) { return daemon.Fail(msg); };
  // Debian builds Abseil without NDEBUG, so every Mutex::Lock would update a
  // process-wide lock graph under one global spinlock (a large share of the
  // CPU under load). The locking annotations are checked at compile time by
  // the clang build (-Wthread-safety, scripts/build.sh --asan), and lock order
  // by the tests, which keep the detection on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  std::string name = "default";
  std::string data_dir;
  std::string listen_urls = "http://127.0.0.1:2379";
  std::string advertise_urls;
  std::string peer_urls = "http://localhost:2380";
  std::string compaction_mode = "periodic";
  std::string compaction_retention = "0";
  int64_t max_request_bytes = 1572864;
  int rpc_threads = minik8s::store::kDefaultRpcThreads;
  int64_t quota_bytes = 0;
  int64_t max_txn_ops = 128;
  bool unsafe_repair = false;
  absl::Duration progress = absl::Minutes(10);
  minik8s::TlsServerFiles tls;

  CLI::App& app = daemon.app();
  app.add_option("--name", name, "Human-readable name of this member")->capture_default_str();
  app.add_option("--data-dir", data_dir,
                 "Path to the data directory (default: <name>.minik8s-store)");
  app.add_option("--listen-client-urls", listen_urls,
                 "Comma-separated URLs to serve clients on: http://host:port or unix:///path "
                 "(plaintext), https://host:port or unixs:///path (TLS: needs --cert-file and "
                 "--key-file)")
      ->capture_default_str();
  app.add_option("--advertise-client-urls", advertise_urls,
                 "Comma-separated client URLs reported by MemberList (default: the listen URLs)");
  app.add_option("--initial-advertise-peer-urls", peer_urls,
                 "Peer URLs reported by MemberList (no peer traffic is served)")
      ->capture_default_str();
  app.add_option(
         "--auto-compaction-mode", compaction_mode,
         "Interpret --auto-compaction-retention as 'periodic' (a duration) or 'revision' (a count)")
      ->capture_default_str();
  app.add_option("--auto-compaction-retention", compaction_retention,
                 "History to keep: e.g. 1h or 30m (periodic; a bare number means hours), or a "
                 "revision count (revision); 0 turns auto-compaction off")
      ->capture_default_str();
  app.add_option("--max-request-bytes", max_request_bytes, "Maximum client request size in bytes")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  app.add_option("--rpc-threads", rpc_threads,
                 "Threads serving the client connections (each connection stays on one). One "
                 "costs the least CPU per write; more serve reads and watches faster on a "
                 "machine with cores to spare")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--quota-backend-bytes", quota_bytes,
                 "Raise the NOSPACE alarm when a write would take the database past this "
                 "size (0 = 2 GiB); writes that add data then fail until it is disarmed "
                 "(etcdctl alarm disarm)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, std::numeric_limits<int64_t>::max()));
  app.add_option("--max-txn-ops", max_txn_ops, "Maximum number of operations in one transaction")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  app.add_flag("--unsafe-repair", unsafe_repair,
               "Start even though the newest write-ahead log is torn (it ends inside a "
               "record, e.g. the file was truncated): drop the torn tail and recover to the "
               "last complete record, logging the revision recovered to and, when the "
               "records beyond the tear tell, the revisions lost. Without it the store "
               "refuses to start on a torn log, since acknowledged writes would be lost");
  app.add_option("--cert-file", tls.cert_file,
                 "PEM certificate the https:// and unixs:// client URLs present (with --key-file)");
  app.add_option("--key-file", tls.key_file, "PEM private key of --cert-file");
  app.add_option("--trusted-ca-file", tls.trusted_ca_file,
                 "PEM CA bundle client certificates are checked against (with --client-cert-auth)");
  app.add_flag("--client-cert-auth", tls.client_cert_auth,
               "On TLS URLs, refuse clients that present no certificate signed by "
               "--trusted-ca-file (checked during the handshake)");
  daemon.AddDurationFlag("--progress-notify-interval", &progress,
                         "Period of watch progress notifications (e.g. 10m, 5s)",
                         minik8s::DurationBound::kPositive);
  if (std::optional<int> exit = daemon.Parse(argc, argv)) return *exit;
  if (data_dir.empty()) data_dir = name + ".minik8s-store";
  if (advertise_urls.empty()) advertise_urls = listen_urls;

  auto compaction = minik8s::store::ParseAutoCompaction(compaction_mode, compaction_retention);
  if (!compaction.ok()) return Fail(std::string(compaction.status().message()));
  auto endpoints = minik8s::UrlListToGrpcEndpoints(listen_urls);
  if (!endpoints.ok()) {
    return Fail("bad --listen-client-urls: " + std::string(endpoints.status().message()));
  }
  // A socket another store serves is refused before anything is opened
  // (StoreServer::Start checks again when it binds).
  for (const minik8s::GrpcEndpoint& endpoint : *endpoints) {
    if (std::string path = minik8s::UnixSocketPath(endpoint.address); !path.empty()) {
      if (absl::Status s = minik8s::PrepareSocketPath(path); !s.ok()) {
        return Fail(std::string(s.message()));
      }
    }
  }
  std::vector<std::string> addresses;
  std::vector<std::shared_ptr<SSL_CTX>> contexts;
  std::shared_ptr<SSL_CTX> tls_context;
  for (const minik8s::GrpcEndpoint& endpoint : *endpoints) {
    addresses.push_back(endpoint.address);
    if (!endpoint.tls) {
      contexts.push_back(nullptr);
      continue;
    }
    if (tls_context == nullptr) {
      if (tls.cert_file.empty() || tls.key_file.empty()) {
        return Fail("--listen-client-urls " + listen_urls +
                    ": a TLS URL needs --cert-file and --key-file");
      }
      auto made = minik8s::MakeServerSslContext(tls);
      if (!made.ok()) return Fail("TLS: " + std::string(made.status().message()));
      tls_context = std::shared_ptr<SSL_CTX>(made->release(), SSL_CTX_free);
      // As etcd: a client certificate is asked for only with --client-cert-auth.
      if (!tls.client_cert_auth) SSL_CTX_set_verify(tls_context.get(), SSL_VERIFY_NONE, nullptr);
    }
    contexts.push_back(tls_context);
  }
  if (tls_context == nullptr && (!tls.cert_file.empty() || tls.client_cert_auth)) {
    spdlog::warn(
        "--cert-file/--client-cert-auth given but no https:// or unixs:// URL in "
        "--listen-client-urls {}: every client URL serves plaintext",
        listen_urls);
  }

  minik8s::store::StoreOptions options;
  options.data_dir = data_dir;
  options.max_txn_ops = max_txn_ops;
  options.max_request_bytes = max_request_bytes;
  options.quota_backend_bytes = quota_bytes;
  options.unsafe_repair = unsafe_repair;
  options.watch.progress_notify_interval = progress;
  auto store = minik8s::store::KvStore::Open(options);
  if (!store.ok()) return Fail(std::string(store.status().message()));

  minik8s::store::ServerOptions server_options;
  server_options.name = name;
  server_options.listen_addresses = addresses;
  server_options.tls = contexts;
  server_options.advertise_client_urls = absl::StrSplit(advertise_urls, ',', absl::SkipEmpty());
  server_options.peer_urls = absl::StrSplit(peer_urls, ',', absl::SkipEmpty());
  server_options.max_request_bytes = max_request_bytes;
  server_options.rpc_threads = rpc_threads;
  auto server = minik8s::store::StoreServer::Start(store->get(), server_options);
  if (!server.ok()) {
    (*store)->Stop();
    return Fail(std::string(server.status().message()));
  }
  minik8s::store::AutoCompactor compactor(store->get(), *compaction);
  compactor.Start();
  if (absl::Status s = daemon.StartHealth(); !s.ok()) {
    compactor.Stop();
    (*server)->Shutdown(absl::Seconds(1));
    (*store)->Stop();
    return Fail(std::string(s.message()));
  }
  daemon.SetServing(true);

  spdlog::info("ready to serve client requests on {} (member {:x}, data dir {}, revision {})",
               listen_urls, (*store)->member_id(), data_dir, (*store)->CurrentRevision());
  daemon.WaitForShutdown();
  compactor.Stop();
  // Watch and lease keep-alive streams never end by themselves, so the
  // server's shutdown waits for its whole deadline before it cancels them:
  // keep it short. A unary write still in flight then is either already durable and
  // answered, or answered CANCELLED (never acknowledged); nothing that was
  // acknowledged is lost, as every acknowledgement follows its sync.
  (*server)->Shutdown(absl::Milliseconds(250));
  (*store)->Stop();
  store->reset();
  spdlog::info("stopped");
  return 0;
}
