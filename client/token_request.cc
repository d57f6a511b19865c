#include "client/token_request.h"

#include "absl/strings/str_cat.h"

namespace minik8s::client {

using minik8s::authentication::v1::TokenRequest;

absl::StatusOr<TokenRequest> ServiceAccountTokenClient::Request(const std::string& ns,
                                                                const std::string& service_account,
                                                                const TokenRequest& request) {
  for (const std::string* name : {&ns, &service_account}) {
    if (name->empty() || name->find_first_of("/?#% ") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("invalid name \"", *name, "\""));
    }
  }
  TokenRequest answer;
  absl::Status status =
      api_->CreateSubresource("serviceaccounts", ns, service_account, "token", request, &answer);
  if (!status.ok()) return status;
  return answer;
}

}  // namespace minik8s::client
