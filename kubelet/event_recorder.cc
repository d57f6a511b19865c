#include "kubelet/event_recorder.h"

#include <atomic>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "api/time.h"
#include "spdlog/spdlog.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;

core::Event MakePodEvent(const core::Pod& pod, const std::string& field_path,
                         const std::string& type, const std::string& reason,
                         const std::string& message, const std::string& host) {
  static std::atomic<uint64_t> seq{0};
  absl::Time now = absl::Now();
  core::Event e;
  // Like client-go: "<name>.<hex of the time in nanoseconds>", plus a
  // sequence number so two Events in one nanosecond differ.
  e.mutable_metadata()->set_name(absl::StrFormat("%s.%x%x", pod.metadata().name(),
                                                 absl::ToUnixNanos(now), seq.fetch_add(1) & 0xff));
  e.mutable_metadata()->set_namespace_(pod.metadata().namespace_());
  auto* ref = e.mutable_involved_object();
  ref->set_kind("Pod");
  ref->set_api_version("v1");
  ref->set_namespace_(pod.metadata().namespace_());
  ref->set_name(pod.metadata().name());
  ref->set_uid(pod.metadata().uid());
  if (!field_path.empty()) ref->set_field_path(field_path);
  e.set_reason(reason);
  e.set_message(message);
  e.set_type(type);
  e.mutable_source()->set_component("kubelet");
  e.mutable_source()->set_host(host);
  *e.mutable_first_timestamp() = api::ToProtoTime(now);
  *e.mutable_last_timestamp() = api::ToProtoTime(now);
  e.set_count(1);
  e.set_reporting_component("kubelet");
  e.set_reporting_instance(host);
  return e;
}

ApiEventRecorder::ApiEventRecorder(const client::Clientset* clientset, size_t max_queued)
    : clientset_(clientset), max_queued_(max_queued), thread_([this] { Loop(); }) {}

ApiEventRecorder::~ApiEventRecorder() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void ApiEventRecorder::Record(const core::Pod& pod, const std::string& field_path,
                              const std::string& type, const std::string& reason,
                              const std::string& message, const std::string& host) {
  core::Event e = MakePodEvent(pod, field_path, type, reason, message, host);
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= max_queued_) return;
  queue_.push_back(std::move(e));
}

void ApiEventRecorder::Loop() {
  absl::Time stop_deadline = absl::InfiniteFuture();
  while (true) {
    core::Event e;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ApiEventRecorder* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
            return r->stopping_ || !r->queue_.empty();
          },
          this));
      if (stopping_) {
        if (stop_deadline == absl::InfiniteFuture()) stop_deadline = absl::Now() + absl::Seconds(2);
        if (queue_.empty() || absl::Now() > stop_deadline) return;
      }
      e = std::move(queue_.front());
      queue_.pop_front();
    }
    auto created = clientset_->Events().Create(e);
    if (!created.ok()) {
      spdlog::debug("event {} {} for pod {}/{} dropped: {}", e.reason(), e.message(),
                    e.involved_object().namespace_(), e.involved_object().name(),
                    created.status().ToString());
    }
  }
}

}  // namespace minik8s::kubelet
