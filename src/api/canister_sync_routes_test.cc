// The file-canister sync journal's admin routes (settlement_routes.cc S5,
// S6) against a real SqliteStore: failed rows listed with their reason,
// attempts and next try; a retry makes a failed row due now and nothing
// else; bad input and missing rows are 4xx that write nothing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/api_test_util.h"
#include "api/settlement_routes.h"
#include "core/metrics.h"
#include "rewards/test_harness.h"

namespace sela::api {
namespace {

using test_util::JsonRequest;
using test_util::Request;
namespace json = boost::json;

store::SyncRecord Row(char digit, int64_t now_ms) {
  store::SyncRecord r;
  r.sha256 = std::string(64, digit);
  r.source = store::SyncSource::kResult;
  r.ref = std::string("job_") + digit;
  r.owner = "node-a";
  r.content_type = "application/json";
  r.size = 10;
  r.created_ms = now_ms;
  r.updated_ms = now_ms;
  r.next_attempt_ms = now_ms;
  return r;
}

class CanisterSyncRoutesTest : public rewards::testing::RewardsHarness {
 protected:
  CanisterSyncRoutesTest()
      : settler_(settle::SettlerOptions{}, *store_, clock_, [](const auto&, settle::TransferDone) {}, metrics_),
        ctx_{SettlementRoutesDeps{.store = *store_, .settler = settler_, .clock = clock_}, {}} {
    ctx_.rest.admin_token = "tok";
  }

  static net::HeaderList Admin() { return {{"Authorization", "Bearer tok"}}; }

  net::HttpResponse Run(std::string_view id, net::HttpRequest request) {
    for (const auto& route : SettlementRouteTable()) {
      if (route.info.id != id) continue;
      std::vector<net::HttpResponse> out;
      RunRestRoute(route, ctx_, ctx_.rest, request, [&out](net::HttpResponse r) { out.push_back(std::move(r)); });
      Settle();
      EXPECT_EQ(out.size(), 1u);
      return out.empty() ? net::HttpResponse{} : out.front();
    }
    ADD_FAILURE() << "no route " << id;
    return {};
  }
  net::HttpResponse List(std::string query) {
    return Run("S5", Request("GET", "/api/admin/canister-sync", std::move(query), Admin()));
  }
  net::HttpResponse Retry(std::string body) {
    return Run("S6", JsonRequest("POST", "/api/admin/canister-sync/retry", std::move(body), Admin()));
  }
  static json::value Data(const net::HttpResponse& r) { return json::parse(r.body).at("data"); }

  void Enqueue(const store::SyncRecord& r) {
    ASSERT_TRUE(Call<Result<bool>>([&](auto done) { store_->EnqueueSync(r, done); }).value());
  }
  void Fail(char digit, const std::string& error) {
    store::SyncRecord r = Row(digit, clock_.WallMs());
    r.state = store::SyncState::kFailed;
    r.attempts = 4;
    r.last_error = error;
    ASSERT_TRUE(Call<Status>([&](auto done) { store_->UpdateSync(r, done); }).ok());
  }
  std::vector<store::SyncRecord> Due() {
    return Call<Result<std::vector<store::SyncRecord>>>(
               [&](auto done) { store_->ListDueSyncs(clock_.WallMs(), 100, done); })
        .value();
  }

  MetricsRegistry metrics_;
  settle::Settler settler_;
  SettlementRoutesContext ctx_;
};

TEST_F(CanisterSyncRoutesTest, ListsFailedRowsWithReasonAttemptsAndNextTry) {
  for (char c : std::string("abc")) Enqueue(Row(c, clock_.WallMs()));
  Fail('b', "INVALID_ARGUMENT: the bytes do not match their hash");
  Fail('c', "NOT_FOUND: result gone");
  const net::HttpResponse r = List("");
  ASSERT_EQ(r.status, 200u) << r.body;
  const json::value data = Data(r);
  EXPECT_EQ(data.at("count").at("failed"), 2);
  EXPECT_EQ(data.at("count").at("pending"), 1);
  const json::array& rows = data.at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("sha256").as_string(), std::string(64, 'b'));
  EXPECT_EQ(rows[0].at("lastError"), "INVALID_ARGUMENT: the bytes do not match their hash");
  EXPECT_EQ(rows[0].at("attempts"), 4);
  EXPECT_EQ(rows[0].at("state"), "failed");
  EXPECT_TRUE(rows[0].as_object().contains("nextAttemptMs"));
  EXPECT_TRUE(data.at("next").is_null());
  const json::value page = Data(List("limit=1"));
  EXPECT_EQ(page.at("rows").as_array().size(), 1u);
  EXPECT_EQ(page.at("next").as_string(), std::string(64, 'b'));
  EXPECT_EQ(Data(List("after=" + std::string(64, 'b'))).at("rows").at(0).at("sha256").as_string(), std::string(64, 'c'));
  EXPECT_EQ(Data(List("state=pending")).at("rows").at(0).at("sha256").as_string(), std::string(64, 'a'));
  EXPECT_EQ(List("state=synced").status, 400u);
  EXPECT_EQ(List("limit=0").status, 400u);
  EXPECT_EQ(Run("S5", Request("GET", "/api/admin/canister-sync")).status, 401u);
}

TEST_F(CanisterSyncRoutesTest, RetryMakesAFailedRowDueNowAndNothingElse) {
  for (char c : std::string("ab")) Enqueue(Row(c, clock_.WallMs()));
  Fail('b', "UNAVAILABLE: canister stopped");
  ASSERT_EQ(Due().size(), 1u);  // Only 'a'.
  clock_.Advance(Millis(60'000));
  const net::HttpResponse r = Retry(R"({"sha256":")" + std::string(64, 'b') + R"("})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(Data(r).at("state"), "pending");
  EXPECT_EQ(Data(r).at("nextAttemptMs"), clock_.WallMs());
  const std::vector<store::SyncRecord> due = Due();
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[1].sha256, std::string(64, 'b'));
  EXPECT_EQ(due[1].attempts, 4u);  // Kept for the record.
  EXPECT_TRUE(Data(List("")).at("rows").as_array().empty());
  // Not failed (any more), unknown, or malformed: refused, nothing written.
  EXPECT_EQ(Retry(R"({"sha256":")" + std::string(64, 'b') + R"("})").status, 404u);
  EXPECT_EQ(Retry(R"({"sha256":")" + std::string(64, 'a') + R"("})").status, 404u);
  EXPECT_EQ(Retry(R"({"sha256":")" + std::string(64, 'e') + R"("})").status, 404u);
  EXPECT_EQ(Retry(R"({"sha256":"abc"})").status, 400u);
  EXPECT_EQ(Retry("{}").status, 400u);
  EXPECT_EQ(Run("S6", JsonRequest("POST", "/api/admin/canister-sync/retry", "{}")).status, 401u);
  EXPECT_EQ(Due().size(), 2u);
}

}  // namespace
}  // namespace sela::api
