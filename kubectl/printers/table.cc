#include "kubectl/printers/table.h"

#include <algorithm>

namespace minik8s::kubectl {
namespace {

constexpr size_t kPadding = 3;
constexpr size_t kMinWidth = 6;

size_t CellWidth(const std::string& cell, bool last) {
  const size_t w = DisplayWidth(cell);
  if (last) return w;
  return std::max(w + kPadding, kMinWidth);
}

}  // namespace

size_t DisplayWidth(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;  // count lead bytes only
  }
  return n;
}

std::vector<size_t> ColumnWidths(const Table& table, bool with_headers) {
  size_t columns = table.headers.size();
  for (const auto& row : table.rows) columns = std::max(columns, row.size());
  std::vector<size_t> widths(columns, 0);
  auto account = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      widths[i] = std::max(widths[i], CellWidth(cells[i], i + 1 == columns));
    }
  };
  if (with_headers) account(table.headers);
  for (const auto& row : table.rows) account(row);
  return widths;
}

std::string RenderRow(const std::vector<std::string>& cells, std::vector<size_t>* widths) {
  if (widths->size() < cells.size()) widths->resize(cells.size(), 0);
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    const bool last = i + 1 == cells.size();
    line += cells[i];
    if (last) break;
    (*widths)[i] = std::max((*widths)[i], CellWidth(cells[i], false));
    line.append((*widths)[i] - DisplayWidth(cells[i]), ' ');
  }
  line += '\n';
  return line;
}

std::string RenderTable(const Table& table, bool no_headers) {
  std::vector<size_t> widths = ColumnWidths(table, !no_headers);
  std::string out;
  if (!no_headers) out += RenderRow(table.headers, &widths);
  for (const auto& row : table.rows) out += RenderRow(row, &widths);
  return out;
}

std::string TabAlign(const std::string& text, size_t min_width, size_t padding) {
  // Split into lines of cells; the last element of each line is the
  // trailing text (not a cell).
  std::vector<std::vector<std::string>> lines;
  {
    std::vector<std::string> current;
    std::string cell;
    for (char c : text) {
      if (c == '\t') {
        current.push_back(cell);
        cell.clear();
      } else if (c == '\n') {
        current.push_back(cell);
        lines.push_back(std::move(current));
        current.clear();
        cell.clear();
      } else {
        cell += c;
      }
    }
    if (!cell.empty() || !current.empty()) {
      current.push_back(cell);
      lines.push_back(std::move(current));
    }
  }
  const bool trailing_newline = !text.empty() && text.back() == '\n';
  // widths[i][c]: the width of column c on line i.
  std::vector<std::vector<size_t>> widths(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) widths[i].assign(lines[i].size() - 1, 0);
  size_t max_cols = 0;
  for (const auto& l : lines) max_cols = std::max(max_cols, l.size() - 1);
  for (size_t c = 0; c < max_cols; ++c) {
    size_t i = 0;
    while (i < lines.size()) {
      if (lines[i].size() - 1 <= c) {
        ++i;
        continue;
      }
      size_t j = i;
      size_t width = min_width;
      while (j < lines.size() && lines[j].size() - 1 > c) {
        width = std::max(width, DisplayWidth(lines[j][c]) + padding);
        ++j;
      }
      for (size_t k = i; k < j; ++k) widths[k][c] = width;
      i = j;
    }
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    for (size_t c = 0; c + 1 < l.size(); ++c) {
      out += l[c];
      out.append(widths[i][c] - DisplayWidth(l[c]), ' ');
    }
    out += l.back();
    if (i + 1 < lines.size() || trailing_newline) out += '\n';
  }
  return out;
}

}  // namespace minik8s::kubectl
