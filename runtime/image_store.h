// ImageStore: the simulated node's images and the simulated registry behind
// them. An image "pulled" from the registry gets an id, a repo digest and a
// size derived from its name (the same on every run and every node); the
// registry knows every name except those configured missing and those
// containing "doesnotexist" or "notfound", and each pull takes the
// configured delay.
//
// Thread-compatible: the owner (Runtime, under its mutex) serialises calls.
#ifndef MINIK8S_RUNTIME_IMAGE_STORE_H_
#define MINIK8S_RUNTIME_IMAGE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cri/v1/api.pb.h"

namespace minik8s::runtime {

namespace cri = ::minik8s::cri::v1;

struct ImageRecord {
  std::string name;  // normalized ("docker.io/library/nginx:1.14.2")
  std::string id;    // "sha256:<64 hex>"
  std::string repo_digest;
  uint64_t size = 0;
};

struct ImageRegistryOptions {
  // Time a pull of an absent image takes.
  absl::Duration pull_delay = absl::ZeroDuration();
  // Per-image pull time, keyed by image name as a user writes it; names are
  // normalized before matching.
  std::map<std::string, absl::Duration> pull_delay_for;
  // Images whose pull fails with "not found".
  std::vector<std::string> missing_images;
};

class ImageStore {
 public:
  explicit ImageStore(ImageRegistryOptions options) : options_(std::move(options)) {}

  // The image as the simulated registry serves it (no lookup, no store).
  static ImageRecord Synthesize(const std::string& normalized);

  // A stored image by reference: a name (normalized first), an image id
  // ("sha256:…" or its 64 bare hex digits) or a repo digest. Null when
  // absent or `ref` is blank.
  const ImageRecord* Find(absl::string_view ref) const;
  // Stores the image as the registry serves it (replacing one of that name)
  // or fails with NotFound as a registry does for a missing one.
  absl::StatusOr<const ImageRecord*> CompletePull(const std::string& normalized);
  // Forgets the image `ref` names; no-op when absent.
  void Remove(absl::string_view ref);
  // Every stored image, by name.
  std::vector<const ImageRecord*> List() const;

  // Whether the registry has no such image (normalized name).
  bool IsMissing(const std::string& normalized) const;
  // How long pulling the image (normalized name) takes.
  absl::Duration PullDelayFor(const std::string& normalized) const;

  // The CRI view of a stored image.
  static cri::Image ToProto(const ImageRecord& image);

 private:
  const ImageRegistryOptions options_;
  // Keyed by normalized name.
  std::map<std::string, std::unique_ptr<ImageRecord>> images_;
};

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_IMAGE_STORE_H_
