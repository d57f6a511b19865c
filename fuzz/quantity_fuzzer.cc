// Fuzzes resource quantities (api/quantity.h): `500m`, `1.5Gi`, `1e3`. A
// quantity that parses prints a string that parses back to the same value
// (and, printed again, to a fixed point); arithmetic and the rounded accessors must
// stay defined (UBSan checks the int128 arithmetic) for every value.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "api/quantity.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<minik8s::api::Quantity> q = minik8s::api::Quantity::Parse(text);
  if (!q.ok()) return 0;

  // String() need not be a fixed point after one round: like Kubernetes,
  // "218.75Ki" prints "224000" (a binary quantity that is not a whole
  // number of Ki prints without a suffix), which parses as decimal and
  // prints "224k". It must keep the value, and the second round is stable.
  const std::string printed = q->String();
  absl::StatusOr<minik8s::api::Quantity> again = minik8s::api::Quantity::Parse(printed);
  MINIK8S_FUZZ_CHECK(again.ok(), "a quantity's String() parses");
  MINIK8S_FUZZ_CHECK(*again == *q, "String() keeps the value");
  const std::string canonical = again->String();
  absl::StatusOr<minik8s::api::Quantity> third = minik8s::api::Quantity::Parse(canonical);
  if (!third.ok() || third->String() != canonical) {
    std::fprintf(stderr, "quantity \"%.*s\" prints \"%s\", then \"%s\", then \"%s\"\n",
                 static_cast<int>(text.size()), text.data(), printed.c_str(), canonical.c_str(),
                 third.ok() ? third->String().c_str() : "(does not parse)");
  }
  MINIK8S_FUZZ_CHECK(third.ok() && *third == *q, "the second String() keeps the value");
  MINIK8S_FUZZ_CHECK(third->String() == canonical, "the second String() is canonical");

  absl::StatusOr<minik8s::api::Quantity> from_proto =
      minik8s::api::Quantity::FromProto(q->ToProto());
  MINIK8S_FUZZ_CHECK(from_proto.ok() && *from_proto == *q, "the proto form keeps the value");

  (void)q->Value();
  (void)q->MilliValue();
  minik8s::api::Quantity sum = *q + *q;
  minik8s::api::Quantity diff = sum - *q;
  (void)sum.String();
  (void)diff.String();
  minik8s::api::Quantity neg = *q;
  neg.Neg();
  (void)neg.String();
  (void)neg.Cmp(*q);
  return 0;
}
