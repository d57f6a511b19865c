#include "apiserver/identity.h"

#include <cstdio>
#include <random>

namespace minik8s::apiserver {
namespace {

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

// Kubernetes' random-suffix alphabet (no vowels, no confusable characters).
constexpr absl::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
constexpr size_t kMaxNameLength = 63;
constexpr size_t kRandomLength = 5;

}  // namespace

std::string NewUuidV4() {
  uint64_t hi = Rng()();
  uint64_t lo = Rng()();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::string GenerateName(absl::string_view base) {
  std::string name(base.substr(0, kMaxNameLength - kRandomLength));
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  for (size_t i = 0; i < kRandomLength; ++i) name.push_back(kAlphabet[pick(Rng())]);
  return name;
}

}  // namespace minik8s::apiserver
