#include "core/metrics.h"

#include <gtest/gtest.h>

namespace sela {
namespace {

TEST(Metrics, RendersCountersGaugesAndHistogramsInPrometheusFormat) {
  MetricsRegistry r;
  r.GetCounter("sela_requests_total", "Requests.", "route=\"/a\",status=\"200\"").Inc(3);
  r.GetGauge("sela_open", "Open.").Set(7);
  Histogram& h = r.GetHistogram("sela_latency_seconds", "Latency.", "", {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  std::string text = r.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE sela_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("sela_requests_total{route=\"/a\",status=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("sela_open 7\n"), std::string::npos);
  EXPECT_NE(text.find("sela_latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("sela_latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("sela_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("sela_latency_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("sela_latency_seconds_sum 5.55\n"), std::string::npos);
}

TEST(Metrics, SameNameAndLabelsReturnTheSameSeries) {
  MetricsRegistry r;
  Counter& a = r.GetCounter("c_total", "C.", "x=\"1\"");
  Counter& b = r.GetCounter("c_total", "C.", "x=\"1\"");
  Counter& c = r.GetCounter("c_total", "C.", "x=\"2\"");
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

TEST(Metrics, ListsTheSeriesOfACounterFamily) {
  MetricsRegistry r;
  r.GetCounter("e_total", "E.", "reason=\"b\"").Inc(2);
  r.GetCounter("e_total", "E.", "reason=\"a\"").Inc(5);
  r.GetGauge("g", "G.").Set(1);
  const auto series = r.CounterSeries("e_total");
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0], (std::pair<std::string, uint64_t>{"reason=\"a\"", 5}));
  EXPECT_EQ(series[1], (std::pair<std::string, uint64_t>{"reason=\"b\"", 2}));
  EXPECT_TRUE(r.CounterSeries("g").empty());
  EXPECT_TRUE(r.CounterSeries("missing_total").empty());
}

TEST(Metrics, EscapesLabelValues) {
  EXPECT_EQ(MetricsRegistry::EscapeLabel("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace sela
