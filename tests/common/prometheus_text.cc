#include "tests/common/prometheus_text.h"

#include <cmath>
#include <cstdlib>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace minik8s::testing {
namespace {

bool ValidMetricName(absl::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool ok =
        absl::ascii_isalpha(c) || c == '_' || c == ':' || (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

bool ValidLabelName(absl::string_view n) {
  if (n.empty() || absl::StartsWith(n, "__")) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    if (!(absl::ascii_isalpha(c) || c == '_' || (i > 0 && absl::ascii_isdigit(c)))) return false;
  }
  return true;
}

bool ParseValue(absl::string_view s, double* out) {
  if (s == "+Inf") {
    *out = INFINITY;
    return true;
  }
  if (s == "-Inf") {
    *out = -INFINITY;
    return true;
  }
  if (s == "NaN") {
    *out = NAN;
    return true;
  }
  if (s.empty() || absl::EqualsIgnoreCase(s, "inf") || absl::EqualsIgnoreCase(s, "nan")) {
    return false;
  }
  return absl::SimpleAtod(s, out);
}

absl::Status Bad(int line, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", why));
}

// The family a series name belongs to, given the TYPE lines seen.
std::string FamilyOf(const std::string& series, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    if (absl::EndsWith(series, suffix)) {
      std::string base = series.substr(0, series.size() - strlen(suffix));
      auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return series;
}

}  // namespace

double Exposition::Sum(const std::string& name,
                       const std::map<std::string, std::string>& labels) const {
  double sum = 0;
  bool found = false;
  for (const Sample& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) match = false;
    }
    if (!match) continue;
    found = true;
    sum += s.value;
  }
  return found ? sum : -1;
}

absl::StatusOr<Exposition> ParsePrometheusText(absl::string_view text) {
  Exposition e;
  if (!text.empty() && !absl::EndsWith(text, "\n")) {
    return absl::InvalidArgumentError("the exposition does not end with a newline");
  }
  std::set<std::string> finished_families;  // families whose samples have ended
  std::string current_family;
  std::set<std::string> series_seen;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    if (absl::StartsWith(line, "#")) {
      std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(' ', 3));
      if (parts.size() < 3 || (parts[1] != "HELP" && parts[1] != "TYPE")) continue;  // a comment
      const std::string name(parts[2]);
      if (!ValidMetricName(name)) return Bad(line_no, absl::StrCat("bad metric name ", name));
      const absl::string_view rest = parts.size() == 4 ? parts[3] : "";
      if (finished_families.count(name) || name == current_family) {
        return Bad(line_no, absl::StrCat(parts[1], " of ", name, " after its samples"));
      }
      if (parts[1] == "HELP") {
        if (e.help.count(name)) return Bad(line_no, absl::StrCat("second HELP of ", name));
        std::string help;
        for (size_t i = 0; i < rest.size(); ++i) {
          if (rest[i] != '\\') {
            help.push_back(rest[i]);
            continue;
          }
          if (i + 1 == rest.size()) return Bad(line_no, "HELP ends in a lone backslash");
          const char c = rest[++i];
          if (c == '\\')
            help.push_back('\\');
          else if (c == 'n')
            help.push_back('\n');
          else
            return Bad(line_no, absl::StrCat("HELP escapes '", std::string(1, c), "'"));
        }
        e.help[name] = help;
      } else {
        if (e.types.count(name)) return Bad(line_no, absl::StrCat("second TYPE of ", name));
        if (rest != "counter" && rest != "gauge" && rest != "histogram" && rest != "summary" &&
            rest != "untyped") {
          return Bad(line_no, absl::StrCat("unknown type ", rest));
        }
        e.types[name] = std::string(rest);
      }
      continue;
    }
    // A sample: name[{labels}] value [timestamp]
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = std::string(line.substr(0, i));
    if (!ValidMetricName(s.name)) return Bad(line_no, absl::StrCat("bad series name ", s.name));
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (true) {
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        size_t eq = line.find('=', i);
        if (eq == absl::string_view::npos) return Bad(line_no, "label without '='");
        const std::string lname(line.substr(i, eq - i));
        if (!ValidLabelName(lname)) return Bad(line_no, absl::StrCat("bad label name ", lname));
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') return Bad(line_no, "label value not quoted");
        ++i;
        std::string value;
        bool closed = false;
        while (i < line.size()) {
          const char c = line[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c != '\\') {
            value.push_back(c);
            continue;
          }
          if (i >= line.size()) break;
          const char x = line[i++];
          if (x == '\\')
            value.push_back('\\');
          else if (x == '"')
            value.push_back('"');
          else if (x == 'n')
            value.push_back('\n');
          else
            return Bad(line_no, absl::StrCat("label value escapes '", std::string(1, x), "'"));
        }
        if (!closed) return Bad(line_no, "unterminated label value");
        if (!s.labels.emplace(lname, value).second) {
          return Bad(line_no, absl::StrCat("label ", lname, " repeated"));
        }
        if (i < line.size() && line[i] == ',')
          ++i;
        else if (i >= line.size() || line[i] != '}')
          return Bad(line_no, "expected ',' or '}'");
      }
    }
    if (i >= line.size() || line[i] != ' ') return Bad(line_no, "no value");
    std::vector<absl::string_view> fields =
        absl::StrSplit(line.substr(i + 1), ' ', absl::SkipEmpty());
    if (fields.empty() || fields.size() > 2) return Bad(line_no, "expected a value [timestamp]");
    if (!ParseValue(fields[0], &s.value)) {
      return Bad(line_no, absl::StrCat("bad value ", fields[0]));
    }
    const std::string family = FamilyOf(s.name, e.types);
    if (family != current_family) {
      if (finished_families.count(family)) {
        return Bad(line_no, absl::StrCat("samples of ", family, " are not together"));
      }
      if (!current_family.empty()) finished_families.insert(current_family);
      current_family = family;
    }
    const std::string type = e.types.count(family) ? e.types[family] : "untyped";
    if (type == "counter" && !(s.value >= 0)) {
      return Bad(line_no, absl::StrCat("counter ", s.name, " is ", fields[0]));
    }
    if (type == "histogram" && s.name == family) {
      return Bad(line_no, absl::StrCat("histogram ", family, " has a bare sample"));
    }
    if (type == "histogram" && absl::EndsWith(s.name, "_bucket") && !s.labels.count("le")) {
      return Bad(line_no, absl::StrCat(s.name, " has no le label"));
    }
    std::vector<std::string> key_parts = {s.name};
    for (const auto& [k, v] : s.labels) key_parts.push_back(absl::StrCat(k, "=", v));
    if (!series_seen.insert(absl::StrJoin(key_parts, "\x1f")).second) {
      return Bad(line_no, absl::StrCat("series repeated: ", line));
    }
    e.samples.push_back(std::move(s));
  }

  // Histograms: per label set (without le), ascending le, cumulative
  // counts, +Inf last and equal to _count, _sum present.
  for (const auto& [family, type] : e.types) {
    if (type != "histogram") continue;
    struct Series {
      std::vector<std::pair<double, double>> buckets;  // (le, count) in order
      bool has_sum = false;
      double count = -1;
    };
    std::map<std::map<std::string, std::string>, Series> by_labels;
    for (const Sample& s : e.samples) {
      std::map<std::string, std::string> labels = s.labels;
      if (s.name == family + "_bucket") {
        double le;
        if (!ParseValue(labels["le"], &le)) {
          return absl::InvalidArgumentError(absl::StrCat(family, ": bad le ", labels["le"]));
        }
        labels.erase("le");
        by_labels[labels].buckets.emplace_back(le, s.value);
      } else if (s.name == family + "_sum") {
        by_labels[labels].has_sum = true;
      } else if (s.name == family + "_count") {
        by_labels[labels].count = s.value;
      }
    }
    for (const auto& [labels, series] : by_labels) {
      const std::string where = absl::StrCat(family, " (", labels.size(), " labels)");
      if (series.buckets.empty() || !std::isinf(series.buckets.back().first)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": no le=\"+Inf\" bucket last"));
      }
      for (size_t i = 1; i < series.buckets.size(); ++i) {
        if (!(series.buckets[i].first > series.buckets[i - 1].first)) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": le not increasing"));
        }
        if (series.buckets[i].second < series.buckets[i - 1].second) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": buckets not cumulative"));
        }
      }
      if (!series.has_sum) return absl::InvalidArgumentError(absl::StrCat(where, ": no _sum"));
      if (series.count != series.buckets.back().second) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": _count differs from the +Inf bucket"));
      }
    }
  }
  return e;
}

}  // namespace minik8s::testing
