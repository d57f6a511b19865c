#include "runtime/sim_options.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace minik8s::runtime {

absl::StatusOr<absl::Duration> ParseSimDuration(const std::string& text) {
  std::string s(absl::StripAsciiWhitespace(text));
  double seconds = 0;
  absl::Duration d;
  if (absl::SimpleAtod(s, &seconds) && std::isfinite(seconds)) {
    d = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(s, &d) || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid duration \"", text, "\" (want e.g. \"5s\", \"1m30s\", \"500ms\" or seconds)"));
  }
  if (d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("negative duration \"", text, "\""));
  }
  return d;
}

namespace {

absl::Status ReadDuration(const std::map<std::string, std::string>& env, const std::string& key,
                          std::optional<absl::Duration>* out) {
  auto it = env.find(key);
  if (it == env.end()) return absl::OkStatus();
  auto d = ParseSimDuration(it->second);
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(key, ": ", d.status().message()));
  *out = *d;
  return absl::OkStatus();
}

absl::Status ReadBool(const std::map<std::string, std::string>& env, const std::string& key,
                      const std::string& true_word, bool* out) {
  auto it = env.find(key);
  if (it == env.end()) return absl::OkStatus();
  std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(it->second));
  if (v == true_word || v == "1" || v == "true" || v == "yes") {
    *out = true;
  } else if (v == "0" || v == "false" || v == "no" || v.empty() || v == "pass" || v == "ok") {
    *out = false;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": invalid value \"", it->second, "\" (want \"", true_word, "\")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SimOptions> ParseSimOptions(const std::map<std::string, std::string>& env) {
  SimOptions o;
  absl::Status s;
  if (!(s = ReadDuration(env, "MINIK8S_SIM_CRASH_AFTER", &o.crash_after)).ok()) return s;
  if (auto it = env.find("MINIK8S_SIM_EXIT_CODE"); it != env.end()) {
    int code = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(it->second), &code) || code < 0 ||
        code > 255) {
      return absl::InvalidArgumentError(absl::StrCat("MINIK8S_SIM_EXIT_CODE: invalid exit code \"",
                                                     it->second, "\" (want 0..255)"));
    }
    o.exit_code = code;
    if (!o.crash_after) o.crash_after = absl::ZeroDuration();
  }
  if (!(s = ReadDuration(env, "MINIK8S_SIM_OOM_AFTER", &o.oom_after)).ok()) return s;
  if (!(s = ReadDuration(env, "MINIK8S_SIM_READY_AFTER", &o.ready_after)).ok()) return s;
  if (!(s = ReadBool(env, "MINIK8S_SIM_READINESS", "fail", &o.readiness_fail)).ok()) return s;
  if (!(s = ReadBool(env, "MINIK8S_SIM_LIVENESS", "fail", &o.liveness_fail)).ok()) return s;
  if (!(s = ReadDuration(env, "MINIK8S_SIM_LIVENESS_FAIL_AFTER", &o.liveness_fail_after)).ok()) {
    return s;
  }
  if (!(s = ReadDuration(env, "MINIK8S_SIM_STARTUP_AFTER", &o.startup_after)).ok()) return s;
  if (!(s = ReadBool(env, "MINIK8S_SIM_IGNORE_SIGTERM", "1", &o.ignore_sigterm)).ok()) return s;
  return o;
}

}  // namespace minik8s::runtime
