// The kubelet writes durations in its messages as Go prints them; the
// formatter is the one every component shares (common/duration.h).
#ifndef MINIK8S_KUBELET_DURATION_FORMAT_H_
#define MINIK8S_KUBELET_DURATION_FORMAT_H_

#include "common/duration.h"

namespace minik8s::kubelet {

using ::minik8s::FormatGoDuration;

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_DURATION_FORMAT_H_
