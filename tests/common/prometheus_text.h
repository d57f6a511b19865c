// A checker of the Prometheus text exposition format 0.0.4, written from
// the format's rules rather than from common/metrics.cc, so tests can hold
// any exposition (ours or a daemon's /metrics) to them:
// - `# HELP name text` (text escapes only \\ and \n) and `# TYPE name type`
//   at most once per family, both before the family's first sample;
// - metric and label names valid; label values quoted with only \\, \" and
//   \n escaped; no label repeated in a series; no series repeated;
// - values are Go floats (+Inf, -Inf, NaN included); counters never
//   negative;
// - a family's samples together; a histogram has, per label set,
//   name_bucket series with an `le` label in increasing order, cumulative
//   (never decreasing), ending in le="+Inf" equal to name_count, plus
//   name_sum.
#ifndef MINIK8S_TESTS_COMMON_PROMETHEUS_TEXT_H_
#define MINIK8S_TESTS_COMMON_PROMETHEUS_TEXT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minik8s::testing {

struct Sample {
  std::string name;                           // series name, e.g. x_bucket
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter/gauge/...
  std::map<std::string, std::string> help;   // family -> unescaped help
  std::vector<Sample> samples;

  // The value of the series `name` whose labels include `labels`, summed
  // over every series that matches; -1 when none matches.
  double Sum(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;
  bool HasFamily(const std::string& family) const { return types.count(family) > 0; }
};

// Parses `text` and checks it against the rules above; InvalidArgument
// naming the line and the rule broken.
absl::StatusOr<Exposition> ParsePrometheusText(absl::string_view text);

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTS_COMMON_PROMETHEUS_TEXT_H_
