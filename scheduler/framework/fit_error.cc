#include "scheduler/framework/fit_error.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace minik8s::scheduler {

std::string FitError::Message() const {
  std::string msg = absl::StrCat("0/", num_all_nodes, " nodes are available:");
  std::vector<std::string> parts;
  parts.reserve(reasons.size());
  for (const auto& [reason, count] : reasons) parts.push_back(absl::StrCat(count, " ", reason));
  std::sort(parts.begin(), parts.end());
  if (!parts.empty()) absl::StrAppend(&msg, " ", absl::StrJoin(parts, ", "), ".");
  return msg;
}

}  // namespace minik8s::scheduler
