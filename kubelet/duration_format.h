// Durations written the way Go's time.Duration prints them, rounded to the
// millisecond, as the kubelet's messages show them: "0s", "500ms", "1.2s",
// "10s", "1m20s", "5m0s", "1h0m0s". Pure.
#ifndef MINIK8S_KUBELET_DURATION_FORMAT_H_
#define MINIK8S_KUBELET_DURATION_FORMAT_H_

#include <string>

#include "absl/time/time.h"

namespace minik8s::kubelet {

std::string FormatGoDuration(absl::Duration d);

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_DURATION_FORMAT_H_
