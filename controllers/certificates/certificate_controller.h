// The loop the certificate controllers share (Kubernetes'
// pkg/controller/certificates CertificateController): the CSR informer's
// handlers enqueue the CSR's name on add, update and delete; workers take a
// name, read the CSR from the cache and, when it exists and has no
// certificate yet, call the controller's handler (the approver's or the
// signer's decision). A handler error re-queues the name rate-limited and is
// logged as a warning, unless it is an IgnorableError (an expected state,
// e.g. "recognized, but the SubjectAccessReview was not allowed"), logged
// at debug level only.
//
// Thread safety: handlers and Sync are safe from any thread; the work queue
// keeps one name on one worker at a time. The lister's informer and the
// handler's captures are borrowed and must outlive the controller.
#ifndef MINIK8S_CONTROLLERS_CERTIFICATES_CERTIFICATE_CONTROLLER_H_
#define MINIK8S_CONTROLLERS_CERTIFICATES_CERTIFICATE_CONTROLLER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/informer.h"
#include "client/lister.h"
#include "client/workqueue.h"
#include "k8s/certificates/v1/certificates.pb.h"

namespace minik8s::controllers {

// An error that re-queues the CSR without a warning (Kubernetes'
// IgnorableError): FailedPrecondition carrying a marker payload.
absl::Status IgnorableError(absl::string_view message);
bool IsIgnorable(const absl::Status& status);

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
  void Work();

  const std::string name_;
  client::Lister<Csr> lister_;
  const Handler handler_;
  client::WorkQueue queue_;
  std::vector<std::thread> workers_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_CERTIFICATES_CERTIFICATE_CONTROLLER_H_
