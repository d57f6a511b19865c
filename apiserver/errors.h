// The apiserver's names for the shared API error library (api/errors.h).
#ifndef MINIK8S_APISERVER_ERRORS_H_
#define MINIK8S_APISERVER_ERRORS_H_

#include "api/errors.h"

namespace minik8s::apiserver {

using api::kStatusPayloadUrl;
using api::NewAlreadyExists;
using api::NewApiError;
using api::NewBadRequest;
using api::NewConflict;
using api::NewForbidden;
using api::NewGone;
using api::NewInternalError;
using api::NewInvalid;
using api::NewMethodNotSupported;
using api::NewNotFound;
using api::NewServiceUnavailable;
using api::NewStaleConflict;
using api::NewTimeout;
using api::Reason;
using api::ToApiStatus;

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_ERRORS_H_
