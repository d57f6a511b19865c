// Clientset: an ApiClient plus a typed client per built-in kind — what a
// daemon creates once in main() and hands (by pointer) to its components.
//
//   auto cs = Clientset::Connect({.server = "127.0.0.1:6443"});
//   if (!cs.ok()) ...
//   (*cs)->Pods().Create(pod);
//   (*cs)->For<minik8s::apps::v1::Deployment>().GetScale("default", "web");
//
// Thread safety: all methods are safe from any thread. The Clientset must
// outlive the typed clients, watch streams and informers made from it.
#ifndef MINIK8S_CLIENT_CLIENTSET_H_
#define MINIK8S_CLIENT_CLIENTSET_H_

#include <memory>

#include "absl/status/statusor.h"
#include "client/api_client.h"
#include "client/typed_client.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::client {

class Clientset {
 public:
  static absl::StatusOr<std::unique_ptr<Clientset>> Connect(const ApiClientOptions& options);
  explicit Clientset(std::unique_ptr<ApiClient> api);

  ApiClient* api() const { return api_.get(); }

  template <typename T>
  TypedClient<T> For() const {
    return TypedClient<T>(api_.get());
  }
  TypedClient<minik8s::core::v1::Pod> Pods() const { return For<minik8s::core::v1::Pod>(); }
  TypedClient<minik8s::core::v1::Node> Nodes() const { return For<minik8s::core::v1::Node>(); }
  TypedClient<minik8s::core::v1::Namespace> Namespaces() const {
    return For<minik8s::core::v1::Namespace>();
  }
  TypedClient<minik8s::core::v1::Event> Events() const { return For<minik8s::core::v1::Event>(); }
  TypedClient<minik8s::apps::v1::Deployment> Deployments() const {
    return For<minik8s::apps::v1::Deployment>();
  }
  TypedClient<minik8s::apps::v1::ReplicaSet> ReplicaSets() const {
    return For<minik8s::apps::v1::ReplicaSet>();
  }
  TypedClient<minik8s::coordination::v1::Lease> Leases() const {
    return For<minik8s::coordination::v1::Lease>();
  }

 private:
  std::unique_ptr<ApiClient> api_;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_CLIENTSET_H_
