#include "runtime/container_store.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/sandbox_store.h"

namespace minik8s::runtime {

Container& ContainerStore::Add(std::unique_ptr<Container> c) {
  Container& out = *c;
  containers_[c->id] = std::move(c);
  return out;
}

Container* ContainerStore::Find(const std::string& id) const {
  auto it = containers_.find(id);
  return it == containers_.end() ? nullptr : it->second.get();
}

void ContainerStore::Remove(const std::string& id) { containers_.erase(id); }

std::vector<Container*> ContainerStore::List(const cri::ContainerFilter& f) const {
  std::vector<Container*> found;
  for (const auto& [id, c] : containers_) {
    if (!f.id().empty() && !absl::StartsWith(id, f.id())) continue;
    if (!f.pod_sandbox_id().empty() && !absl::StartsWith(c->sandbox_id, f.pod_sandbox_id())) {
      continue;
    }
    if (f.has_state() && c->state != f.state().state()) continue;
    if (!LabelsMatch(f.label_selector(), c->config.labels())) continue;
    found.push_back(c.get());
  }
  std::sort(found.begin(), found.end(), [](Container* a, Container* b) { return a->seq < b->seq; });
  return found;
}

std::vector<Container*> ContainerStore::All() const {
  std::vector<Container*> out;
  out.reserve(containers_.size());
  for (const auto& [id, c] : containers_) out.push_back(c.get());
  return out;
}

void ContainerStore::FillStatus(const Container& c, cri::ContainerStatus* s) {
  s->set_id(c.id);
  *s->mutable_metadata() = c.config.metadata();
  s->set_state(c.state);
  s->set_created_at(absl::ToUnixNanos(c.created_at));
  if (c.started) s->set_started_at(absl::ToUnixNanos(c.started_at));
  if (c.finished) s->set_finished_at(absl::ToUnixNanos(c.finished_at));
  s->set_exit_code(c.exit_code);
  s->mutable_image()->set_image(c.image_name);
  s->set_image_ref(c.image_ref);
  s->set_reason(c.reason);
  s->set_message(c.message);
  *s->mutable_labels() = c.config.labels();
  *s->mutable_annotations() = c.config.annotations();
  s->set_log_path(c.log_path);
  *s->mutable_resources() = c.config.resources();
  s->set_pod_sandbox_id(c.sandbox_id);
}

void ContainerStore::FillItem(const Container& c, cri::Container* out) {
  out->set_id(c.id);
  out->set_pod_sandbox_id(c.sandbox_id);
  *out->mutable_metadata() = c.config.metadata();
  out->mutable_image()->set_image(c.image_name);
  out->set_image_ref(c.image_ref);
  out->set_state(c.state);
  out->set_created_at(absl::ToUnixNanos(c.created_at));
  *out->mutable_labels() = c.config.labels();
  *out->mutable_annotations() = c.config.annotations();
}

const char* ContainerStateName(cri::ContainerState s) {
  switch (s) {
    case cri::CONTAINER_CREATED:
      return "CREATED";
    case cri::CONTAINER_RUNNING:
      return "RUNNING";
    case cri::CONTAINER_EXITED:
      return "EXITED";
    default:
      return "UNKNOWN";
  }
}

std::optional<std::string> SimulatedProbeFailure(const Container& c, cri::ProbeKind kind,
                                                 absl::Time now) {
  if (c.state != cri::CONTAINER_RUNNING) return "container is not running";
  absl::Duration up = now - c.started_at;
  const SimOptions& s = c.sim;
  switch (kind) {
    case cri::LIVENESS:
      if (s.liveness_fail) return "simulated liveness failure (MINIK8S_SIM_LIVENESS=fail)";
      if (s.liveness_fail_after && up >= *s.liveness_fail_after) {
        return absl::StrCat("simulated liveness failure (MINIK8S_SIM_LIVENESS_FAIL_AFTER=",
                            absl::FormatDuration(*s.liveness_fail_after), ")");
      }
      break;
    case cri::READINESS:
      if (s.readiness_fail) return "simulated readiness failure (MINIK8S_SIM_READINESS=fail)";
      if (s.ready_after && up < *s.ready_after) {
        return absl::StrCat("simulated: not ready yet (MINIK8S_SIM_READY_AFTER=",
                            absl::FormatDuration(*s.ready_after), ")");
      }
      break;
    case cri::STARTUP:
      if (s.startup_after && up < *s.startup_after) {
        return absl::StrCat("simulated: not started yet (MINIK8S_SIM_STARTUP_AFTER=",
                            absl::FormatDuration(*s.startup_after), ")");
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

}  // namespace minik8s::runtime
