#include "runtime/image_store.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/image_name.h"
#include "spdlog/spdlog.h"

namespace minik8s::runtime {

ImageRecord ImageStore::Synthesize(const std::string& name) {
  ImageRecord img;
  img.name = name;
  std::string hex = Sha256Hex(name);
  img.id = absl::StrCat("sha256:", hex);
  img.repo_digest = absl::StrContains(name, '@')
                        ? name
                        : absl::StrCat(ImageRepository(name),
                                       "@sha256:", Sha256Hex(absl::StrCat("manifest:", name)));
  uint64_t h = 0;
  absl::SimpleHexAtoi(hex.substr(0, 12), &h);
  img.size = 5'000'000 + h % 200'000'000;
  return img;
}

const ImageRecord* ImageStore::Find(absl::string_view ref) const {
  std::string s(absl::StripAsciiWhitespace(ref));
  if (s.empty()) return nullptr;
  bool bare_hex = s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
                    return std::isxdigit(static_cast<unsigned char>(c));
                  });
  if (absl::StartsWith(s, "sha256:") || bare_hex) {
    std::string id = bare_hex ? absl::StrCat("sha256:", s) : s;
    for (const auto& [name, img] : images_) {
      if (img->id == id) return img.get();
    }
    return nullptr;
  }
  std::string name = NormalizeImageName(s);
  if (auto it = images_.find(name); it != images_.end()) return it->second.get();
  for (const auto& [n, img] : images_) {
    if (img->repo_digest == name) return img.get();
  }
  return nullptr;
}

absl::StatusOr<const ImageRecord*> ImageStore::CompletePull(const std::string& name) {
  if (IsMissing(name)) {
    spdlog::info("pull of {} failed: not found", name);
    return absl::NotFoundError(absl::StrCat("failed to pull and unpack image \"", name,
                                            "\": failed to resolve reference \"", name,
                                            "\": ", name, ": not found"));
  }
  auto img = std::make_unique<ImageRecord>(Synthesize(name));
  const ImageRecord* stored = img.get();
  images_[name] = std::move(img);
  spdlog::debug("pulled {}", name);
  return stored;
}

void ImageStore::Remove(absl::string_view ref) {
  if (const ImageRecord* img = Find(ref)) images_.erase(img->name);
}

std::vector<const ImageRecord*> ImageStore::List() const {
  std::vector<const ImageRecord*> out;
  out.reserve(images_.size());
  for (const auto& [name, img] : images_) out.push_back(img.get());
  return out;
}

bool ImageStore::IsMissing(const std::string& normalized) const {
  std::string lower = absl::AsciiStrToLower(normalized);
  if (absl::StrContains(lower, "doesnotexist") || absl::StrContains(lower, "notfound")) {
    return true;
  }
  for (const auto& m : options_.missing_images) {
    if (NormalizeImageName(m) == normalized) return true;
  }
  return false;
}

absl::Duration ImageStore::PullDelayFor(const std::string& normalized) const {
  for (const auto& [image, delay] : options_.pull_delay_for) {
    if (NormalizeImageName(image) == normalized) return delay;
  }
  return options_.pull_delay;
}

cri::Image ImageStore::ToProto(const ImageRecord& image) {
  cri::Image out;
  out.set_id(image.id);
  if (!absl::StrContains(image.name, '@')) out.add_repo_tags(image.name);
  out.add_repo_digests(image.repo_digest);
  out.set_size(image.size);
  return out;
}

}  // namespace minik8s::runtime
