// The loop the certificate controllers share (Kubernetes'
// pkg/controller/certificates CertificateController): the CSR informer's
// handlers enqueue the CSR's name on add, update and delete; workers take a
// name, read the CSR from the cache and, when it exists and has no
// certificate yet, call the controller's handler (the approver's or the
// signer's decision). The workers are the shared reconcile loop
// (controllers/util/worker.h): a handler error re-queues the name
// rate-limited and is logged as a warning, unless it is an IgnorableError
// (an expected state, e.g. "recognized, but the SubjectAccessReview was not
// allowed"), logged at debug level only.
//
// Thread safety: handlers and Sync are safe from any thread; the work queue
// keeps one name on one worker at a time. The lister's informer and the
// handler's captures are borrowed and must outlive the controller.
#ifndef MINIK8S_CONTROLLERS_CERTIFICATES_CERTIFICATE_CONTROLLER_H_
#define MINIK8S_CONTROLLERS_CERTIFICATES_CERTIFICATE_CONTROLLER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "client/informer.h"
#include "client/lister.h"
#include "client/workqueue.h"
#include "controllers/util/worker.h"  // IgnorableError, IsIgnorable
#include "k8s/certificates/v1/certificates.pb.h"

namespace minik8s::controllers {

class CertificateController {
 public:
  using Csr = minik8s::certificates::v1::CertificateSigningRequest;
  using CsrPtr = std::shared_ptr<const Csr>;
  using Handler = std::function<absl::Status(const Csr& csr)>;

  // `name` names the queue and the logs ("csrapproving", "csrsigning").
  CertificateController(std::string name, client::Lister<Csr> lister, Handler handler);
  ~CertificateController();  // Stop()
  CertificateController(const CertificateController&) = delete;
  CertificateController& operator=(const CertificateController&) = delete;

  // Adds the handlers to the informer (which must outlive the controller).
  void RegisterHandlers(client::Informer<Csr>* informer);
  // Starts `workers` threads; Stop() shuts the queue down and joins them.
  void Run(int workers);
  void Stop();

  // One reconcile of the CSR named `key`.
  absl::Status Sync(const std::string& key);

  client::WorkQueue* queue() { return &queue_; }

 private:
  const std::string name_;
  client::Lister<Csr> lister_;
  const Handler handler_;
  client::WorkQueue queue_;
  WorkerPool workers_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_CERTIFICATES_CERTIFICATE_CONTROLLER_H_
