#include "kubectl/logs/log_source.h"

#include "absl/strings/str_cat.h"

namespace minik8s::kubectl {
namespace {

class UnavailableLogSource : public LogSource {
 public:
  absl::Status Stream(const LogRequest& request,
                      const std::function<bool(absl::string_view)>& sink) override {
    return absl::UnimplementedError(absl::StrCat(
        "logs are not available yet: reading container logs needs the kubelet's log endpoint, "
        "which minik8s does not have yet (pod \"", request.pod, "\", container \"",
        request.container, "\")"));
  }
};

}  // namespace

std::unique_ptr<LogSource> NewUnavailableLogSource() {
  return std::make_unique<UnavailableLogSource>();
}

}  // namespace minik8s::kubectl
