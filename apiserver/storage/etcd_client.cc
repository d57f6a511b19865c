#include "apiserver/storage/etcd_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver {

std::string PrefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  // Every byte was 0xff: the range is open-ended ("\0" means "to the end").
  return std::string(1, '\0');
}

absl::Status StorageError(const char* what, const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return absl::UnavailableError(
          absl::StrCat("storage is unavailable: ", what, ": ", status.error_message()));
    default:
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("storage error: ", what, ": ", status.error_message()));
  }
}

EtcdClient::EtcdClient(Options options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(Options options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("at least one etcd endpoint is required");
  }
  std::unique_ptr<EtcdClient> client(new EtcdClient(std::move(options)));
  for (size_t i = 0; i < client->options_.endpoints.size(); ++i) {
    const std::string& address = client->options_.endpoints[i];
    const auto& credentials = client->options_.credentials;
    grpc::ChannelArguments args;
    // Reconnect quickly once a store comes back.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: it is also the shortest time a
    // connection attempt is given, and a small one fails connects under load.
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Notice a dead peer on an idle watch stream.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetMaxReceiveMessageSize(256 * 1024 * 1024);
    auto endpoint = std::make_unique<Endpoint>();
    endpoint->address = address;
    endpoint->channel = grpc::CreateCustomChannel(
        address,
        i < credentials.size() && credentials[i] != nullptr ? credentials[i]
                                                            : grpc::InsecureChannelCredentials(),
        args);
    endpoint->kv = etcdserverpb::KV::NewStub(endpoint->channel);
    endpoint->watch = etcdserverpb::Watch::NewStub(endpoint->channel);
    endpoint->lease = etcdserverpb::Lease::NewStub(endpoint->channel);
    client->endpoints_.push_back(std::move(endpoint));
  }
  return client;
}

absl::Status EtcdClient::Call(
    const char* what, const std::function<grpc::Status(Endpoint&, grpc::ClientContext*)>& call) {
  grpc::Status status;
  const size_t n = endpoints_.size();
  size_t start = current_.load();
  for (size_t attempt = 0; attempt < n; ++attempt) {
    size_t index = (start + attempt) % n;
    Endpoint& endpoint = *endpoints_[index];
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
    status = call(endpoint, &context);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) {
      if (attempt > 0) {
        current_.store(index);
        spdlog::info("storage: switched to endpoint {}", endpoint.address);
      }
      break;
    }
  }
  return StorageError(what, status);
}

absl::StatusOr<etcdserverpb::RangeResponse> EtcdClient::Range(
    const etcdserverpb::RangeRequest& request) {
  etcdserverpb::RangeResponse response;
  absl::Status status = Call("range", [&](Endpoint& e, grpc::ClientContext* ctx) {
    return e.kv->Range(ctx, request, &response);
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<etcdserverpb::TxnResponse> EtcdClient::Txn(const etcdserverpb::TxnRequest& request) {
  etcdserverpb::TxnResponse response;
  absl::Status status = Call("txn", [&](Endpoint& e, grpc::ClientContext* ctx) {
    return e.kv->Txn(ctx, request, &response);
  });
  if (!status.ok()) return status;
  return response;
}

struct EtcdClient::AsyncTxn {
  etcdserverpb::TxnRequest request;
  TxnDone done;
  size_t start = 0;
  size_t attempt = 0;
};

void EtcdClient::TxnAsync(etcdserverpb::TxnRequest request, TxnDone done) {
  auto txn = std::make_shared<AsyncTxn>();
  txn->request = std::move(request);
  txn->done = std::move(done);
  txn->start = current_.load();
  StartTxnAttempt(std::move(txn));
}

void EtcdClient::StartTxnAttempt(std::shared_ptr<AsyncTxn> txn) {
  const size_t index = (txn->start + txn->attempt) % endpoints_.size();
  Endpoint& endpoint = *endpoints_[index];
  // The context and response live until the callback has run.
  struct Call {
    grpc::ClientContext context;
    etcdserverpb::TxnResponse response;
  };
  auto call = std::make_shared<Call>();
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
  Call* raw = call.get();
  endpoint.kv->async()->Txn(
      &raw->context, &txn->request, &raw->response,
      [this, txn, call = std::move(call), index](grpc::Status status) mutable {
        if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
            txn->attempt + 1 < endpoints_.size()) {
          ++txn->attempt;
          StartTxnAttempt(std::move(txn));
          return;
        }
        if (status.error_code() != grpc::StatusCode::UNAVAILABLE && txn->attempt > 0) {
          current_.store(index);
          spdlog::info("storage: switched to endpoint {}", endpoints_[index]->address);
        }
        absl::Status error = StorageError("txn", status);
        if (!error.ok()) {
          txn->done(error);
        } else {
          txn->done(std::move(call->response));
        }
      });
}

absl::StatusOr<etcdserverpb::DeleteRangeResponse> EtcdClient::DeleteRange(
    const etcdserverpb::DeleteRangeRequest& request) {
  etcdserverpb::DeleteRangeResponse response;
  absl::Status status = Call("delete", [&](Endpoint& e, grpc::ClientContext* ctx) {
    return e.kv->DeleteRange(ctx, request, &response);
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<etcdserverpb::CompactionResponse> EtcdClient::Compact(int64_t revision) {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  etcdserverpb::CompactionResponse response;
  absl::Status status = Call("compact", [&](Endpoint& e, grpc::ClientContext* ctx) {
    return e.kv->Compact(ctx, request, &response);
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<int64_t> EtcdClient::LeaseGrant(int64_t ttl_seconds) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  etcdserverpb::LeaseGrantResponse response;
  absl::Status status = Call("lease grant", [&](Endpoint& e, grpc::ClientContext* ctx) {
    return e.lease->LeaseGrant(ctx, request, &response);
  });
  if (!status.ok()) return status;
  if (!response.error().empty()) {
    return absl::InternalError(absl::StrCat("storage error: lease grant: ", response.error()));
  }
  return response.id();
}

absl::StatusOr<int64_t> EtcdClient::CurrentRevision() {
  etcdserverpb::RangeRequest request;
  request.set_key("\x01minik8s-revision-probe");
  request.set_count_only(true);
  absl::StatusOr<etcdserverpb::RangeResponse> response = Range(request);
  if (!response.ok()) return response.status();
  return response->header().revision();
}

bool EtcdClient::Watch::RequestProgress() {
  absl::MutexLock lock(&mu_);
  if (stream_ == nullptr) return false;
  etcdserverpb::WatchRequest request;
  request.mutable_progress_request();
  return stream_->Write(request);
}

absl::Status EtcdClient::RunWatch(
    const std::string& key, const std::string& range_end, int64_t start_revision,
    const std::function<bool(const etcdserverpb::WatchResponse&)>& on_response, Watch* watch) {
  const size_t index = current_.load() % endpoints_.size();
  Endpoint& endpoint = *endpoints_[index];
  auto stream = endpoint.watch->Watch(&watch->context_);
  etcdserverpb::WatchRequest request;
  etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
  create->set_key(key);
  create->set_range_end(range_end);
  create->set_start_revision(start_revision);
  create->set_prev_kv(true);
  create->set_progress_notify(true);
  if (!stream->Write(request)) {
    grpc::Status status = stream->Finish();
    // Try the next endpoint on the next attempt.
    size_t expected = index;
    current_.compare_exchange_strong(expected, (index + 1) % endpoints_.size());
    return StorageError(
        "watch",
        status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "watch stream closed") : status);
  }
  {
    absl::MutexLock lock(&watch->mu_);
    watch->stream_ = stream.get();
  }
  // Ends the stream for good: no more progress requests are written to it
  // (a write in progress fails at once as the stream is cancelled or broken).
  auto finish = [&]() {
    {
      absl::MutexLock lock(&watch->mu_);
      watch->stream_ = nullptr;
    }
    return stream->Finish();
  };
  etcdserverpb::WatchResponse response;
  bool stopped_by_caller = false;
  while (stream->Read(&response)) {
    if (response.compact_revision() != 0 && response.canceled()) {
      watch->Cancel();
      finish();
      return absl::OutOfRangeError(
          absl::StrCat("required revision has been compacted: ", response.compact_revision()));
    }
    if (response.canceled()) {
      watch->Cancel();
      finish();
      return absl::InternalError(
          absl::StrCat("storage error: watch cancelled: ", response.cancel_reason()));
    }
    if (!on_response(response)) {
      stopped_by_caller = true;
      watch->Cancel();
      break;
    }
  }
  grpc::Status status = finish();
  if (stopped_by_caller || status.error_code() == grpc::StatusCode::CANCELLED) {
    return absl::OkStatus();
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    size_t expected = index;
    current_.compare_exchange_strong(expected, (index + 1) % endpoints_.size());
  }
  if (status.ok()) {
    return absl::UnavailableError("storage is unavailable: watch: stream closed by the store");
  }
  return StorageError("watch", status);
}

}  // namespace minik8s::apiserver
