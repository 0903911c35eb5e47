// The node lists (N3, N4) on a real SqliteStore behind a FaultInjectionStore,
// which counts the operations they issue: a page reads the balances and
// settled totals of its own principals, never the whole ledger (which grows
// with every principal that ever earned).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/api_test_util.h"
#include "api/node_routes.h"
#include "api/rest_table.h"
#include "core/points.h"
#include "nodes/utc_day.h"
#include "store/sqlite/sqlite_test_util.h"
#include "store/store_test_support.h"
#include "testing/fake_clock.h"
#include "testing/fault_injection_store.h"

namespace sela::api {
namespace {

using sela::testing::FaultInjectionStore;
using sela::testing::StoreOp;
using test_util::Request;

class NodeListOnAStoreTest : public ::testing::Test {
 protected:
  NodeListOnAStoreTest() {
    sqlite_ = store::testing::OpenTestSqlite(dir_, posts_);
    faults_ = std::make_unique<FaultInjectionStore>(*sqlite_);
    ctx_ = std::make_unique<NodeRoutesContext>(NodeRoutesContext{
        NodeRoutesDeps{.clock = clock_,
                       .store = *faults_,
                       .registry = registry_,
                       .send_to_node = [](nodes::NodeIndex, std::string_view, std::string_view) { return size_t{0}; },
                       .send_to_all = [](std::string_view, std::string_view) { return size_t{0}; },
                       .last_checkpoint_ms = [] { return int64_t{0}; }},
        {}});
    ctx_->options.rest.admin_token = "tok";
  }
  ~NodeListOnAStoreTest() override {
    Settle();
    ctx_.reset();
    faults_.reset();
    sqlite_.reset();
  }

  void Settle() {
    do {
      sqlite_->Flush();
    } while (posts_.RunAll() > 0);
  }

  void Register(const std::string& principal) {
    sqlite_->RegisterNode(principal, "1", clock_.WallMs(),
                          [](Result<store::NodeRecord> r) { ASSERT_TRUE(r.has_value()) << r.error().ToString(); });
    Settle();
  }

  void Credit(const std::string& principal, int64_t units) {
    store::Transfer t;
    t.id = "t:" + principal;
    t.kind = store::RewardKind::kAdmin;
    t.principal = principal;
    t.amount_units = units;
    t.day = nodes::UtcDay(clock_.WallMs());
    t.created_ms = clock_.WallMs();
    sqlite_->ApplyTransfers({t}, "", [](Result<std::vector<store::AppliedTransfer>> r) {
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
    });
    Settle();
  }

  // Runs the route to its one answer.
  net::HttpResponse Run(std::string_view id, std::string query) {
    const RestRoute<NodeRoutesContext>* route = nullptr;
    for (const auto& r : NodeRouteTable()) {
      if (r.info.id == id) route = &r;
    }
    EXPECT_NE(route, nullptr) << id;
    net::HttpRequest request = Request("GET", "/", std::move(query), {{"Authorization", "Bearer tok"}});
    std::optional<net::HttpResponse> out;
    RunRestRoute(*route, *ctx_, ctx_->options.rest, request, [&](net::HttpResponse r) { out = std::move(r); });
    Settle();
    EXPECT_TRUE(out.has_value()) << id << " never answered";
    return out.value_or(net::HttpResponse{});
  }

  store::testing::TempDir dir_;
  store::testing::PostQueue posts_;
  sela::testing::FakeClock clock_;
  nodes::NodeRegistry registry_;
  std::unique_ptr<store::Store> sqlite_;
  std::unique_ptr<FaultInjectionStore> faults_;
  std::unique_ptr<NodeRoutesContext> ctx_;
};

TEST_F(NodeListOnAStoreTest, APageReadsItsOwnPrincipalsBalancesNotTheWholeLedger) {
  for (const char* p : {"p1", "p2", "p3", "p4"}) Register(p);
  Credit("p1", kUnitsPerSp);
  Credit("p3", 3 * kUnitsPerSp);
  Credit("earner-without-a-node", 9 * kUnitsPerSp);
  sqlite_->CreateSettlements({.run_id = "run1", .after_principal = "", .now_ms = clock_.WallMs(), .limit = 10},
                             [](Result<store::SettlementBatchResult> r) { ASSERT_TRUE(r.has_value()); });
  Settle();
  registry_.Connect("p3", 1, clock_.WallMs());

  const auto page = Run("N3", "limit=2");
  ASSERT_EQ(page.status, 200u) << page.body;
  const size_t p1 = page.body.find(R"("user_principal_id":"p1")");
  ASSERT_NE(p1, std::string::npos) << page.body;
  EXPECT_NE(page.body.find(R"("todaysEarnings":1,"balance":1,)", p1), std::string::npos) << page.body;
  EXPECT_NE(page.body.find(R"("settledBalance":0,"settlingBalance":1})", p1), std::string::npos) << page.body;
  EXPECT_EQ(page.body.find("p3"), std::string::npos) << "not on the page: " << page.body;
  EXPECT_EQ(faults_->issued(StoreOp::kListBalancesOf), 1u);
  EXPECT_EQ(faults_->issued(StoreOp::kListSettledTotalsOf), 1u);

  const auto running = Run("N4", "");
  ASSERT_EQ(running.status, 200u) << running.body;
  EXPECT_NE(running.body.find(R"("todaysEarnings":3,"balance":3,)"), std::string::npos) << running.body;
  EXPECT_NE(running.body.find(R"("settledBalance":0,"settlingBalance":3})"), std::string::npos) << running.body;
  EXPECT_EQ(faults_->issued(StoreOp::kListBalancesOf), 2u);
  EXPECT_EQ(faults_->issued(StoreOp::kListSettledTotalsOf), 2u);

  EXPECT_EQ(faults_->issued(StoreOp::kListBalances), 0u) << "the whole ledger is not read";
  EXPECT_EQ(faults_->issued(StoreOp::kListSettledTotals), 0u) << "nor every settled total";
}

TEST_F(NodeListOnAStoreTest, AFailedReadOfThePagesBalancesIsAStoreFailure) {
  Register("p1");
  faults_->FailOp(StoreOp::kListBalancesOf, ResourceExhausted("queue full"));
  EXPECT_EQ(Run("N3", "").status, 503u);
  faults_->Heal();
  faults_->FailOp(StoreOp::kListSettledTotalsOf, Internal("broken"));
  EXPECT_EQ(Run("N3", "").status, 500u);
}

}  // namespace
}  // namespace sela::api
