#include "kubectl/printers/watch_table.h"

#include <utility>

namespace minik8s::kubectl {

WatchTable::WatchTable(const api::KindInfo& kind, const TableOptions& options, bool no_headers,
                       std::vector<size_t> list_widths, std::function<absl::Time()> now)
    : kind_(kind),
      options_(options),
      no_headers_(no_headers),
      widths_(std::move(list_widths)),
      started_(!widths_.empty()),
      now_(std::move(now)) {}

std::string WatchTable::Row(const google::protobuf::Message& object) {
  options_.now = now_();
  const Table t = ResourceTable(kind_, {&object}, options_);
  std::string out;
  if (!started_) {
    widths_ = ColumnWidths(t, !no_headers_);
    if (!no_headers_) out += RenderRow(t.headers, &widths_);
    started_ = true;
  }
  for (const auto& row : t.rows) out += RenderRow(row, &widths_);
  return out;
}

}  // namespace minik8s::kubectl
