// A table of text cells printed like kubectl's tabwriter: every column but
// the last is padded to its widest cell plus 3 spaces (at least 6 wide), the
// last column is not padded, widths count UTF-8 code points.
//
// Thread safety: a Table is a value; no shared state.
#ifndef MINIK8S_KUBECTL_PRINTERS_TABLE_H_
#define MINIK8S_KUBECTL_PRINTERS_TABLE_H_

#include <string>
#include <vector>

namespace minik8s::kubectl {

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
};

// Column widths (cell width + padding) for `table`, including the headers
// when `with_headers`; the last column's width is its widest cell.
std::vector<size_t> ColumnWidths(const Table& table, bool with_headers);

// Renders one line (ending in '\n') with the given widths; widths shorter
// than a cell are widened in place (kubectl's watch output keeps earlier
// widths and only grows).
std::string RenderRow(const std::vector<std::string>& cells, std::vector<size_t>* widths);

// The whole table, headers first unless `no_headers`.
std::string RenderTable(const Table& table, bool no_headers = false);

size_t DisplayWidth(const std::string& text);

// Aligns tab-separated text like Go's text/tabwriter (no flags): a cell is
// text ending in a tab; the cells of one column index are aligned over each
// run of consecutive lines that have such a cell, to the widest cell plus
// `padding` (at least `min_width`). Text after a line's last tab is not a
// cell and is never padded. Lines without tabs break every run. kubectl's
// describe output uses min_width 0 and padding 2.
std::string TabAlign(const std::string& text, size_t min_width, size_t padding);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_TABLE_H_
