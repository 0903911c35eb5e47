#include "worker_report.h"

#include <gtest/gtest.h>

namespace loadgen {
namespace {

WorkerReport Sample(int64_t base) {
  WorkerReport r;
  r.nodes = 100;
  r.connect.attempted = 100;
  r.connect.opened = 99;
  r.connect.ready = 98;
  r.connect.failed = 2;
  r.connect.retries = 3;
  r.connect.start_ns = base;
  r.connect.first_connect_ns = base + 10;
  r.connect.last_ready_ns = base + 1000;
  for (int64_t v = 1; v <= 98; ++v) r.connect.latency.Record(v * 100 + base);
  r.rounds.resize(2);
  r.rounds[1].ready = 7;
  r.rounds[1].latency.Record(5);
  r.ping.round_trips = 50;
  r.ping.latency.Record(123);
  r.jobs.customers_connected = 32;
  r.jobs.submitted = 1000;
  r.jobs.completed = 990;
  r.jobs.completed_in_window = 980;
  r.jobs.failed = 10;
  r.jobs.late = 4;
  r.jobs.statuses["200"] = 990;
  r.jobs.statuses["408"] = 10;
  r.jobs.start_ns = base + 5;
  r.jobs.stop_ns = base + 500;
  r.jobs.latency.Record(800 + base);
  r.jobs.scheduled_latency.Record(900);
  r.jobs.customers_cpu_s = 0.125;
  r.jobs.dispatches = 995;
  r.jobs.results_acked = 990;
  r.errors["connect_ECONNREFUSED"] = 2;
  r.cpu_s = 1.5;
  r.wall_s = 10;
  r.measure_cpu_s = 0.5;
  r.measure_wall_s = 2;
  r.measure_cpu_fraction_max = 0.25;
  return r;
}

TEST(WorkerReport, SurvivesTheTripThroughJsonText) {
  const WorkerReport r = Sample(1'000'000);
  auto parsed = ParseJson(WorkerReportToJson(r).Serialize());
  ASSERT_TRUE(parsed.has_value());
  auto back = WorkerReportFromJson(*parsed);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(WorkerReportToJson(*back).Serialize(), WorkerReportToJson(r).Serialize());
  EXPECT_EQ(back->connect.latency.ValueAtPercentile(99), r.connect.latency.ValueAtPercentile(99));
}

TEST(WorkerReport, MergeAddsCountsAndWidensTimeSpans) {
  WorkerReport total;
  total.workers = 0;
  MergeWorkerReport(Sample(5000), total);
  MergeWorkerReport(Sample(1000), total);
  EXPECT_EQ(total.workers, 2);
  EXPECT_EQ(total.nodes, 200);
  EXPECT_EQ(total.connect.ready, 196);
  EXPECT_EQ(total.connect.first_connect_ns, 1010);
  EXPECT_EQ(total.connect.last_ready_ns, 6000);
  EXPECT_EQ(total.connect.latency.count(), 196);
  EXPECT_EQ(total.rounds[1].ready, 14);
  EXPECT_EQ(total.ping.round_trips, 100);
  EXPECT_EQ(total.errors["connect_ECONNREFUSED"], 4);
  EXPECT_EQ(total.jobs.completed_in_window, 1960);
  EXPECT_EQ(total.jobs.statuses["408"], 20);
  EXPECT_EQ(total.jobs.start_ns, 1005);
  EXPECT_EQ(total.jobs.stop_ns, 5500);
  EXPECT_EQ(total.jobs.latency.count(), 2);
  EXPECT_EQ(total.jobs.dispatches, 1990);
  EXPECT_DOUBLE_EQ(total.jobs.customers_cpu_s, 0.25);
  EXPECT_DOUBLE_EQ(total.cpu_s, 3.0);
  EXPECT_DOUBLE_EQ(total.wall_s, 10);
  EXPECT_DOUBLE_EQ(total.measure_cpu_s, 1.0);
  EXPECT_DOUBLE_EQ(total.measure_cpu_fraction_max, 0.25);
}

TEST(WorkerReport, RejectsAHistogramWhoseCountDoesNotAddUp) {
  JsonValue j = HistogramToJson(Sample(0).connect.latency);
  j.Set("count", 5);
  EXPECT_FALSE(HistogramFromJson(j).has_value());
  EXPECT_FALSE(WorkerReportFromJson(JsonValue(3)).has_value());
}

}  // namespace
}  // namespace loadgen
