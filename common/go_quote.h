// Go's strconv.Quote (fmt's %q) for a byte string: double quotes around it,
// `"` and `\` escaped, \n \t \r \a \b \f \v by name, other control bytes as
// \xNN, everything else (UTF-8 included) as is. Kubernetes quotes values
// this way in field errors and names and outputs in kubelet messages.
#ifndef MINIK8S_COMMON_GO_QUOTE_H_
#define MINIK8S_COMMON_GO_QUOTE_H_

#include <string>
#include <string_view>

namespace minik8s::common {

std::string GoQuote(std::string_view s);

}  // namespace minik8s::common

#endif  // MINIK8S_COMMON_GO_QUOTE_H_
