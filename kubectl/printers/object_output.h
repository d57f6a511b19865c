// `-o yaml`, `-o json` and `-o name` output. One object requested by name
// prints as itself; anything else prints as a `kind: List` (apiVersion v1)
// holding the items, as kubectl does.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_OBJECT_OUTPUT_H_
#define MINIK8S_KUBECTL_PRINTERS_OBJECT_OUTPUT_H_

#include <string>
#include <vector>

#include "google/protobuf/message.h"

namespace minik8s::kubectl {

// Objects must have apiVersion and kind set (Scheme::SetTypeMeta).
std::string YamlList(const std::vector<const google::protobuf::Message*>& items);
std::string JsonList(const std::vector<const google::protobuf::Message*>& items);

// The output formats get accepts; "" is the table.
bool IsKnownOutputFormat(const std::string& format);
// kubectl's message for an unknown -o value.
std::string UnknownOutputFormatMessage(const std::string& format);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_OBJECT_OUTPUT_H_
