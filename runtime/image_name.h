// Image references as a registry client sees them.
//
// NormalizeImageName follows Docker's reference rules: a name without a
// registry gets "docker.io", a single-component Docker Hub name gets
// "library/", and a name without tag or digest gets ":latest":
//   "nginx"              -> "docker.io/library/nginx:latest"
//   "nginx:1.14.2"       -> "docker.io/library/nginx:1.14.2"
//   "bitnami/redis"      -> "docker.io/bitnami/redis:latest"
//   "localhost:5000/app" -> "localhost:5000/app:latest"
//   "gcr.io/x/y@sha256:…" stays as given.
// Pure functions; thread-safe.
#ifndef MINIK8S_RUNTIME_IMAGE_NAME_H_
#define MINIK8S_RUNTIME_IMAGE_NAME_H_

#include <string>

#include "absl/strings/string_view.h"

namespace minik8s::runtime {

// Returns the normalized reference, or "" for an empty or blank name.
std::string NormalizeImageName(absl::string_view image);

// The repository part of a normalized reference (no tag, no digest):
// "docker.io/library/nginx:1.14.2" -> "docker.io/library/nginx".
std::string ImageRepository(absl::string_view normalized);

// Lower-case hex SHA-256 of `data` (64 characters): the simulation's digests.
std::string Sha256Hex(absl::string_view data);

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_IMAGE_NAME_H_
