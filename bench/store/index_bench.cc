// index_bench: the store's in-memory index (store/index.h) alone, on keys of
// store_bench's shape ("bench/put/<16 digits>-0/<client>/<n>": long shared
// prefixes), with Google Benchmark. What a put costs the index (a Get, then
// a Put, as KvStore does), a point read, and a 100-key range read, for
// 10,000 and 100,000 keys. See bench/README.md, "index_bench".
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "store/index.h"

namespace minik8s::store {
namespace {

// Keys of `clients` x 100, each put once.
struct Filled {
  explicit Filled(int64_t keys) {
    const int64_t clients = keys / 100;
    for (int64_t c = 0; c < clients; ++c) {
      for (int k = 0; k < 100; ++k) {
        names.push_back(absl::StrCat("bench/put/1733470000000000-0/", c, "/", k));
      }
    }
    for (const std::string& name : names) (void)index.Put(name, Revision{++rev, 0});
  }
  // A pseudo-random key (the same sequence every run).
  const std::string& Next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return names[(state >> 33) % names.size()];
  }
  Index index;
  std::vector<std::string> names;
  int64_t rev = 0;
  uint64_t state = 12345;
};

void BM_GetThenPut(benchmark::State& state) {
  Filled f(state.range(0));
  for (auto _ : state) {
    const std::string& key = f.Next();
    KeyAt at;
    benchmark::DoNotOptimize(f.index.Get(key, f.rev, &at));
    benchmark::DoNotOptimize(f.index.Put(key, Revision{++f.rev, 0}));
  }
}
BENCHMARK(BM_GetThenPut)->Arg(10000)->Arg(100000);

void BM_Get(benchmark::State& state) {
  Filled f(state.range(0));
  for (auto _ : state) {
    KeyAt at;
    benchmark::DoNotOptimize(f.index.Get(f.Next(), f.rev, &at));
  }
}
BENCHMARK(BM_Get)->Arg(10000)->Arg(100000);

void BM_Range100(benchmark::State& state) {
  Filled f(state.range(0));
  const int64_t clients = state.range(0) / 100;
  int64_t c = 0;
  for (auto _ : state) {
    const std::string prefix = absl::StrCat("bench/put/1733470000000000-0/", c++ % clients, "/");
    std::string end = prefix;
    end.back() = static_cast<char>(end.back() + 1);
    benchmark::DoNotOptimize(f.index.Range(prefix, end, f.rev, 0, nullptr));
  }
}
BENCHMARK(BM_Range100)->Arg(10000)->Arg(100000);

}  // namespace
}  // namespace minik8s::store

BENCHMARK_MAIN();
