// The client library's names for the shared API error library (api/errors.h).
#ifndef MINIK8S_CLIENT_ERRORS_H_
#define MINIK8S_CLIENT_ERRORS_H_

#include "api/errors.h"

namespace minik8s::client {

using api::FromGrpcError;
using api::FromStatusObject;
using api::IsAlreadyExists;
using api::IsBadRequest;
using api::IsConflict;
using api::IsGone;
using api::IsInvalid;
using api::IsNotFound;
using api::IsResourceExpired;
using api::IsUnavailable;
using api::kReasonAlreadyExists;
using api::kReasonBadRequest;
using api::kReasonConflict;
using api::kReasonExpired;
using api::kReasonForbidden;
using api::kReasonGone;
using api::kReasonInvalid;
using api::kReasonNotFound;
using api::kReasonServiceUnavailable;
using api::kReasonTimeout;
using api::kStatusPayloadUrl;
using api::NewAlreadyExists;
using api::NewApiError;
using api::NewConflict;
using api::NewInvalid;
using api::NewNotFound;
using api::NewResourceExpired;
using api::Reason;
using api::StatusObject;

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_ERRORS_H_
