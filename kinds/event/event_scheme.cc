// Event: the scheme entry.
#include "k8s/core/v1/core.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo EventScheme() {
  return ResourceKind<core::v1::Event, core::v1::EventList>("", "Event", "events", "event", {"ev"},
                                                            true);
}

}  // namespace minik8s::api
