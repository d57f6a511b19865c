// Helpers shared by the libFuzzer targets in this folder.
#ifndef MINIK8S_FUZZ_FUZZ_UTIL_H_
#define MINIK8S_FUZZ_FUZZ_UTIL_H_

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace minik8s::fuzz {

// Aborts (the fuzzer reports a crash and saves the input) when a property
// the code under test promises does not hold.
#define MINIK8S_FUZZ_CHECK(cond, what)                                                          \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "fuzz property violated: %s (%s:%d)\n", (what), __FILE__, __LINE__); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

}  // namespace minik8s::fuzz

#endif  // MINIK8S_FUZZ_FUZZ_UTIL_H_
