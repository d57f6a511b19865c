// Job: the table columns and rows, as Kubernetes' printers
// (pkg/printers/internalversion printJob) define them: NAME, STATUS,
// COMPLETIONS, DURATION, AGE, and with -o wide CONTAINERS, IMAGES, SELECTOR.
#include <string>

#include "absl/strings/str_cat.h"
#include "k8s/batch/v1/batch.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"
#include "printers/format.h"

namespace minik8s::printers {
namespace {

using batch::v1::Job;

bool HasCondition(const Job& job, const std::string& type) {
  for (const auto& c : job.status().conditions()) {
    if (c.type() == type && c.status() == "True") return true;
  }
  return false;
}

absl::Time ToTime(const meta::v1::Time& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// Complete, Failed, Terminating, Suspended, FailureTarget or Running, the
// first that applies.
std::string JobStatusCell(const Job& job) {
  if (HasCondition(job, "Complete")) return "Complete";
  if (HasCondition(job, "Failed")) return "Failed";
  if (job.metadata().has_deletion_timestamp()) return "Terminating";
  if (HasCondition(job, "Suspended")) return "Suspended";
  if (HasCondition(job, "FailureTarget")) return "FailureTarget";
  return "Running";
}

Row JobRow(const Job& job, absl::Time now) {
  const auto& spec = job.spec();
  const auto& status = job.status();
  std::string completions;
  if (spec.has_completions()) {
    completions = absl::StrCat(status.succeeded(), "/", spec.completions());
  } else if (spec.has_parallelism() && spec.parallelism() > 1) {
    completions = absl::StrCat(status.succeeded(), "/1 of ", spec.parallelism());
  } else {
    completions = absl::StrCat(status.succeeded(), "/1");
  }
  std::string duration;
  if (status.has_start_time()) {
    const absl::Time end = status.has_completion_time() ? ToTime(status.completion_time()) : now;
    duration = HumanDuration(end - ToTime(status.start_time()));
  }
  const ContainerCells containers = LayoutContainerCells(spec.template_().spec());
  Row row;
  row.cells = {job.metadata().name(),
               JobStatusCell(job),
               std::move(completions),
               std::move(duration),
               TimestampSince(job.metadata().creation_timestamp(), now),
               containers.names,
               containers.images,
               FormatLabelSelector(spec.selector())};
  return row;
}

}  // namespace

KindPrinter JobPrinter() {
  return {{NameColumn(),
           {"Status", "string", "", "Status of the job.", 0},
           {"Completions", "string", "",
            "The desired number of successfully finished pods the job should be run with.", 0},
           {"Duration", "string", "", "Time required to complete the job.", 0},
           AgeColumn(),
           ContainersColumn(),
           ImagesColumn(),
           SelectorColumn()},
          &TypedRow<Job, &JobRow>};
}

}  // namespace minik8s::printers
