#include "kubectl/printers/sort.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/codec.h"

namespace minik8s::kubectl {
namespace {

std::optional<std::string> ValueAt(const YAML::Node& root, const std::vector<std::string>& path) {
  YAML::Node node = root;
  for (const std::string& seg : path) {
    if (!node.IsDefined() || node.IsNull()) return std::nullopt;
    if (seg.front() == '[') {
      int index = 0;
      if (!node.IsSequence() || !absl::SimpleAtoi(seg.substr(1, seg.size() - 2), &index) ||
          index < 0 || static_cast<size_t>(index) >= node.size()) {
        return std::nullopt;
      }
      node = node[index];
    } else {
      if (!node.IsMap()) return std::nullopt;
      const YAML::Node& const_node = node;
      YAML::Node child = const_node[seg];
      if (!child.IsDefined()) return std::nullopt;
      node = child;
    }
  }
  if (!node.IsDefined() || node.IsNull() || !node.IsScalar()) return std::nullopt;
  return node.Scalar();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseFieldPath(const std::string& expression) {
  absl::string_view e = expression;
  if (absl::ConsumePrefix(&e, "{")) {
    if (!absl::ConsumeSuffix(&e, "}")) {
      return absl::InvalidArgumentError(
          absl::StrCat("couldn't parse JSONPath \"", expression, "\": unclosed action"));
    }
  }
  if (!absl::ConsumePrefix(&e, ".") || e.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "couldn't parse JSONPath \"", expression, "\": expected a field path like .metadata.name"));
  }
  std::vector<std::string> out;
  std::string current;
  for (size_t i = 0; i < e.size(); ++i) {
    const char c = e[i];
    if (c == '.') {
      if (!current.empty()) out.push_back(current);
      current.clear();
    } else if (c == '[') {
      if (!current.empty()) out.push_back(current);
      current.clear();
      const size_t close = e.find(']', i);
      if (close == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("couldn't parse JSONPath \"", expression, "\": unterminated array"));
      }
      out.push_back(std::string(e.substr(i, close - i + 1)));
      i = close;
    } else {
      current += c;
    }
  }
  if (!current.empty()) out.push_back(current);
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("couldn't parse JSONPath \"", expression, "\""));
  }
  return out;
}

absl::Status SortObjects(const std::string& expression,
                         std::vector<const google::protobuf::Message*>* objects) {
  absl::StatusOr<std::vector<std::string>> path = ParseFieldPath(expression);
  if (!path.ok()) return path.status();
  struct Keyed {
    std::optional<std::string> value;
    const google::protobuf::Message* object;
    int64_t revision;  // events: metadata.resourceVersion; others 0
  };
  std::vector<Keyed> keyed;
  for (const auto* m : *objects) {
    int64_t revision = 0;
    if (m->GetDescriptor()->name() == "Event") {
      // A tree of its own: ValueAt walks by assigning nodes, which yaml-cpp
      // does in place.
      std::optional<std::string> rv = ValueAt(api::EncodeNode(*m), {"metadata", "resourceVersion"});
      if (!rv.has_value() || !absl::SimpleAtoi(*rv, &revision)) revision = 0;
    }
    keyed.push_back({ValueAt(api::EncodeNode(*m), *path), m, revision});
  }
  // -1, 0, 1 as a is before, tied with, after b.
  auto compare = [](const Keyed& a, const Keyed& b) {
    if (!a.value.has_value() || !b.value.has_value()) {
      return a.value.has_value() == b.value.has_value() ? 0 : (a.value.has_value() ? 1 : -1);
    }
    double x, y;
    if (absl::SimpleAtod(*a.value, &x) && absl::SimpleAtod(*b.value, &y)) {
      return x < y ? -1 : (y < x ? 1 : 0);
    }
    return *a.value < *b.value ? -1 : (*b.value < *a.value ? 1 : 0);
  };
  std::stable_sort(keyed.begin(), keyed.end(), [&compare](const Keyed& a, const Keyed& b) {
    const int c = compare(a, b);
    if (c != 0) return c < 0;
    // Events tied on the field (timestamps to the second) keep the order they
    // were written in: the store revision. Others keep the list order.
    return a.revision < b.revision;
  });
  for (size_t i = 0; i < keyed.size(); ++i) (*objects)[i] = keyed[i].object;
  return absl::OkStatus();
}

}  // namespace minik8s::kubectl
