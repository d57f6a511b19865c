#include "controllers/serviceaccount/serviceaccounts_controller.h"

#include <utility>

#include "absl/strings/match.h"
#include "api/errors.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

class ApiServiceAccountClient : public ServiceAccountClient {
 public:
  explicit ApiServiceAccountClient(const client::Clientset* cs) : cs_(cs) {}

  absl::Status CreateServiceAccount(const core::v1::ServiceAccount& account) override {
    return cs_->For<core::v1::ServiceAccount>().Create(account).status();
  }

 private:
  const client::Clientset* cs_;
};

client::WorkQueueOptions QueueOptions() {
  client::WorkQueueOptions o;
  o.name = "serviceaccount";  // Kubernetes' queue name
  return o;
}

bool Terminating(const core::v1::Namespace& ns) {
  return ns.metadata().has_deletion_timestamp() || ns.status().phase() == "Terminating";
}

}  // namespace

std::unique_ptr<ServiceAccountClient> NewApiServiceAccountClient(
    const client::Clientset* clientset) {
  return std::make_unique<ApiServiceAccountClient>(clientset);
}

bool NeedsDefaultServiceAccount(const core::v1::Namespace* ns, bool has_default) {
  return ns != nullptr && !Terminating(*ns) && !has_default;
}

ServiceAccountsController::ServiceAccountsController(client::Lister<Namespace> namespaces,
                                                     client::Lister<ServiceAccount> accounts,
                                                     ServiceAccountClient* client)
    : namespaces_(namespaces), accounts_(accounts), client_(client), queue_(QueueOptions()) {}

ServiceAccountsController::~ServiceAccountsController() { Stop(); }

void ServiceAccountsController::RegisterHandlers(client::Informer<Namespace>* namespaces,
                                                 client::Informer<ServiceAccount>* accounts) {
  namespaces->AddEventHandler({
      .on_add =
          [this](const std::shared_ptr<const Namespace>& ns) { queue_.Add(ns->metadata().name()); },
      .on_update =
          [this](const std::shared_ptr<const Namespace>&,
                 const std::shared_ptr<const Namespace>& ns) { queue_.Add(ns->metadata().name()); },
  });
  accounts->AddEventHandler({
      .on_delete =
          [this](const std::shared_ptr<const ServiceAccount>& account, bool) {
            if (account->metadata().name() == kDefaultServiceAccountName) {
              queue_.Add(account->metadata().namespace_());
            }
          },
  });
}

void ServiceAccountsController::Run(int workers) {
  workers_.Start(
      &queue_, workers, [this](const std::string& key) { return Sync(key); }, "serviceaccount",
      "namespace");
}

void ServiceAccountsController::Stop() {
  queue_.ShutDown();
  workers_.Join();
}

absl::Status ServiceAccountsController::Sync(const std::string& name) {
  std::shared_ptr<const Namespace> ns = namespaces_.Get("", name);
  const bool has_default = accounts_.Get(name, kDefaultServiceAccountName) != nullptr;
  if (!NeedsDefaultServiceAccount(ns.get(), has_default)) return absl::OkStatus();
  ServiceAccount account;
  account.mutable_metadata()->set_namespace_(name);
  account.mutable_metadata()->set_name(kDefaultServiceAccountName);
  absl::Status created = client_->CreateServiceAccount(account);
  if (created.ok()) {
    spdlog::info("serviceaccount: created ServiceAccount {}/{}", name, kDefaultServiceAccountName);
    return absl::OkStatus();
  }
  if (api::IsAlreadyExists(created)) return absl::OkStatus();
  // The namespace began terminating after the cache saw it.
  if (absl::IsPermissionDenied(created) &&
      absl::StrContains(created.message(), "because it is being terminated")) {
    return absl::OkStatus();
  }
  return created;
}

}  // namespace minik8s::controllers
