#include "controllers/rootcacertpublisher/root_ca_cert_publisher.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "common/tls.h"
#include "pki/pem_check.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

using core::v1::ConfigMap;
using core::v1::Namespace;

class ApiConfigMapClient : public ConfigMapClient {
 public:
  explicit ApiConfigMapClient(const client::Clientset* cs) : cs_(cs) {}

  absl::Status CreateConfigMap(const ConfigMap& config_map) override {
    return cs_->For<ConfigMap>().Create(config_map).status();
  }
  absl::Status UpdateConfigMap(const ConfigMap& config_map) override {
    return cs_->For<ConfigMap>().Update(config_map).status();
  }

 private:
  const client::Clientset* cs_;
};

client::WorkQueueOptions QueueOptions() {
  client::WorkQueueOptions o;
  o.name = "root_ca_cert_publisher";  // Kubernetes' queue name
  return o;
}

bool Terminating(const Namespace& ns) {
  return ns.metadata().has_deletion_timestamp() || ns.status().phase() == "Terminating";
}

// The apiserver refuses new objects in a terminating namespace.
bool NamespaceTerminatingRefusal(const absl::Status& status) {
  return absl::IsPermissionDenied(status) &&
         absl::StrContains(status.message(), "because it is being terminated");
}

}  // namespace

std::unique_ptr<ConfigMapClient> NewApiConfigMapClient(const client::Clientset* clientset) {
  return std::make_unique<ApiConfigMapClient>(clientset);
}

absl::StatusOr<std::string> RootCABundle(const std::string& root_ca_file,
                                         const client::ApiClientOptions& client) {
  if (!root_ca_file.empty()) {
    absl::StatusOr<std::string> pem = ReadPemFile(root_ca_file);
    if (!pem.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--root-ca-file: ", pem.status().message()));
    }
    if (absl::Status checked = pki::CheckCertificatePem(*pem); !checked.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--root-ca-file: ", root_ca_file, ": ", checked.message()));
    }
    return pem;
  }
  if (!client.tls.has_value()) return std::string();
  if (!client.tls->ca_pem.empty()) return client.tls->ca_pem;
  if (client.tls->ca_file.empty()) return std::string();  // the system's roots: none to publish
  absl::StatusOr<std::string> pem = ReadPemFile(client.tls->ca_file);
  if (!pem.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the kubeconfig's certificate authority: ", pem.status().message()));
  }
  return pem;
}

PublishAction DecidePublish(const Namespace* ns, const ConfigMap* config_map,
                            const std::string& root_ca) {
  if (ns == nullptr || Terminating(*ns)) return PublishAction::kNothing;
  if (config_map == nullptr) return PublishAction::kCreate;
  const auto& data = config_map->data();
  const bool data_right =
      data.size() == 1 && data.contains(kRootCACertKey) && data.at(kRootCACertKey) == root_ca;
  auto annotation = config_map->metadata().annotations().find(kDescriptionAnnotation);
  const bool described =
      annotation != config_map->metadata().annotations().end() && !annotation->second.empty();
  return data_right && described ? PublishAction::kNothing : PublishAction::kUpdate;
}

RootCACertPublisher::RootCACertPublisher(client::Lister<Namespace> namespaces,
                                         client::Lister<ConfigMap> config_maps,
                                         ConfigMapClient* client, std::string root_ca)
    : namespaces_(namespaces),
      config_maps_(config_maps),
      client_(client),
      root_ca_(std::move(root_ca)),
      queue_(QueueOptions()) {}

RootCACertPublisher::~RootCACertPublisher() { Stop(); }

std::string RootCACertPublisher::ConfigMapFieldSelector() {
  return absl::StrCat("metadata.name=", kRootCACertConfigMapName);
}

void RootCACertPublisher::RegisterHandlers(client::Informer<Namespace>* namespaces,
                                           client::Informer<ConfigMap>* config_maps) {
  namespaces->AddEventHandler({
      .on_add =
          [this](const std::shared_ptr<const Namespace>& ns) { queue_.Add(ns->metadata().name()); },
      .on_update =
          [this](const std::shared_ptr<const Namespace>&,
                 const std::shared_ptr<const Namespace>& ns) {
            if (ns->status().phase() == "Active") queue_.Add(ns->metadata().name());
          },
  });
  auto enqueue = [this](const ConfigMap& config_map) {
    if (config_map.metadata().name() == kRootCACertConfigMapName) {
      queue_.Add(config_map.metadata().namespace_());
    }
  };
  config_maps->AddEventHandler({
      .on_update =
          [enqueue](const std::shared_ptr<const ConfigMap>&,
                    const std::shared_ptr<const ConfigMap>& config_map) { enqueue(*config_map); },
      .on_delete = [enqueue](const std::shared_ptr<const ConfigMap>& config_map,
                             bool) { enqueue(*config_map); },
  });
}

void RootCACertPublisher::Run(int workers) {
  workers_.Start(
      &queue_, workers, [this](const std::string& key) { return Sync(key); },
      "root-ca-cert-publisher", "namespace");
}

void RootCACertPublisher::Stop() {
  queue_.ShutDown();
  workers_.Join();
}

ConfigMap RootCACertPublisher::Desired(const std::string& ns) const {
  ConfigMap config_map;
  config_map.mutable_metadata()->set_name(kRootCACertConfigMapName);
  config_map.mutable_metadata()->set_namespace_(ns);
  (*config_map.mutable_metadata()->mutable_annotations())[kDescriptionAnnotation] =
      kRootCACertDescription;
  (*config_map.mutable_data())[kRootCACertKey] = root_ca_;
  return config_map;
}

absl::Status RootCACertPublisher::Sync(const std::string& name) {
  std::shared_ptr<const Namespace> ns = namespaces_.Get("", name);
  std::shared_ptr<const ConfigMap> current = config_maps_.Get(name, kRootCACertConfigMapName);
  switch (DecidePublish(ns.get(), current.get(), root_ca_)) {
    case PublishAction::kNothing:
      return absl::OkStatus();
    case PublishAction::kCreate: {
      absl::Status created = client_->CreateConfigMap(Desired(name));
      if (created.ok()) {
        spdlog::info("root-ca-cert-publisher: created ConfigMap {}/{}", name,
                     kRootCACertConfigMapName);
        return absl::OkStatus();
      }
      // The cache was behind (its update comes next), or the namespace went
      // away or began terminating after the cache saw it.
      if (api::IsAlreadyExists(created) || api::IsNotFound(created) ||
          NamespaceTerminatingRefusal(created)) {
        return absl::OkStatus();
      }
      return created;
    }
    case PublishAction::kUpdate: {
      // A copy: the cache's object is shared and immutable.
      ConfigMap updated = *current;
      updated.clear_data();
      (*updated.mutable_data())[kRootCACertKey] = root_ca_;
      (*updated.mutable_metadata()->mutable_annotations())[kDescriptionAnnotation] =
          kRootCACertDescription;
      absl::Status status = client_->UpdateConfigMap(updated);
      if (status.ok()) {
        spdlog::info("root-ca-cert-publisher: updated ConfigMap {}/{}", name,
                     kRootCACertConfigMapName);
      }
      // A Conflict or NotFound (a newer or deleted object) is retried; the
      // informer's event brings the namespace back in any case.
      return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace minik8s::controllers
