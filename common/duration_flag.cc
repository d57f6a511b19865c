#include "common/duration_flag.h"

#include "absl/strings/str_cat.h"
#include "common/duration.h"

namespace minik8s {

CLI::Option* AddDurationFlag(CLI::App& app, const std::string& name, absl::Duration* out,
                             const std::string& help, DurationBound bound) {
  CLI::Option* option = app.add_option_function<std::string>(
      name,
      [out, bound, flag = name.substr(0, name.find(','))](const std::string& text) {
        absl::StatusOr<absl::Duration> d = ParseGoDuration(text);
        if (!d.ok()) throw CLI::ValidationError(flag, std::string(d.status().message()));
        if (bound == DurationBound::kPositive && *d <= absl::ZeroDuration()) {
          throw CLI::ValidationError(flag, absl::StrCat("must be positive, got \"", text, "\""));
        }
        if (bound == DurationBound::kNonNegative && *d < absl::ZeroDuration()) {
          throw CLI::ValidationError(flag,
                                     absl::StrCat("must not be negative, got \"", text, "\""));
        }
        *out = *d;
      },
      help);
  option->type_name("DURATION")->default_str(FormatGoDuration(*out));
  return option;
}

}  // namespace minik8s
