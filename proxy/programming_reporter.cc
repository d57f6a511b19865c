#include "proxy/programming_reporter.h"

#include <utility>

#include "api/errors.h"
#include "spdlog/spdlog.h"

namespace minik8s::proxy {

using minik8s::core::v1::Event;

ProgrammingReporter::ProgrammingReporter(client::ApiClient* api, Proxier* proxier,
                                         absl::Duration period)
    : api_(api), proxier_(proxier), period_(period) {}

ProgrammingReporter::~ProgrammingReporter() { Stop(); }

void ProgrammingReporter::Start() {
  thread_ = std::thread([this] {
    while (true) {
      {
        absl::MutexLock l(&mu_);
        auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
        mu_.AwaitWithTimeout(absl::Condition(&stop), period_);
        if (stopping_) return;
      }
      ReportNow();
    }
  });
}

void ProgrammingReporter::Stop() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void ProgrammingReporter::ReportNow() {
  std::map<std::string, ProgrammingReport> todo = std::move(failed_);
  failed_.clear();
  for (ProgrammingReport& r : proxier_->TakeProgrammingReports()) {
    todo[ReportEventName(r)] = std::move(r);  // newer than a failed one
  }
  for (auto& [name, report] : todo) {
    if (absl::Status s = Write(report); !s.ok()) {
      spdlog::warn("cannot report the programming of {}/{}: {}", report.service_namespace,
                   report.service_name, std::string(s.message()));
      failed_.emplace(name, std::move(report));
    }
  }
}

absl::Status ProgrammingReporter::Write(const ProgrammingReport& report) {
  const std::string name = ReportEventName(report);
  const absl::Time now = absl::Now();
  auto count = counts_.find(name);
  if (count == counts_.end()) {
    Event created;
    absl::Status s =
        api_->Create("events", report.service_namespace, ReportEvent(report, now), &created);
    if (s.ok()) {
      counts_[name] = 1;
      return s;
    }
    if (!api::IsAlreadyExists(s)) return s;
    count = counts_.emplace(name, 1).first;  // left by an earlier run: patch it
  }
  Event patched;
  absl::Status s = api_->Patch("events", report.service_namespace, name, "",
                               ReportPatch(report, count->second + 1, now), &patched);
  if (s.ok()) {
    ++count->second;
    return s;
  }
  if (api::IsNotFound(s)) {  // expired or deleted: create it again
    counts_.erase(count);
    Event created;
    s = api_->Create("events", report.service_namespace, ReportEvent(report, now), &created);
    if (s.ok()) counts_[name] = 1;
  }
  return s;
}

}  // namespace minik8s::proxy
