#include "controllers/certificates/certificate_controller.h"

#include <utility>

#include "client/resource.h"

namespace minik8s::controllers {
namespace {

client::WorkQueueOptions QueueOptions(const std::string& name) {
  client::WorkQueueOptions o;
  o.name = name;
  return o;
}

}  // namespace

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
  workers_.Start(
      &queue_, workers, [this](const std::string& key) { return Sync(key); }, name_,
      "certificate signing request");
}

void CertificateController::Stop() {
  queue_.ShutDown();
  workers_.Join();
}

absl::Status CertificateController::Sync(const std::string& key) {
  CsrPtr csr = lister_.GetByKey(key);
  if (csr == nullptr) return absl::OkStatus();                        // deleted
  if (!csr->status().certificate().empty()) return absl::OkStatus();  // already signed
  return handler_(*csr);
}

}  // namespace minik8s::controllers
