// The table rows of `get -w`: one line per watch event, in the layout of
// the `get` table (resource_tables.h).
//
// As kubectl's watch output:
//   - when the initial list printed rows, the events continue that table:
//     its column widths are kept (a wider cell widens its column from then
//     on) and no header is repeated;
//   - when the initial list was empty nothing was printed, so the header
//     comes with the first event's row, both aligned to the wider of the two;
//   - every row reads the clock when it is printed, so AGE (and the other
//     relative times) are those of the moment of the event, not of the start
//     of the watch.
//
// Thread safety: a WatchTable is used by one thread.
#ifndef MINIK8S_KUBECTL_PRINTERS_WATCH_TABLE_H_
#define MINIK8S_KUBECTL_PRINTERS_WATCH_TABLE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/scheme.h"
#include "google/protobuf/message.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {

class WatchTable {
 public:
  // `list_widths`: the column widths of the table the initial list printed
  // (ColumnWidths), empty when it printed none. `options.now` is ignored:
  // each row takes the time from `now`.
  WatchTable(const api::KindInfo& kind, const TableOptions& options, bool no_headers,
             std::vector<size_t> list_widths, std::function<absl::Time()> now);

  // The line(s) to print for one event about `object` (ending in '\n'): the
  // header first when it is still due.
  std::string Row(const google::protobuf::Message& object);

 private:
  const api::KindInfo& kind_;
  TableOptions options_;
  bool no_headers_;
  std::vector<size_t> widths_;
  bool started_;  // some table line has been printed
  std::function<absl::Time()> now_;
};

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_WATCH_TABLE_H_
