#include "run_report.h"

#include <gtest/gtest.h>

namespace loadgen {
namespace {

TEST(RunReport, JobsReportsCompletionsPerSecondOfTheWindow) {
  Options o;
  o.scenario = Scenario::kJobs;
  o.nodes = 10;
  o.job_rate_per_s = 5000;
  WorkerReport r;
  r.connect.opened = 10;
  r.connect.ready = 10;
  r.jobs.start_ns = 1'000'000'000;
  r.jobs.stop_ns = 3'000'000'000;
  r.jobs.submitted = 10'000;
  r.jobs.completed = 9'990;
  r.jobs.completed_in_window = 9'000;
  r.jobs.failed = 10;
  r.jobs.statuses["200"] = 9'990;
  r.jobs.statuses["408"] = 10;
  for (int i = 0; i < 100; ++i) r.jobs.latency.Record(1000);
  r.jobs.scheduled_latency.Record(1500);
  ServerSamples server;
  server.pid = 42;
  server.after_connect = ProcessSample{1.0, 100};
  server.after_measure = ProcessSample{2.0, 200};
  const JsonValue j = BuildRunReport(o, r, server, LoadgenFacts{});
  EXPECT_EQ(j["scenario"].AsString(), "jobs");
  EXPECT_DOUBLE_EQ(j["duration_s"].AsDouble(), 2.0);
  EXPECT_DOUBLE_EQ(j["throughput_per_s"].AsDouble(), 4500.0);
  EXPECT_EQ(j["latency_us"]["count"].AsInt(), 100);
  EXPECT_EQ(j["registered"].AsInt(), 10);
  const JsonValue& jobs = j["jobs"];
  EXPECT_EQ(jobs["loop"].AsString(), "open");
  EXPECT_EQ(jobs["submitted"].AsInt(), 10'000);
  EXPECT_DOUBLE_EQ(jobs["submitted_per_s"].AsDouble(), 5000.0);
  EXPECT_EQ(jobs["failed"].AsInt(), 10);
  EXPECT_EQ(jobs["statuses"]["408"].AsInt(), 10);
  EXPECT_EQ(jobs["scheduled_latency_us"]["count"].AsInt(), 1);
  // Server CPU per completed job: 1 s over 9,990 jobs.
  EXPECT_NEAR(j["server"]["cpu_us_per_op"].AsDouble(), 100.1, 0.01);
}

TEST(RunReport, ClosedLoopJobsHaveNoScheduledLatency) {
  Options o;
  o.scenario = Scenario::kJobs;
  o.job_rate_per_s = 0;
  const JsonValue j = BuildRunReport(o, WorkerReport{}, ServerSamples{}, LoadgenFacts{});
  EXPECT_EQ(j["jobs"]["loop"].AsString(), "closed");
  EXPECT_EQ(j["jobs"].Find("scheduled_latency_us"), nullptr);
  EXPECT_TRUE(j["throughput_per_s"].is_null());
}

}  // namespace
}  // namespace loadgen
