#include "kubectl/cmd/create_deployment.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace minik8s::kubectl {

std::string ContainerNameForImage(const std::string& image) {
  std::string name = image;
  const size_t slash = name.rfind('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  const size_t at = name.find('@');
  if (at != std::string::npos) name = name.substr(0, at);
  const size_t colon = name.find(':');
  if (colon != std::string::npos) name = name.substr(0, colon);
  std::string out;
  for (char c : absl::AsciiStrToLower(name)) {
    out += (absl::ascii_isalnum(c) || c == '-') ? c : '-';
  }
  return out;
}

absl::StatusOr<apps::v1::Deployment> BuildDeployment(const std::string& name,
                                                     const std::vector<std::string>& images,
                                                     int replicas, int port) {
  if (name.empty()) return absl::InvalidArgumentError("NAME is required");
  if (images.empty()) return absl::InvalidArgumentError("at least one image must be specified");
  if (replicas < 0) {
    return absl::InvalidArgumentError("--replicas must be greater than or equal to 0");
  }
  apps::v1::Deployment d;
  (*d.mutable_metadata()->mutable_labels())["app"] = name;
  d.mutable_metadata()->set_name(name);
  d.mutable_spec()->set_replicas(replicas);
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = name;
  auto* tmpl = d.mutable_spec()->mutable_template_();
  (*tmpl->mutable_metadata()->mutable_labels())["app"] = name;
  std::set<std::string> used;
  for (const std::string& image : images) {
    auto* c = tmpl->mutable_spec()->add_containers();
    std::string cname = ContainerNameForImage(image);
    if (used.count(cname) > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate container name \"", cname, "\" from image \"", image, "\""));
    }
    used.insert(cname);
    c->set_name(cname);
    c->set_image(image);
    if (port >= 0) c->add_ports()->set_container_port(port);
  }
  return d;
}

}  // namespace minik8s::kubectl
