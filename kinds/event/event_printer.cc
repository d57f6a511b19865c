// Event: the table columns and rows, as Kubernetes' printers
// (pkg/printers/internalversion) define them; kube-apiserver serves them
// as a Table and a client hides the priority-1 columns without -o wide.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

namespace core = minik8s::core::v1;

std::string EventSource(const core::Event& e) {
  const std::string& component =
      e.source().component().empty() ? e.reporting_component() : e.source().component();
  const std::string& host = e.source().host().empty() ? e.reporting_instance() : e.source().host();
  if (host.empty()) return component;
  return absl::StrCat(component, ", ", host);
}

Row EventRow(const core::Event& e, absl::Time now) {
  std::string first = TimestampSince(e.first_timestamp(), now);
  if (IsZero(e.first_timestamp())) first = MicroTimestampSince(e.event_time(), now);
  std::string last = TimestampSince(e.last_timestamp(), now);
  if (IsZero(e.last_timestamp())) last = first;
  int64_t count = e.count();
  if (e.has_series()) {
    last = MicroTimestampSince(e.series().last_observed_time(), now);
    count = e.series().count();
  } else if (count == 0) {
    count = 1;  // events of the events.k8s.io API leave count unset
  }
  const std::string kind = absl::AsciiStrToLower(e.involved_object().kind());
  std::string target = e.involved_object().name().empty()
                           ? kind
                           : absl::StrCat(kind, "/", e.involved_object().name());
  Row row;
  row.cells = {last,
               e.type(),
               e.reason(),
               std::move(target),
               e.involved_object().field_path(),
               EventSource(e),
               std::string(absl::StripAsciiWhitespace(e.message())),
               first,
               count,
               e.metadata().name()};
  return row;
}

}  // namespace

KindPrinter EventPrinter() {
  ColumnDefinition name = NameColumn();
  name.priority = 1;
  return {{{"Last Seen", "string", "", "Time since the event was last observed.", 0},
           {"Type", "string", "", "Normal or Warning.", 0},
           {"Reason", "string", "", "Short, machine-readable reason for the event.", 0},
           {"Object", "string", "", "The object the event is about (involvedObject).", 0},
           {"Subobject", "string", "", "The part of the object (involvedObject.fieldPath).", 1},
           {"Source", "string", "", "The component, and host, that reported the event.", 1},
           {"Message", "string", "", "Human-readable description of the event.", 0},
           {"First Seen", "string", "", "Time since the event was first observed.", 1},
           {"Count", "string", "", "How many times the event was observed.", 1},
           std::move(name)},
          &TypedRow<core::Event, &EventRow>};
}

}  // namespace minik8s::printers
