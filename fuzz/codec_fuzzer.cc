// Fuzzes the strict YAML/JSON codec (api/codec.h) and the bounded parser
// under it (api/yaml_limits.h): a manifest or request body, decoded as
// `mkctl apply -f` (DecodeAll) and as a request body of a known type with
// unknown fields allowed (DecodeInto, fieldValidation=Warn). Every object
// that decodes is encoded again (JSON and YAML) and must decode back to the
// same message: the codec's documented round trip.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/codec.h"
#include "api/scheme.h"
#include "fuzz/fuzz_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace {

using minik8s::api::DecodedObject;

void CheckRoundTrip(const google::protobuf::Message& message) {
  for (const std::string& text :
       {minik8s::api::EncodeJson(message), minik8s::api::EncodeYaml(message)}) {
    std::unique_ptr<google::protobuf::Message> back(message.New());
    absl::Status status = minik8s::api::DecodeInto(text, back.get());
    MINIK8S_FUZZ_CHECK(status.ok(), "an encoded object decodes again");
    MINIK8S_FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(message, *back),
                       "Decode(Encode(m)) == m");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<std::vector<DecodedObject>> all = minik8s::api::DecodeAll(text);
  if (all.ok()) {
    for (const DecodedObject& object : *all) CheckRoundTrip(*object.object);
  }

  // A request body: the type comes from the URL, unknown fields are dropped.
  const auto& kinds = minik8s::api::Scheme::Default().kinds();
  if (!kinds.empty()) {
    const minik8s::api::KindInfo& kind = *kinds[size % kinds.size()];
    std::unique_ptr<google::protobuf::Message> out = kind.New();
    std::vector<std::string> unknown;
    minik8s::api::DecodeOptions options{.allow_unknown_fields = true, .unknown_fields = &unknown};
    if (minik8s::api::DecodeInto(text, out.get(), options).ok()) CheckRoundTrip(*out);
  }
  return 0;
}
