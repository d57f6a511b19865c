// The root CA publisher (Kubernetes' root-ca-cert-publisher,
// pkg/controller/certificates/rootcacertpublisher): every namespace that is
// not terminating holds the ConfigMap "kube-root-ca.crt" whose key "ca.crt"
// is the cluster CA bundle (PEM) pods use to verify the apiserver, with
// Kubernetes' kubernetes.io/description annotation. A deleted one is made
// again; changed data (or a missing annotation) is put back. Other keys of
// data are dropped on that update, binaryData and other metadata are kept.
//
// The namespace informer enqueues a namespace on add and on every update of
// an Active namespace; the ConfigMap informer (only kube-root-ca.crt objects)
// enqueues the namespace of an updated or deleted one. A worker takes a
// namespace and decides with PublishAction (from the caches): nothing for a
// namespace that is gone or terminating, or whose ConfigMap is right;
// otherwise a create or an update. A create that finds the ConfigMap there
// (the cache was behind) or the namespace gone or terminating ends the
// sync; other errors are retried rate-limited.
//
// Thread safety: handlers and Sync are safe from any thread; the work queue
// keeps one key on one worker at a time. The listers' informers and the
// client are borrowed and must outlive the controller.
#ifndef MINIK8S_CONTROLLERS_ROOTCACERTPUBLISHER_ROOT_CA_CERT_PUBLISHER_H_
#define MINIK8S_CONTROLLERS_ROOTCACERTPUBLISHER_ROOT_CA_CERT_PUBLISHER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/clientset.h"
#include "client/informer.h"
#include "client/lister.h"
#include "client/workqueue.h"
#include "controllers/util/worker.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

inline constexpr char kRootCACertConfigMapName[] = "kube-root-ca.crt";
inline constexpr char kRootCACertKey[] = "ca.crt";
inline constexpr char kDescriptionAnnotation[] = "kubernetes.io/description";
// Kubernetes' text, word for word: clients compare it.
inline constexpr char kRootCACertDescription[] =
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
    "guaranteed across distributions of Kubernetes clusters.";

// Creates and updates ConfigMaps, behind an interface so the controller is
// tested against a fake. The apiserver's error as is.
class ConfigMapClient {
 public:
  virtual ~ConfigMapClient() = default;
  virtual absl::Status CreateConfigMap(const core::v1::ConfigMap& config_map) = 0;
  virtual absl::Status UpdateConfigMap(const core::v1::ConfigMap& config_map) = 0;
};

// Over the apiserver; `clientset` is borrowed and must outlive the result.
std::unique_ptr<ConfigMapClient> NewApiConfigMapClient(const client::Clientset* clientset);

// The CA bundle to publish: the PEM file `root_ca_file` when given (an
// error naming the file when it is missing, empty or holds anything but
// CERTIFICATE blocks), else the CA the controller-manager's own connection
// trusts (`client`'s TLS CA, inline or from its file). "" when there is
// neither (a plaintext cluster): the controller does not run.
absl::StatusOr<std::string> RootCABundle(const std::string& root_ca_file,
                                         const client::ApiClientOptions& client);

// What a sync of a namespace does.
enum class PublishAction { kNothing, kCreate, kUpdate };
// `ns` and `config_map` from the caches (nullptr: not there).
PublishAction DecidePublish(const core::v1::Namespace* ns, const core::v1::ConfigMap* config_map,
                            const std::string& root_ca);

class RootCACertPublisher {
 public:
  using ConfigMap = core::v1::ConfigMap;
  using Namespace = core::v1::Namespace;

  // `root_ca`: the PEM bundle to publish (not empty).
  RootCACertPublisher(client::Lister<Namespace> namespaces, client::Lister<ConfigMap> config_maps,
                      ConfigMapClient* client, std::string root_ca);
  ~RootCACertPublisher();  // Stop()
  RootCACertPublisher(const RootCACertPublisher&) = delete;
  RootCACertPublisher& operator=(const RootCACertPublisher&) = delete;

  // The field selector of the ConfigMap informer the controller needs
  // (metadata.name=kube-root-ca.crt).
  static std::string ConfigMapFieldSelector();

  // Adds the handlers to the informers (which must outlive the controller).
  void RegisterHandlers(client::Informer<Namespace>* namespaces,
                        client::Informer<ConfigMap>* config_maps);
  // Starts `workers` threads (one, as kube-controller-manager runs it);
  // Stop() shuts the queue down and joins them.
  void Run(int workers = 1);
  void Stop();

  // One reconcile of the namespace `name`.
  absl::Status Sync(const std::string& name);

  client::WorkQueue* queue() { return &queue_; }

 private:
  ConfigMap Desired(const std::string& ns) const;

  client::Lister<Namespace> namespaces_;
  client::Lister<ConfigMap> config_maps_;
  ConfigMapClient* const client_;
  const std::string root_ca_;
  client::WorkQueue queue_;
  WorkerPool workers_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_ROOTCACERTPUBLISHER_ROOT_CA_CERT_PUBLISHER_H_
