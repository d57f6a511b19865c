// The Prometheus text exposition (format 0.0.4) of common/metrics.h.
#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace minik8s::metrics {
namespace {

TEST(FormatValue, FollowsGoShortestG) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(-0.0), "0");
  EXPECT_EQ(FormatValue(1), "1");
  EXPECT_EQ(FormatValue(-1), "-1");
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(0.0001), "0.0001");
  EXPECT_EQ(FormatValue(0.00001), "1e-05");
  EXPECT_EQ(FormatValue(1.25), "1.25");
  EXPECT_EQ(FormatValue(60), "60");
  EXPECT_EQ(FormatValue(123456), "123456");
  EXPECT_EQ(FormatValue(1e6), "1e+06");
  EXPECT_EQ(FormatValue(1234567), "1.234567e+06");
  EXPECT_EQ(FormatValue(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(FormatValue(1.5e300), "1.5e+300");
  EXPECT_EQ(FormatValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(Escaping, LabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeLabelValue("plain/ü"), "plain/ü");
  // HELP escapes backslash and newline only; quotes stay.
  EXPECT_EQ(EscapeHelp("a\\b\"c\nd"), "a\\\\b\"c\\nd");
}

TEST(Registry, CountersWithLabelsSortedAndEscaped) {
  Registry r;
  CounterFamily* requests =
      *NewCounter(r, "apiserver_request_total", "Requests by verb\nand \\code.", {"verb", "code"});
  GaugeFamily* inflight =
      *NewGauge(r, "apiserver_current_inflight_requests", "In flight.", {"request_kind"});
  requests->WithLabelValues({"LIST", "200"}).Inc();
  requests->WithLabelValues({"GET", "404"}).Add(2);
  requests->WithLabelValues({"GET", "200"}).Inc();
  requests->WithLabelValues({"GET", "200"}).Inc();
  requests->WithLabelValues({"GET", "a\"b\\c\nd"}).Inc();
  inflight->WithLabelValues({"mutating"}).Set(3);
  inflight->WithLabelValues({"mutating"}).Dec();
  inflight->WithLabelValues({"readOnly"}).Add(-1.5);

  EXPECT_EQ(r.Expose(),
            "# HELP apiserver_current_inflight_requests In flight.\n"
            "# TYPE apiserver_current_inflight_requests gauge\n"
            "apiserver_current_inflight_requests{request_kind=\"mutating\"} 2\n"
            "apiserver_current_inflight_requests{request_kind=\"readOnly\"} -1.5\n"
            "# HELP apiserver_request_total Requests by verb\\nand \\\\code.\n"
            "# TYPE apiserver_request_total counter\n"
            "apiserver_request_total{verb=\"GET\",code=\"200\"} 2\n"
            "apiserver_request_total{verb=\"GET\",code=\"404\"} 2\n"
            "apiserver_request_total{verb=\"GET\",code=\"a\\\"b\\\\c\\nd\"} 1\n"
            "apiserver_request_total{verb=\"LIST\",code=\"200\"} 1\n");
}

TEST(Registry, UnlabelledFamiliesStartAtZeroLabelledOnesAppearWhenUsed) {
  Registry r;
  CounterFamily* plain = *NewCounter(r, "b_total", "B.");
  CounterFamily* labelled = *NewCounter(r, "a_total", "A.", {"x"});
  EXPECT_EQ(r.Expose(), "# HELP b_total B.\n# TYPE b_total counter\nb_total 0\n");
  plain->WithLabelValues({}).Add(0.5);
  labelled->WithLabelValues({"1"}).Inc();
  EXPECT_EQ(r.Expose(),
            "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 1\n"
            "# HELP b_total B.\n# TYPE b_total counter\nb_total 0.5\n");
}

TEST(Counter, NeverGoesDown) {
  Counter c;
  c.Add(2);
  c.Add(-1);
  c.Add(std::nan(""));
  EXPECT_EQ(c.Value(), 2);
}

TEST(Registry, HistogramBucketsAreCumulative) {
  Registry r;
  HistogramFamily* h =
      *NewHistogram(r, "request_duration_seconds", "Latency.", {"verb"}, {0.25, 0.5, 1});
  Histogram& get = h->WithLabelValues({"GET"});
  // 0.25 sits on a bound: buckets are inclusive.
  for (double v : {0.125, 0.25, 0.375, 0.75, 2.0}) get.Observe(v);
  h->WithLabelValues({"PUT"}).Observe(0.5);

  EXPECT_EQ(r.Expose(),
            "# HELP request_duration_seconds Latency.\n"
            "# TYPE request_duration_seconds histogram\n"
            "request_duration_seconds_bucket{verb=\"GET\",le=\"0.25\"} 2\n"
            "request_duration_seconds_bucket{verb=\"GET\",le=\"0.5\"} 3\n"
            "request_duration_seconds_bucket{verb=\"GET\",le=\"1\"} 4\n"
            "request_duration_seconds_bucket{verb=\"GET\",le=\"+Inf\"} 5\n"
            "request_duration_seconds_sum{verb=\"GET\"} 3.5\n"
            "request_duration_seconds_count{verb=\"GET\"} 5\n"
            "request_duration_seconds_bucket{verb=\"PUT\",le=\"0.25\"} 0\n"
            "request_duration_seconds_bucket{verb=\"PUT\",le=\"0.5\"} 1\n"
            "request_duration_seconds_bucket{verb=\"PUT\",le=\"1\"} 1\n"
            "request_duration_seconds_bucket{verb=\"PUT\",le=\"+Inf\"} 1\n"
            "request_duration_seconds_sum{verb=\"PUT\"} 0.5\n"
            "request_duration_seconds_count{verb=\"PUT\"} 1\n");
}

TEST(Registry, UnlabelledHistogramHasOnlyLe) {
  Registry r;
  HistogramFamily* h =
      *NewHistogram(r, "x_seconds", "X.", {}, {1e6, std::numeric_limits<double>::infinity()});
  EXPECT_EQ(h->buckets(), std::vector<double>{1e6});  // the trailing +Inf is implicit
  h->WithLabelValues({}).Observe(std::nan(""));
  EXPECT_EQ(r.Expose(),
            "# HELP x_seconds X.\n# TYPE x_seconds histogram\n"
            "x_seconds_bucket{le=\"1e+06\"} 0\n"
            "x_seconds_bucket{le=\"+Inf\"} 1\n"
            "x_seconds_sum NaN\n"
            "x_seconds_count 1\n");
}

TEST(Registry, RejectsBadDefinitions) {
  Registry r;
  EXPECT_EQ(NewCounter(r, "1abc", "h").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewCounter(r, "a-b", "h").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewCounter(r, "ok", "h", {"__reserved"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewCounter(r, "ok", "h", {"a", "a"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewCounter(r, "ok", "h", {"a:b"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewHistogram(r, "h", "h", {"le"}, {1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewHistogram(r, "h", "h", {}, {1, 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewHistogram(r, "h", "h", {}, {2, 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewHistogram(r, "h", "h", {}, {std::nan("")}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(NewCounter(r, "ns:sub_total", "h", {"_a1"}).ok());
  EXPECT_FALSE(ExponentialBuckets(0, 2, 3).ok());
  EXPECT_FALSE(ExponentialBuckets(1, 1, 3).ok());
  EXPECT_FALSE(ExponentialBuckets(1, 1e300, 5).ok());  // reaches +Inf
  EXPECT_EQ(*ExponentialBuckets(0.5, 2, 3), (std::vector<double>{0.5, 1, 2}));
}

TEST(Registry, SameDefinitionReturnsTheSameFamilyElseAlreadyExists) {
  Registry r;
  CounterFamily* a = *NewCounter(r, "x_total", "X.", {"k"});
  absl::StatusOr<CounterFamily*> again = NewCounter(r, "x_total", "X.", {"k"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, a);
  EXPECT_EQ(NewCounter(r, "x_total", "X.", {"other"}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(NewCounter(r, "x_total", "Other help.", {"k"}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(NewGauge(r, "x_total", "X.", {"k"}).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(NewGaugeFunc(r, "x_total", "X.", {"k"}).status().code(),
            absl::StatusCode::kAlreadyExists);

  HistogramFamily* h = *NewHistogram(r, "lat", "L.", {}, {1, 2});
  EXPECT_EQ(*NewHistogram(r, "lat", "L.", {}, {1, 2}), h);
  EXPECT_EQ(NewHistogram(r, "lat", "L.", {}, {1, 3}).status().code(),
            absl::StatusCode::kAlreadyExists);
  // A histogram's derived series names are taken too.
  EXPECT_EQ(NewCounter(r, "lat_count", "C.").status().code(), absl::StatusCode::kAlreadyExists);
}

TEST(ChildFamily, WrongNumberOfLabelValuesDoesNotCrashAndIsNotExposed) {
  Registry r;
  CounterFamily* c = *NewCounter(r, "c_total", "C.", {"a", "b"});
  EXPECT_EQ(c->Get({"only-one"}).status().code(), absl::StatusCode::kInvalidArgument);
  c->WithLabelValues({"only-one"}).Inc();
  c->WithLabelValues(std::vector<std::string>{"x", "y", "z"}).Inc();
  EXPECT_EQ(r.Expose(), "");
  c->WithLabelValues(std::vector<std::string>{"x", "y"}).Inc();
  EXPECT_EQ(&c->WithLabelValues({"x", "y"}), *c->Get({"x", "y"}));
  EXPECT_EQ(r.Expose(), "# HELP c_total C.\n# TYPE c_total counter\nc_total{a=\"x\",b=\"y\"} 1\n");
}

TEST(Registry, ConcurrentIncrementsSumUp) {
  Registry r;
  CounterFamily* c = *NewCounter(r, "hits_total", "Hits.", {"worker"});
  HistogramFamily* h = *NewHistogram(r, "obs", "Obs.", {}, {0.5});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Half the threads share a child (contended), each also has its own,
      // and every increment looks the child up (creation races included).
      for (int i = 0; i < kPerThread; ++i) {
        c->WithLabelValues({"shared"}).Inc();
        c->WithLabelValues({std::to_string(t % 4)}).Inc();
        h->WithLabelValues({}).Observe(t % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  // Exposition concurrently with the writers must not disturb them.
  for (int i = 0; i < 20; ++i) r.Expose();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(c->WithLabelValues({"shared"}).Value(), kThreads * kPerThread);
  for (int w = 0; w < 4; ++w) {
    EXPECT_EQ(c->WithLabelValues({std::to_string(w)}).Value(), 2 * kPerThread);
  }
  Histogram::Snapshot s = h->WithLabelValues({}).Read();
  EXPECT_EQ(s.count, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(s.cumulative[0], static_cast<uint64_t>(kThreads / 2 * kPerThread));
  EXPECT_DOUBLE_EQ(s.sum, kThreads / 2 * kPerThread * 1.25);
}

TEST(GaugeFunc, ReadsCallbacksAtExpositionAndStopsAfterRegistrationDies) {
  Registry r;
  GaugeFuncFamily* objects =
      *NewGaugeFunc(r, "apiserver_storage_objects", "Stored objects.", {"resource"});
  int pods = 3;
  auto first = objects->AddCallback([&] {
    return std::vector<GaugeFuncFamily::Sample>{
        {{"pods"}, static_cast<double>(pods)}, {{"deployments.apps"}, 1}, {{"too", "many"}, 9}};
  });
  // Reports pods again: the first callback's value wins.
  auto second = objects->AddCallback([] {
    return std::vector<GaugeFuncFamily::Sample>{{{"pods"}, 100}, {{"nodes"}, 2}};
  });
  const std::string header =
      "# HELP apiserver_storage_objects Stored objects.\n"
      "# TYPE apiserver_storage_objects gauge\n";
  EXPECT_EQ(r.Expose(), header +
                            "apiserver_storage_objects{resource=\"deployments.apps\"} 1\n"
                            "apiserver_storage_objects{resource=\"nodes\"} 2\n"
                            "apiserver_storage_objects{resource=\"pods\"} 3\n");
  pods = 5;
  first.reset();
  EXPECT_EQ(r.Expose(), header +
                            "apiserver_storage_objects{resource=\"nodes\"} 2\n"
                            "apiserver_storage_objects{resource=\"pods\"} 100\n");
  second.reset();
  EXPECT_EQ(r.Expose(), "");

  GaugeFuncFamily* up = *NewGaugeFunc(r, "up_seconds", "Up.");
  auto reg = up->AddCallback([] { return std::vector<GaugeFuncFamily::Sample>{{{}, 1.5}}; });
  EXPECT_EQ(r.Expose(), "# HELP up_seconds Up.\n# TYPE up_seconds gauge\nup_seconds 1.5\n");
}

TEST(Buckets, KubernetesAndPrometheusDefaults) {
  std::vector<double> k8s = KubernetesLatencyBuckets();
  ASSERT_EQ(k8s.size(), 23u);
  EXPECT_EQ(k8s.front(), 0.005);
  EXPECT_EQ(k8s.back(), 60);
  EXPECT_TRUE(std::is_sorted(k8s.begin(), k8s.end()));
  std::vector<double> def = DefaultBuckets();
  ASSERT_EQ(def.size(), 11u);
  EXPECT_EQ(def.back(), 10);
  Registry r;
  EXPECT_TRUE(NewHistogram(r, "a", "A.", {}, k8s).ok());
  EXPECT_TRUE(NewHistogram(r, "b", "B.", {}, def).ok());
}

TEST(Registry, DefaultIsOneInstance) { EXPECT_EQ(&Registry::Default(), &Registry::Default()); }

}  // namespace
}  // namespace minik8s::metrics
