#include "kubelet/expansion.h"

namespace minik8s::kubelet {

std::string ExpandReferences(
    std::string_view input,
    const std::function<std::optional<std::string>(std::string_view name)>& lookup) {
  std::string out;
  out.reserve(input.size());
  // Once no ')' follows, none follows later either: each unclosed `$(` is
  // then answered without a scan, so the work stays linear in the input.
  bool closer_ahead = true;
  size_t i = 0;
  while (i < input.size()) {
    const char c = input[i];
    if (c != '$' || i + 1 == input.size()) {
      out += c;
      ++i;
      continue;
    }
    const char next = input[i + 1];
    if (next == '$') {  // an escaped operator
      out += '$';
      i += 2;
      continue;
    }
    if (next != '(') {  // an operator that starts no reference
      out += '$';
      out += next;
      i += 2;
      continue;
    }
    const size_t close = closer_ahead ? input.find(')', i + 2) : std::string_view::npos;
    if (close == std::string_view::npos) closer_ahead = false;
    if (close == std::string_view::npos) {  // an unclosed reference
      out += "$(";
      i += 2;
      continue;
    }
    const std::string_view name = input.substr(i + 2, close - i - 2);
    if (std::optional<std::string> value = lookup(name)) {
      out += *value;
    } else {
      out += input.substr(i, close - i + 1);
    }
    i = close + 1;
  }
  return out;
}

}  // namespace minik8s::kubelet
