#include "controllers/certificates/certificate_controller.h"

#include <utility>

#include "absl/strings/cord.h"
#include "client/resource.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

constexpr char kIgnorablePayload[] = "minik8s.io/controllers/certificates/ignorable";

client::WorkQueueOptions QueueOptions(const std::string& name) {
  client::WorkQueueOptions o;
  o.name = name;
  return o;
}

}  // namespace

absl::Status IgnorableError(absl::string_view message) {
  absl::Status s = absl::FailedPreconditionError(message);
  s.SetPayload(kIgnorablePayload, absl::Cord("1"));
  return s;
}

bool IsIgnorable(const absl::Status& status) {
  return status.GetPayload(kIgnorablePayload).has_value();
}

CertificateController::CertificateController(std::string name, client::Lister<Csr> lister,
                                             Handler handler)
    : name_(std::move(name)),
      lister_(lister),
      handler_(std::move(handler)),
      queue_(QueueOptions(name_)) {}

CertificateController::~CertificateController() { Stop(); }

void CertificateController::RegisterHandlers(client::Informer<Csr>* informer) {
  informer->AddEventHandler({
      .on_add = [this](const CsrPtr& c) { queue_.Add(client::KeyOf(*c)); },
      .on_update = [this](const CsrPtr&, const CsrPtr& c) { queue_.Add(client::KeyOf(*c)); },
      .on_delete = [this](const CsrPtr& c, bool) { queue_.Add(client::KeyOf(*c)); },
  });
}

void CertificateController::Run(int workers) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
}

void CertificateController::Stop() {
  queue_.ShutDown();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

void CertificateController::Work() {
  std::string key;
  while (queue_.Get(&key)) {
    absl::Status s = Sync(key);
    if (s.ok()) {
      queue_.Forget(key);
    } else {
      if (IsIgnorable(s)) {
        spdlog::debug("{}: {}", name_, std::string(s.message()));
      } else {
        spdlog::warn("{}: error syncing certificate signing request {} (retry {}): {}", name_, key,
                     queue_.NumRequeues(key) + 1, s.ToString());
      }
      queue_.AddRateLimited(key);
    }
    queue_.Done(key);
  }
}

absl::Status CertificateController::Sync(const std::string& key) {
  CsrPtr csr = lister_.GetByKey(key);
  if (csr == nullptr) return absl::OkStatus();                        // deleted
  if (!csr->status().certificate().empty()) return absl::OkStatus();  // already signed
  return handler_(*csr);
}

}  // namespace minik8s::controllers
