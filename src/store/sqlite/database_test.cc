#include "store/sqlite/database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/sqlite/schema.h"
#include "store/store_contract_test.h"

namespace sela::store::sqlite {
namespace {

using ::sela::store::testing::TempDir;

TEST(StatusFromSqlite, TellsTheCallerWhatToDo) {
  const std::pair<int, Code> cases[] = {
      {SQLITE_BUSY, Code::kUnavailable},
      {SQLITE_BUSY_SNAPSHOT, Code::kUnavailable},
      {SQLITE_LOCKED, Code::kUnavailable},
      {SQLITE_IOERR, Code::kUnavailable},
      {SQLITE_IOERR_FSYNC, Code::kUnavailable},
      {SQLITE_CANTOPEN, Code::kUnavailable},
      {SQLITE_READONLY, Code::kUnavailable},
      // Not ResourceExhausted: that is a quota the caller hit (usage limit).
      {SQLITE_FULL, Code::kUnavailable},
      {SQLITE_NOMEM, Code::kUnavailable},
      {SQLITE_TOOBIG, Code::kInvalidArgument},
      {SQLITE_CONSTRAINT_CHECK, Code::kInvalidArgument},
      {SQLITE_CONSTRAINT_NOTNULL, Code::kInvalidArgument},
      {SQLITE_CONSTRAINT_UNIQUE, Code::kConflict},
      {SQLITE_CONSTRAINT_PRIMARYKEY, Code::kConflict},
      {SQLITE_CORRUPT, Code::kInternal},
      {SQLITE_NOTADB, Code::kInternal},
      {SQLITE_MISUSE, Code::kInternal},
      {SQLITE_ERROR, Code::kInternal},
  };
  for (const auto& [rc, code] : cases) {
    EXPECT_EQ(StatusFromSqlite(rc, "ctx", "detail").code(), code) << rc;
  }
}

TEST(StatusFromSqlite, MessageSaysWhatFailed) {
  const Status status = StatusFromSqlite(SQLITE_BUSY, "step 'UPDATE nodes'", "database is locked");
  EXPECT_NE(status.message().find("step 'UPDATE nodes'"), std::string::npos);
  EXPECT_NE(status.message().find("database is locked"), std::string::npos);
}

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.path() + "/t.db", 0);
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0),"
                          " d REAL) STRICT")
                    .ok());
  }

  Status Insert(std::string_view k, int64_t v) {
    ASSIGN_OR_RETURN(Query q, db_->Prepare("INSERT INTO t (k, v) VALUES (?1, ?2)"));
    return q.BindText(1, k).BindInt(2, v).Run();
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, CachedStatementsCanBeReusedOneAfterAnother) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Insert("k" + std::to_string(i), i).ok());
  auto q = db_->Prepare("SELECT SUM(v), COUNT(*) FROM t");
  ASSERT_TRUE(q.has_value());
  ASSERT_EQ(q->Step(), true);
  EXPECT_EQ(q->Int64(0), 3);
  EXPECT_EQ(q->Int64(1), 3);
  EXPECT_EQ(q->Step(), false);
}

TEST_F(DatabaseTest, AStatementInUseIsNotLentTwice) {
  ASSERT_TRUE(Insert("a", 1).ok());
  auto first = db_->Prepare("SELECT k FROM t");
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->Step(), true);
  const auto second = db_->Prepare("SELECT k FROM t");
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), Code::kInternal);
}

TEST_F(DatabaseTest, StaticTextAndTheSameTextBuiltAtRunTimeShareOneStatement) {
  // Static SQL is found by its address, other text by its content: both
  // name the one cached statement, so it is still lent once at a time.
  static constexpr char kSelect[] = "SELECT k FROM t";
  ASSERT_TRUE(Insert("a", 1).ok());
  {
    auto by_address = db_->Prepare(kSelect);
    ASSERT_TRUE(by_address.has_value());
    ASSERT_EQ(by_address->Step(), true);
    const auto by_text = db_->Prepare(std::string("SELECT k ") + "FROM t");
    ASSERT_FALSE(by_text.has_value());
    EXPECT_EQ(by_text.error().code(), Code::kInternal);
  }
  auto by_text = db_->Prepare(std::string("SELECT k ") + "FROM t");
  ASSERT_TRUE(by_text.has_value());
  ASSERT_EQ(by_text->Step(), true);
  const auto again = db_->Prepare(kSelect);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Code::kInternal);
}

TEST_F(DatabaseTest, ConstraintViolationsMapToTheirCodes) {
  ASSERT_TRUE(Insert("a", 1).ok());
  EXPECT_EQ(Insert("a", 2).code(), Code::kConflict);
  const Status check = Insert("b", -1);
  EXPECT_EQ(check.code(), Code::kInvalidArgument);
  EXPECT_NE(check.message().find("CHECK"), std::string::npos) << check.ToString();
}

TEST_F(DatabaseTest, ABindErrorIsReportedWhenTheStatementRuns) {
  auto q = db_->Prepare("INSERT INTO t (k, v) VALUES (?1, ?2)");
  ASSERT_TRUE(q.has_value());
  const Status status = q->BindText(1, "x").BindInt(7, 1).Run();
  EXPECT_EQ(status.code(), Code::kInternal) << status.ToString();
  EXPECT_NE(status.message().find("bind"), std::string::npos) << status.ToString();
}

TEST_F(DatabaseTest, BadSqlIsInternalAndNamesTheStatement) {
  const auto q = db_->Prepare("SELEKT 1");
  ASSERT_FALSE(q.has_value());
  EXPECT_EQ(q.error().code(), Code::kInternal);
  EXPECT_NE(q.error().message().find("SELEKT"), std::string::npos);
  EXPECT_EQ(db_->Exec("CREATE TABLE t (x)").code(), Code::kInternal);
}

TEST_F(DatabaseTest, OptionalDoublesBindAsNull) {
  ASSERT_TRUE(Insert("a", 1).ok());
  auto q = db_->Prepare("UPDATE t SET d = COALESCE(?1, 2.5) WHERE k = 'a'");
  ASSERT_TRUE(q.has_value());
  ASSERT_TRUE(q->BindOptionalDouble(1, std::nullopt).Run().ok());
  EXPECT_EQ(db_->Changes(), 1);
  auto d = db_->Prepare("SELECT d FROM t WHERE k = 'a'");
  ASSERT_EQ(d->Step(), true);
  EXPECT_EQ(d->Double(0), 2.5);
}

TEST_F(DatabaseTest, BlobsKeepEveryByteAndAnEmptyOneIsNotNull) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE b (k INTEGER PRIMARY KEY, v BLOB NOT NULL) STRICT").ok());
  const std::string bytes("a\0b\xff", 4);
  for (const std::string& value : {bytes, std::string()}) {
    auto insert = db_->Prepare("INSERT INTO b (v) VALUES (?1) RETURNING v");
    ASSERT_TRUE(insert.has_value());
    ASSERT_EQ(insert->BindBlob(1, value).Step(), true);
    EXPECT_EQ(insert->Blob(0), value);
  }
  auto types = db_->Prepare("SELECT COUNT(*) FROM b WHERE typeof(v) = 'blob'");
  ASSERT_EQ(types->Step(), true);
  EXPECT_EQ(types->Int64(0), 2);
}

TEST_F(DatabaseTest, InTransactionFollowsBeginAndCommit) {
  EXPECT_FALSE(db_->InTransaction());
  ASSERT_TRUE(db_->Run("BEGIN").ok());
  EXPECT_TRUE(db_->InTransaction());
  ASSERT_TRUE(db_->Run("COMMIT").ok());
  EXPECT_FALSE(db_->InTransaction());
}

TEST(DatabaseOpen, AMissingDirectoryIsUnavailable) {
  TempDir dir;
  const auto db = Database::Open(dir.path() + "/missing/t.db", 0);
  ASSERT_FALSE(db.has_value());
  EXPECT_EQ(db.error().code(), Code::kUnavailable) << db.error().ToString();
}

TEST(Migrate, BringsAnEmptyFileToTheLatestVersionOnce) {
  TempDir dir;
  auto db = Database::Open(dir.path() + "/t.db", 0);
  ASSERT_TRUE(db.has_value());
  ASSERT_TRUE(Migrate(**db).ok());
  EXPECT_EQ(SchemaVersion(**db), LatestSchemaVersion());
  ASSERT_TRUE(Migrate(**db).ok());
  EXPECT_EQ(SchemaVersion(**db), LatestSchemaVersion());
  EXPECT_FALSE((*db)->InTransaction());
}

}  // namespace
}  // namespace sela::store::sqlite
