// Helpers for building API objects from YAML in tests.
#ifndef MINIK8S_TESTS_KUBECTL_TEST_OBJECTS_H_
#define MINIK8S_TESTS_KUBECTL_TEST_OBJECTS_H_

#include <string>

#include "absl/time/time.h"
#include "api/codec.h"
#include "api/time.h"
#include "gtest/gtest.h"

namespace minik8s::kubectl::testing {

// 2023-11-14T22:13:20Z.
inline absl::Time Now() { return absl::FromUnixSeconds(1700000000); }

// RFC3339 text of Now() - ago.
inline std::string Ago(absl::Duration ago) { return api::FormatRfc3339(Now() - ago); }

template <typename T>
T FromYaml(const std::string& yaml) {
  absl::StatusOr<T> out = api::DecodeAs<T>(yaml);
  EXPECT_TRUE(out.ok()) << out.status() << "\n" << yaml;
  return out.ok() ? *out : T();
}

}  // namespace minik8s::kubectl::testing

#endif  // MINIK8S_TESTS_KUBECTL_TEST_OBJECTS_H_
