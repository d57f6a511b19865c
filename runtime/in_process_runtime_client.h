// A RuntimeClient that calls a Runtime in the same process: no sockets, no
// serialization — for the kubelet's scale mode. Blocking calls wait on the
// Runtime's clock (use a real clock). Thread-safe.
#ifndef MINIK8S_RUNTIME_IN_PROCESS_RUNTIME_CLIENT_H_
#define MINIK8S_RUNTIME_IN_PROCESS_RUNTIME_CLIENT_H_

#include <memory>

#include "runtime/runtime.h"
#include "runtime/runtime_client.h"

namespace minik8s::runtime {

// `runtime` is borrowed and must outlive the client.
std::unique_ptr<RuntimeClient> NewInProcessRuntimeClient(Runtime* runtime);

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_IN_PROCESS_RUNTIME_CLIENT_H_
