// Test helpers for the SQLite backend: a fixture with a store on a temp
// file, and a raw connection for looking at (or locking) the file directly.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store/store_contract_test.h"

namespace sela::store::testing {

// A store on dir/sela.db whose callbacks go to `posts`, with a seeded random
// source (the fixtures of tests that run services over a real store). A
// store that cannot open fails the test and ends the binary: nothing after
// it could run.
inline std::unique_ptr<Store> OpenTestSqlite(const TempDir& dir, PostQueue& posts) {
  SqliteOptions options;
  options.path = dir.path() + "/sela.db";
  options.random = [n = uint64_t{0}]() mutable { return ++n * 0x9e3779b97f4a7c15u; };
  auto opened = SqliteStore::Open(options, posts.AsPostFn());
  if (!opened) {
    ADD_FAILURE() << opened.error().ToString();
    std::abort();
  }
  return std::move(opened).value();
}

// A second connection to the store's file, as another process would have.
class RawConnection {
 public:
  explicit RawConnection(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
  }
  ~RawConnection() { sqlite3_close_v2(db_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  Status Exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK) return {};
    return Internal(sqlite3_errmsg(db_));
  }
  // The first column of the first row, as text; "" when there is none.
  std::string QueryText(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    } else {
      ADD_FAILURE() << "query failed: " << sql << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_finalize(stmt);
    return out;
  }
  int64_t QueryInt(const std::string& sql) {
    const std::string text = QueryText(sql);
    return text.empty() ? 0 : std::stoll(text);
  }

 private:
  sqlite3* db_ = nullptr;
};

inline Status RawExec(const std::string& path, const std::string& sql) {
  return RawConnection(path).Exec(sql);
}
inline int64_t RawQueryInt(const std::string& path, const std::string& sql) {
  return RawConnection(path).QueryInt(sql);
}
inline std::string RawQueryText(const std::string& path, const std::string& sql) {
  return RawConnection(path).QueryText(sql);
}

// A SqliteStore on <temp dir>/sela.db with options_ the test may change
// before Open(). The random source replays random_values_, then continues
// from a seeded generator.
class SqliteStoreTest : public ::testing::Test, public StoreHarness {
 protected:
  SqliteStoreTest() {
    options_.path = dir_.path() + "/sela.db";
    options_.random = [this] {
      if (next_random_ < random_values_.size()) return random_values_[next_random_++];
      return generator_();
    };
  }
  void TearDown() override { Close(); }

  void Open() {
    auto opened = SqliteStore::Open(options_, posts_.AsPostFn());
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    store_ = std::move(opened).value();
  }

  TempDir dir_;
  SqliteOptions options_;
  std::vector<uint64_t> random_values_;
  size_t next_random_ = 0;
  std::mt19937_64 generator_{7};
};

}  // namespace sela::store::testing
