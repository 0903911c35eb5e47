// Store faults: out of space, corruption and the start-up checks
// (docs/STORAGE.md "Faults"). A real full disk and a read-only directory
// need a file system of their own: tests/hostile/test_storage.py.
#include "store/sqlite/health.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "core/metrics.h"
#include "store/sqlite/database.h"
#include "store/sqlite/open_checks.h"
#include "store/sqlite/sqlite_test_util.h"

namespace sela::store::sqlite {
namespace {

using ::sela::store::testing::SqliteStoreTest;
using ::sela::store::testing::TempDir;

TEST(StoreHealth, OutOfSpaceHoldsUntilTheWriterFindsRoom) {
  MetricsRegistry metrics;
  StoreHealth health("/data/sela.db", &metrics);
  EXPECT_TRUE(health.Check().ok());
  health.AfterWrite(fault::kFull);
  EXPECT_TRUE(health.out_of_space());
  EXPECT_EQ(health.Check().code(), Code::kUnavailable);
  EXPECT_EQ(metrics.GetGauge("sela_store_out_of_space", "").value(), 1);
  // Batches that go through meanwhile (a write that fits in old WAL frames)
  // do not clear it.
  health.AfterWrite(0);
  EXPECT_TRUE(health.out_of_space());
  health.MarkWritable();
  EXPECT_FALSE(health.out_of_space());
  EXPECT_TRUE(health.Check().ok());
  EXPECT_EQ(metrics.GetGauge("sela_store_out_of_space", "").value(), 0);
  EXPECT_EQ(metrics.GetCounter("sela_store_failed_writes_total", "", "reason=\"out_of_space\"").value(), 1u);
}

TEST(StoreHealth, DamageStaysAndWinsOverSpace) {
  StoreHealth health("/data/sela.db", nullptr);
  health.AfterWrite(fault::kDamaged | fault::kFull);
  health.MarkWritable();
  EXPECT_TRUE(health.damaged());
  EXPECT_EQ(health.Check().code(), Code::kInternal);
  EXPECT_EQ(health.Check().message().find("SELECT"), std::string::npos);
}

TEST(DatabaseFaults, ASizeCapIsReportedAsNoSpaceAndUnavailable) {
  TempDir dir;
  auto db = Database::Open(dir.path() + "/t.db", 0);
  ASSERT_TRUE(db.has_value());
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t (v BLOB) STRICT").ok());
  ASSERT_TRUE((*db)->Exec("PRAGMA max_page_count = 8").ok());
  Status status;
  for (int i = 0; i < 100 && status.ok(); ++i) {
    status = (*db)->Exec("INSERT INTO t VALUES (zeroblob(4000))");
  }
  EXPECT_EQ(status.code(), Code::kUnavailable) << status.ToString();
  EXPECT_EQ((*db)->TakeFaults(), fault::kFull);
  EXPECT_EQ((*db)->TakeFaults(), 0u);
}

// Overwrites the second half of the file's pages (rows and index entries;
// the schema, written first, stays readable) with noise.
void CorruptPages(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  const std::streamoff pages = f.tellg() / 4096;
  ASSERT_GE(pages, 8);
  for (std::streamoff page = pages / 2; page < pages; ++page) {
    f.seekp(page * 4096 + 8);
    for (int i = 0; i < 64; ++i) f << "garbage!";
  }
}

class StoreFaultTest : public SqliteStoreTest {
 protected:
  // A store with some rows, closed with its WAL copied into the file.
  void MakeStoreWithData() {
    ASSERT_NO_FATAL_FAILURE(Open());
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(Register("node-" + std::to_string(i)).has_value());
    }
    Close();
    ASSERT_TRUE(testing::RawExec(options_.path, "PRAGMA wal_checkpoint(TRUNCATE)").ok());
  }
};

TEST_F(StoreFaultTest, ACorruptFileOpensButIsNotReady) {
  ASSERT_NO_FATAL_FAILURE(MakeStoreWithData());
  ASSERT_NO_FATAL_FAILURE(CorruptPages(options_.path));
  MetricsRegistry metrics;
  options_.metrics = &metrics;
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(Ping().code(), Code::kInternal);
  EXPECT_EQ(metrics.GetGauge("sela_store_damaged", "").value(), 1);
}

TEST_F(StoreFaultTest, WithoutTheCheckCorruptionIsFoundWhenAnOperationMeetsIt) {
  ASSERT_NO_FATAL_FAILURE(MakeStoreWithData());
  // The nodes table's root page: every read of the table starts there.
  const int64_t root = testing::RawQueryInt(options_.path, "SELECT rootpage FROM sqlite_master WHERE name = 'nodes'");
  ASSERT_GT(root, 1);
  {
    std::fstream f(options_.path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp((root - 1) * 4096);
    for (int i = 0; i < 64; ++i) f << "garbage!";
  }
  options_.quick_check_ms = 0;
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_TRUE(Ping().ok());
  // Reading every node crosses the damaged pages.
  std::optional<Status> listed;
  store_->ListNodes(false, [&](Result<std::vector<NodeRecord>> r) {
    listed = r.has_value() ? Status() : r.error();
  });
  store_->Flush();
  posts_.RunAll();
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->code(), Code::kInternal) << listed->ToString();
  const Status ping = Ping();
  EXPECT_EQ(ping.code(), Code::kInternal) << ping.ToString();
}

TEST_F(StoreFaultTest, AHealthyFilePassesTheCheck) {
  ASSERT_NO_FATAL_FAILURE(MakeStoreWithData());
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_TRUE(Ping().ok());
}

TEST(OpenChecks, ADataDirectoryThatCannotBeMadeOrWrittenIsRefused) {
  TempDir dir;
  std::ofstream(dir.path() + "/file") << "x";
  const Status status = PrepareDataFile(dir.path() + "/file/sela.db");
  EXPECT_EQ(status.code(), Code::kFailedPrecondition);
  EXPECT_NE(status.message().find(dir.path() + "/file"), std::string::npos) << status.ToString();
}

}  // namespace
}  // namespace sela::store::sqlite
