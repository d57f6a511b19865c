#include "tests/store/e2e/etcdctl_output.h"

#include <cstdlib>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"

namespace minik8s::storetest {
namespace {

absl::StatusOr<std::string> FirstJsonLine(const std::string& output, char opener) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (!line.empty() && line.front() == opener) return std::string(line);
  }
  return absl::InvalidArgumentError(absl::StrCat("no JSON in etcdctl output:\n", output));
}

template <typename T>
absl::StatusOr<T> ParseJsonInto(const std::string& json) {
  T message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bad JSON (", status.ToString(), "): ", json));
  }
  return message;
}

}  // namespace

template <typename T>
absl::StatusOr<T> ParseEtcdctlJson(const std::string& output) {
  absl::StatusOr<std::string> line = FirstJsonLine(output, '{');
  if (!line.ok()) return line.status();
  return ParseJsonInto<T>(*line);
}

template absl::StatusOr<etcdserverpb::RangeResponse> ParseEtcdctlJson(const std::string&);
template absl::StatusOr<etcdserverpb::PutResponse> ParseEtcdctlJson(const std::string&);
template absl::StatusOr<etcdserverpb::DeleteRangeResponse> ParseEtcdctlJson(const std::string&);
template absl::StatusOr<etcdserverpb::TxnResponse> ParseEtcdctlJson(const std::string&);

absl::StatusOr<etcdserverpb::StatusResponse> ParseEndpointStatusJson(const std::string& output,
                                                                     std::string* endpoint) {
  absl::StatusOr<std::string> line = FirstJsonLine(output, '[');
  if (!line.ok()) return line.status();
  // [{"Endpoint":"http://...","Status":{...}}]  ->  the object after "Status":
  static const std::regex kShape(R"re(^\[\{"Endpoint":"([^"]*)","Status":(\{.*\})\}\]$)re");
  std::smatch m;
  if (!std::regex_match(*line, m, kShape)) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected endpoint status JSON: ", *line));
  }
  if (endpoint != nullptr) *endpoint = m[1];
  return ParseJsonInto<etcdserverpb::StatusResponse>(m[2]);
}

absl::StatusOr<std::string> ParseLeaseGrant(const std::string& output, int ttl_seconds) {
  std::regex shape(
      absl::StrCat(R"(^lease ([0-9a-f]{16}) granted with TTL\()", ttl_seconds, R"(s\)\n$)"));
  std::smatch m;
  if (!std::regex_match(output, m, shape)) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected lease grant output: ", output));
  }
  return std::string(m[1]);
}

absl::StatusOr<int64_t> LeaseIdFromHex(const std::string& hex) {
  char* end = nullptr;
  unsigned long long v = strtoull(hex.c_str(), &end, 16);
  if (hex.empty() || end == nullptr || *end != '\0') {
    return absl::InvalidArgumentError(absl::StrCat("not a hex lease id: ", hex));
  }
  return static_cast<int64_t>(v);
}

}  // namespace minik8s::storetest
