// End to end: nodes earn in the rewards ledger, settlement runs through the
// real agent against the fake IC endpoint under every injected fault, and
// the fake ledger ends holding exactly the off-chain balances, nothing
// minted twice.
#include <gtest/gtest.h>

#include "settle/settle_test_util.h"

namespace sela::settle::testing {
namespace {

using chain::fake::Fault;
using store::SettlementState;

std::vector<std::string> Principals(uint32_t n, uint32_t from = 0) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < n; ++i) out.push_back(NodePrincipal(from + i));
  return out;
}

class SettleFaultTest : public SettleTest, public ::testing::WithParamInterface<Fault> {};

// Two rounds: earn, settle (faults on the first sends), earn more, settle
// again; failed settlements (rejects) are retried by the operator.
TEST_P(SettleFaultTest, FakeLedgerEqualsOffChainBalancesAndNothingIsPaidTwice) {
  MakeSettler(Enabled(), RealSend());
  const std::vector<std::string> nodes = Principals(12);
  int failed_seen = 0;
  for (int round = 0; round < 2; ++round) {
    Earn(nodes, 100'000'000 * (round + 1), "r" + std::to_string(round));
    ic->InjectFault(GetParam(), 3, 2);
    auto run = Run();
    ASSERT_TRUE(run.has_value()) << run.error().ToString();
    EXPECT_EQ(run->settlements, 12);
    ASSERT_TRUE(Settle()) << "settlements still open";
    failed_seen += Summary().count_by_state[3];
    if (RetryFailed() > 0) {
      ASSERT_TRUE(Settle());
    }
    EXPECT_EQ(Summary().count_by_state[3], 0);
    ExpectLedgersEqual(nodes);
  }
  const bool rejecting = GetParam() == Fault::kReject || GetParam() == Fault::kNonReplicatedReject;
  EXPECT_EQ(failed_seen > 0, rejecting) << "rejects fail the settlement until retried; other faults are resent";
  if (rejecting) {
    EXPECT_NE(metrics_.RenderPrometheus().find("sela_settlement_failures_total{reason=\"rejected_"), std::string::npos);
  }
  // The faults struck (each round's first; an agent that fell back to v2
  // meets no further v3 fault).
  EXPECT_GE(ic->stats().faults_served, 2u);
}

INSTANTIATE_TEST_SUITE_P(Faults, SettleFaultTest,
                         ::testing::Values(Fault::kHttp503, Fault::kHoldAfterExecute, Fault::kDropAfterExecute,
                                           Fault::kDropBeforeExecute, Fault::kAccepted202, Fault::kReject,
                                           Fault::kNonReplicatedReject, Fault::kNoV3, Fault::kBadCertificate,
                                           Fault::kStaleCertificate, Fault::kRestartAfterExecute));

// Our process dies after the transfers left and were applied, before any
// answer was saved: the store (reopened from its file) still says sent, the
// next process resends the same transfers, and the ledger answers Duplicate.
TEST_F(SettleTest, CrashAfterSendingResendsAndTheLedgerAnswersDuplicate) {
  const std::vector<std::string> nodes = Principals(6);
  Earn(nodes, 50'000'000, "a");
  SettlerOptions wide = Enabled();
  wide.in_flight_max = 8;
  MakeSettler(wide, [this](const chain::icrc1::TransferArg& arg, TransferDone) {
    // Applied on the ledger; the answer never reaches the (dead) process.
    ASSERT_TRUE(ledger_->Transfer(arg).has_value());
  });
  ASSERT_TRUE(Run().has_value());
  for (int i = 0; i < 5; ++i) {
    settler_->Tick();
    posts_.RunAll();
    store_->Flush();
    posts_.RunAll();
  }
  EXPECT_EQ(Summary().count_by_state[1], 6) << "all sent, none answered";
  EXPECT_EQ(ic->WithLedger([](const auto& l) { return l.mints().size(); }), 6u);
  settler_.reset();
  CloseStore();
  OpenStore();
  MakeSettler(Enabled(), RealSend());
  ASSERT_TRUE(Settle());
  auto confirmed = Sync<std::vector<store::SettlementRecord>>([&](auto cb) {
    store::SettlementQuery q;
    q.limit = 100;
    store_->ListSettlements(q, std::move(cb));
  }).value();
  ASSERT_EQ(confirmed.size(), 6u);
  for (const auto& s : confirmed) {
    EXPECT_EQ(s.state, SettlementState::kConfirmed);
    EXPECT_TRUE(s.duplicate) << s.id;
    EXPECT_EQ(s.attempts, 2u);
  }
  ExpectLedgersEqual(nodes);
  // A new run finds nothing unsettled.
  auto again = Run();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->settlements, 0);
}

// A stalled IC holds in_flight_max transfers and nothing else: Tick returns
// at once and the store keeps serving (jobs and rewards go on).
TEST_F(SettleTest, AStalledIcHoldsOnlyItsInFlightTransfers) {
  const std::vector<std::string> nodes = Principals(10);
  Earn(nodes, 1'000, "s");
  std::vector<TransferDone> held;
  MakeSettler(Enabled(), [&held](const chain::icrc1::TransferArg&, TransferDone done) { held.push_back(std::move(done)); });
  ASSERT_TRUE(Run().has_value());
  for (int i = 0; i < 50; ++i) {
    settler_->Tick();
    posts_.RunAll();
    store_->Flush();
    posts_.RunAll();
  }
  EXPECT_EQ(held.size(), 4u) << "SETTLEMENT_CONCURRENCY bounds what waits on the IC";
  EXPECT_EQ(settler_->in_flight(), 4u);
  Earn(Principals(3, 100), 5, "meanwhile");  // The store is not held by the stall.
  // Unknown outcomes: resent after the back-off, still without paying; each
  // saved outcome frees a slot, taken at once by the next due settlement.
  std::vector<TransferDone> answered = std::move(held);
  held.clear();
  for (auto& done : answered) done(Err(DeadlineExceeded("held")));
  for (int i = 0; i < 5; ++i) {
    posts_.RunAll();
    store_->Flush();
  }
  posts_.RunAll();
  EXPECT_EQ(held.size(), 4u) << "the next four, still bounded by SETTLEMENT_CONCURRENCY";
  EXPECT_EQ(settler_->in_flight(), 4u);
  EXPECT_EQ(Summary().count_by_state[1], 8);  // 4 to resend after the back-off, 4 in flight.
  EXPECT_EQ(metrics_.GetCounter("sela_settlement_unknown_outcomes_total", "").value(), 4u);
}

TEST_F(SettleTest, DisabledSettlesNothingAndSaysSo) {
  SettlerOptions off = Enabled();
  off.enabled = false;
  int sends = 0;
  MakeSettler(off, [&sends](const chain::icrc1::TransferArg&, TransferDone) { ++sends; });
  Earn(Principals(3), 1'000, "d");
  auto run = Run();
  ASSERT_FALSE(run.has_value());
  EXPECT_EQ(run.error().code(), Code::kFailedPrecondition);
  settler_->SetSchedule(CronSchedule::Parse("* * * * *").value());
  for (int i = 0; i < 5; ++i) {
    clock.Advance(Millis(61'000));
    settler_->Tick();
    posts_.RunAll();
  }
  store_->Flush();
  posts_.RunAll();
  EXPECT_EQ(sends, 0);
  const auto summary = Summary();
  for (int64_t c : summary.count_by_state) EXPECT_EQ(c, 0);
  EXPECT_NE(metrics_.RenderPrometheus().find("sela_settlement_enabled 0"), std::string::npos);
}

TEST_F(SettleTest, ScheduledRunsSettleWhatWasEarnedSince) {
  MakeSettler(Enabled(), RealSend());
  settler_->SetSchedule(CronSchedule::Parse("*/5 * * * *").value());
  const std::vector<std::string> nodes = Principals(3);
  Earn(nodes, 7'000, "x");
  clock.Advance(Millis(5 * 60'000));
  ASSERT_TRUE(Settle());
  ExpectLedgersEqual(nodes);
  EXPECT_EQ(Summary().count_by_state[2], 3);
}

}  // namespace
}  // namespace sela::settle::testing
