// Reconciliation past the ledger's deduplication window (docs/CHAIN.md
// "Reconciliation"): one transfer applied on the fake ledger whose answers
// were all lost, one lost before it ran. Both end failed with
// needs_reconciliation; past the window the ledger's log decides: the first
// is confirmed at its block, the second sent again as a new generation; the
// fake ledger then holds exactly the off-chain balances, no memo twice.
#include <gtest/gtest.h>

#include "settle/settle_test_util.h"

namespace sela::settle::testing {
namespace {

using store::SettlementRecord;
using store::SettlementState;

class ReconcileTest : public SettleTest {
 protected:
  // The operator's route alone: no periodic pass (settle_reconcile_pass_test.cc).
  static SettlerOptions RouteOnly() {
    SettlerOptions o = Enabled();
    o.reconcile_interval_ms = 0;
    return o;
  }
  FindMint RealFind() {
    return [this](const chain::icrc1::TransferArg& arg, MintFound done) {
      executor_->Run<std::optional<chain::icrc1::Uint128>>([this, arg] { return ledger_->FindMint(arg, {}); },
                                                           std::move(done));
    };
  }
  Result<SettlementRecord> Reconcile(const std::string& id) {
    return Sync<SettlementRecord>([&](auto cb) { settler_->Reconcile(id, std::move(cb)); });
  }
  SettlementRecord Get(const std::string& id) {
    return Sync<std::optional<SettlementRecord>>([&](auto cb) { store_->GetSettlement(id, std::move(cb)); })
        .value()
        .value();
  }
  void TickFor(int steps, int64_t step_ms) {
    for (int i = 0; i < steps; ++i) {
      settler_->Tick();
      for (int k = 0; k < 50; ++k) {
        if (posts_.RunAll() == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      store_->Flush();
      posts_.RunAll();
      clock.Advance(Millis(step_ms));
    }
  }
};

TEST_F(ReconcileTest, PastTheWindowTheLedgersLogDecidesFoundOrSentAgain) {
  const std::string applied = NodePrincipal(1), lost = NodePrincipal(2);
  Earn({applied, lost}, 70'000, "r");
  const codec::Principal applied_owner = codec::Principal::FromText(applied).value();
  // Every send's answer is lost; `applied`'s first send ran on the ledger.
  MakeSettler(RouteOnly(), [&](const chain::icrc1::TransferArg& arg, TransferDone done) {
    if (arg.to.owner == applied_owner) (void)ledger_->Transfer(arg);
    done(Err(DeadlineExceeded("no answer")));
  });
  settler_->SetFindMint(RealFind());
  auto run = Run();
  ASSERT_TRUE(run.has_value());
  const std::string a = run->run_id + "/" + applied, b = run->run_id + "/" + lost;
  TickFor(60, 30 * 60'000);  // 30 h: resends until 2 h before the window's end, then stop.
  for (const std::string& id : {a, b}) {
    const SettlementRecord r = Get(id);
    EXPECT_EQ(r.state, SettlementState::kFailed) << id;
    EXPECT_TRUE(r.needs_reconciliation) << id;
  }
  EXPECT_EQ(ic->WithLedger([](const auto& l) { return l.mints().size(); }), 1u);
  // The retry route refuses them: the transfer may be on the ledger.
  EXPECT_EQ(Sync<SettlementRecord>([&](auto cb) { settler_->Retry(a, std::move(cb)); }).error().code(),
            Code::kFailedPrecondition);

  // The log decides.
  const auto found = Reconcile(a);
  ASSERT_TRUE(found.has_value()) << found.error().ToString();
  EXPECT_EQ(found->state, SettlementState::kConfirmed);
  EXPECT_EQ(found->block_index, 0);
  EXPECT_EQ(found->generation, 0u);
  const auto absent = Reconcile(b);
  ASSERT_TRUE(absent.has_value()) << absent.error().ToString();
  EXPECT_EQ(absent->state, SettlementState::kPending);
  EXPECT_EQ(absent->generation, 1u);
  EXPECT_EQ(Reconcile(a).error().code(), Code::kFailedPrecondition);  // Confirmed: nothing to do.

  MakeSettler(Enabled(), RealSend());
  ASSERT_TRUE(Settle());
  EXPECT_EQ(Get(b).state, SettlementState::kConfirmed);
  ExpectLedgersEqual({applied, lost});
  EXPECT_NE(metrics_.RenderPrometheus().find("sela_settlement_reconciled_total{outcome=\"found\"} 1"), std::string::npos);
}

TEST_F(ReconcileTest, NotBeforeTheLedgerStopsAcceptingTheTransferNorWithoutALedger) {
  const std::string p = NodePrincipal(3);
  Earn({p}, 5'000, "e");
  MakeSettler(RouteOnly(), [](const chain::icrc1::TransferArg&, TransferDone done) {
    done(Err(DeadlineExceeded("no answer")));
  });
  auto run = Run();
  ASSERT_TRUE(run.has_value());
  const std::string id = run->run_id + "/" + p;
  EXPECT_EQ(Reconcile(id).error().code(), Code::kFailedPrecondition);  // No finder.
  settler_->SetFindMint(RealFind());
  EXPECT_EQ(Reconcile(id).error().code(), Code::kFailedPrecondition);  // Not failed.
  TickFor(46, 30 * 60'000);  // 23 h: failed, but the window is not over.
  ASSERT_EQ(Get(id).state, SettlementState::kFailed);
  const auto early = Reconcile(id);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(early.error().message().find("reconcile after"), std::string::npos);
  EXPECT_EQ(Get(id).state, SettlementState::kFailed);  // Unchanged.
  clock.Advance(Millis(2 * 3'600'000));
  const auto late = Reconcile(id);
  ASSERT_TRUE(late.has_value()) << late.error().ToString();
  EXPECT_EQ(late->state, SettlementState::kPending);
  EXPECT_EQ(Reconcile("nope/" + p).error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace sela::settle::testing
