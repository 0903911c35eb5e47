// The store's work per job on the server's hot path (job_cost.h), held to
// what the schema and statements in operations_jobs.cc should cost. A new
// index, statement or savepoint on that path shows up here.
#include "bench/job_cost.h"

#include <gtest/gtest.h>

#include "store/store_contract_test.h"

namespace sela::store::sqlite {
namespace {

using testing::TempDir;

JobCost MustMeasure(const JobCostOptions& options) {
  const Result<JobCost> cost = MeasureJobCost(options);
  if (!cost.has_value()) {
    ADD_FAILURE() << cost.error().ToString();
    return JobCost{};
  }
  return *cost;
}

// Per job: CreateJob is SAVEPOINT, charge, insert, RELEASE; CompleteJob is
// SAVEPOINT, guarded update, blob insert, RELEASE. Per batch: BEGIN, COMMIT.
TEST(JobCost, CountsEveryStatementOfTheHotPath) {
  TempDir dir;
  const JobCostOptions options{.dir = dir.path(), .jobs = 64, .jobs_per_batch = 8};
  const JobCost cost = MustMeasure(options);
  EXPECT_EQ(cost.jobs, 64u);
  EXPECT_EQ(cost.batches, 9u);  // The last one only completes.
  EXPECT_EQ(cost.statements, 64u * 8 + 9u * 2);
  EXPECT_GT(cost.vm_steps, cost.statements);
}

TEST(JobCost, CountsTheSameWalFramesAsTheWriterWrote) {
  TempDir dir;
  const JobCost cost = MustMeasure({.dir = dir.path(), .jobs = 200, .jobs_per_batch = 8});
  EXPECT_GT(cost.wal_frames, 0u);
  EXPECT_EQ(cost.wal_frames, cost.pages_written);
  EXPECT_GT(cost.file_bytes_added, 200u * 1024);  // The results at least.
  EXPECT_GE(cost.write_calls, cost.wal_frames);
}

// With one job per batch, every b-tree a job touches costs a page or more
// per commit: the jobs table, its job_id, jobs_by_client, jobs_open_by_client
// and jobs_usage indexes, api_clients, blobs and its hash index, and page 1
// when the file grows (10.03 pages per job with schema v3; v2 wrote about
// 12.5). An index more on this path costs a page more.
TEST(JobCost, OneJobPerBatchStaysWithinItsWalPageBudget) {
  TempDir dir;
  const JobCost cost = MustMeasure({.dir = dir.path(), .jobs = 400, .jobs_per_batch = 1});
  EXPECT_LE(cost.PerJob(cost.wal_frames), 10.5);
  EXPECT_GE(cost.PerJob(cost.wal_frames), 8.0);  // Counting still works.
}

// Each WAL frame is two write calls (header, page) and is checkpointed at
// most once (one call). Anything beyond is a temporary file: savepoint
// sub-journals spilling to disk once a batch's operations change enough
// pages, which the store keeps in memory.
TEST(JobCost, WritesNothingButTheWalAndItsCheckpoints) {
  TempDir dir;
  const JobCost cost = MustMeasure({.dir = dir.path(), .jobs = 1'024, .jobs_per_batch = 256});
  EXPECT_LE(cost.write_calls, 3 * cost.wal_frames);
}

TEST(JobCost, RefusesZeroCountsAndAUsedDirectory) {
  TempDir dir;
  EXPECT_EQ(MeasureJobCost({.dir = dir.path(), .jobs = 0}).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(MeasureJobCost({.dir = dir.path(), .jobs_per_batch = 0}).error().code(),
            Code::kInvalidArgument);
  ASSERT_TRUE(MeasureJobCost({.dir = dir.path(), .jobs = 8, .jobs_per_batch = 8}).has_value());
  EXPECT_EQ(MeasureJobCost({.dir = dir.path(), .jobs = 8, .jobs_per_batch = 8}).error().code(),
            Code::kFailedPrecondition);
}

}  // namespace
}  // namespace sela::store::sqlite
