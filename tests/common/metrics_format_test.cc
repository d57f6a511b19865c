// common/metrics.h's exposition held to the text format's rules by an
// independent checker (prometheus_text.h), and the checker itself shown to
// catch each kind of break.
#include <cmath>
#include <limits>
#include <string>

#include "common/metrics.h"
#include "gtest/gtest.h"
#include "tests/common/prometheus_text.h"

namespace minik8s::metrics {
namespace {

using testing::ParsePrometheusText;

TEST(MetricsFormat, HostileInputsStillFollowTheTextFormat) {
  Registry r;
  CounterFamily* c =
      *NewCounter(r, "x_requests_total", "Help with \\ and\nnewline \"quoted\".", {"code", "path"});
  c->WithLabelValues({"200", "/a\"b\\c\nd"}).Inc();
  c->WithLabelValues({"", "ü/ö"}).Add(3);
  GaugeFamily* g = *NewGauge(r, "x_temperature", "", {"room"});
  g->WithLabelValues({"cellar"}).Set(-std::numeric_limits<double>::infinity());
  g->WithLabelValues({"attic"}).Set(std::nan(""));
  HistogramFamily* h =
      *NewHistogram(r, "x_latency_seconds", "Latency.", {"verb"}, {0.001, 0.5, 1, 60});
  for (double v : {0.0005, 0.001, 0.7, 100.0, std::nan("")}) {
    h->WithLabelValues({"GET"}).Observe(v);
  }
  h->WithLabelValues({"PUT"}).Observe(2);
  HistogramFamily* bare = *NewHistogram(r, "x_only_inf_seconds", "Only +Inf.", {}, {});
  bare->WithLabelValues({}).Observe(1);
  *NewCounter(r, "x_untouched_total", "Starts at zero.");

  const std::string text = r.Expose();
  absl::StatusOr<testing::Exposition> e = ParsePrometheusText(text);
  ASSERT_TRUE(e.ok()) << e.status() << "\n" << text;
  EXPECT_EQ(e->types.at("x_requests_total"), "counter");
  EXPECT_EQ(e->types.at("x_latency_seconds"), "histogram");
  EXPECT_EQ(e->help.at("x_requests_total"), "Help with \\ and\nnewline \"quoted\".");
  EXPECT_EQ(e->Sum("x_requests_total", {{"path", "/a\"b\\c\nd"}}), 1);
  EXPECT_EQ(e->Sum("x_requests_total", {{"path", "ü/ö"}}), 3);
  EXPECT_EQ(e->Sum("x_latency_seconds_count", {{"verb", "GET"}}), 5);
  EXPECT_EQ(e->Sum("x_latency_seconds_bucket", {{"verb", "GET"}, {"le", "0.001"}}), 2);
  EXPECT_EQ(e->Sum("x_latency_seconds_bucket", {{"verb", "GET"}, {"le", "+Inf"}}), 5);
  EXPECT_EQ(e->Sum("x_only_inf_seconds_bucket", {{"le", "+Inf"}}), 1);
  EXPECT_EQ(e->Sum("x_untouched_total"), 0);
}

TEST(PrometheusTextChecker, CatchesEachBrokenRule) {
  const char* bad[] = {
      "x 1",  // no trailing newline
      "# TYPE x counter\nx -1\n",
      "# TYPE x counter\n# TYPE x counter\nx 1\n",
      "x 1\n# HELP x late\n",
      "# TYPE x gauge\nx{a=\"1\"} 1\ny 1\nx{a=\"2\"} 1\n",
      "x{a=\"1\",a=\"2\"} 1\n",
      "x{a=\"\\t\"} 1\n",
      "x{a=1} 1\n",
      "x{__a=\"1\"} 1\n",
      "1x 1\n",
      "x inf\n",
      "x 1\nx 2\n",
      "# HELP x bad \\t escape\nx 1\n",
      "# TYPE x histogram\nx_bucket{le=\"1\"} 1\nx_sum 1\nx_count 1\n",  // no +Inf
      "# TYPE x histogram\nx_bucket{le=\"1\"} 2\nx_bucket{le=\"+Inf\"} 1\nx_sum 1\nx_count 1\n",
      "# TYPE x histogram\nx_bucket{le=\"+Inf\"} 1\nx_sum 1\nx_count 2\n",
      "# TYPE x histogram\nx_bucket{le=\"+Inf\"} 1\nx_count 1\n",
      "# TYPE x histogram\nx_bucket{le=\"2\"} 1\nx_bucket{le=\"1\"} 1\nx_bucket{le=\"+Inf\"} 1\n"
      "x_sum 1\nx_count 1\n",
      "# TYPE x histogram\nx_bucket 1\n",
      "# TYPE x bogus\nx 1\n",
  };
  for (const char* text : bad) {
    EXPECT_FALSE(ParsePrometheusText(text).ok()) << text;
  }
  const char* good =
      "# HELP x A \\\\ help\\nline \"q\".\n# TYPE x counter\nx{a=\"\\\"\\\\\\n\"} 1\nx 0\n"
      "# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum NaN\n"
      "h_count 2\n";
  absl::StatusOr<testing::Exposition> e = ParsePrometheusText(good);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->help.at("x"), "A \\ help\nline \"q\".");
  EXPECT_EQ(e->Sum("x", {{"a", "\"\\\n"}}), 1);
}

}  // namespace
}  // namespace minik8s::metrics
