#include "chain/settlement.h"

#include <gtest/gtest.h>

#include <random>

#include "chain/fake/fake_canisters.h"
#include "testing/fake_clock.h"

namespace sela::chain {
namespace {

using State = Settlement::State;
constexpr int64_t kStartMs = 1'764'100'000'000;

icrc1::Account Alice() { return {codec::Principal::FromText("2vxsx-fae").value(), std::nullopt}; }
icrc1::Account Minter() { return {codec::Principal::FromText("aaaaa-aa").value(), std::nullopt}; }

TransferOutcome Applied(icrc1::Uint128 block, bool duplicate = false) {
  TransferOutcome o;
  o.kind = TransferOutcome::Kind::kApplied;
  o.block_index = block;
  o.duplicate = duplicate;
  return o;
}

TransferOutcome LedgerError(icrc1::TransferError::Kind kind) {
  TransferOutcome o;
  o.kind = TransferOutcome::Kind::kLedgerError;
  o.error.kind = kind;
  return o;
}

TransferOutcome Rejected(RejectCode code, bool certified) {
  TransferOutcome o;
  o.kind = TransferOutcome::Kind::kRejected;
  o.reject = {static_cast<uint64_t>(code), "no", "", certified};
  return o;
}

class SettlementTest : public ::testing::Test {
 protected:
  Settlement Make() { return NewSettlement("run-1/alice", Alice(), 50'000'000, clock.WallMs()).value(); }
  int64_t now() const { return clock.WallMs(); }
  testing::FakeClock clock{kStartMs};
  SettlementPolicy policy;
};

TEST_F(SettlementTest, PendingSentConfirmedWithTheBlock) {
  Settlement s = Make();
  EXPECT_EQ(s.state, State::kPending);
  const icrc1::TransferArg arg = Due(s, now(), policy).value();
  EXPECT_EQ(arg.memo->size(), 32u);
  EXPECT_EQ(arg.memo->substr(0, 4), "SELA");
  EXPECT_EQ(*arg.created_at_time, static_cast<uint64_t>(kStartMs) * 1'000'000);
  EXPECT_FALSE(arg.fee.has_value());
  MarkSent(s, now(), policy);
  EXPECT_EQ(s.state, State::kSent);
  EXPECT_FALSE(Due(s, now(), policy).has_value());  // Not again until the back-off passes.
  Apply(s, Applied(42), now(), policy);
  EXPECT_EQ(s.state, State::kConfirmed);
  EXPECT_TRUE(s.block_index == 42);
  EXPECT_FALSE(Due(s, now() + 3'600'000, policy).has_value());
}

TEST_F(SettlementTest, EverySendOfAGenerationCarriesTheSameTransfer) {
  Settlement s = Make();
  const icrc1::TransferArg first = Due(s, now(), policy).value();
  for (int i = 0; i < 6; ++i) {
    MarkSent(s, now(), policy);
    Apply(s, Err(DeadlineExceeded("lost")), now(), policy);
    EXPECT_EQ(s.state, State::kSent);
    clock.Advance(Millis(s.next_attempt_ms - now()));
    EXPECT_TRUE(Due(s, now(), policy).value() == first) << i;
  }
  // Back-off doubles up to its cap.
  EXPECT_EQ(s.next_attempt_ms - now(), 0);
  MarkSent(s, now(), policy);
  EXPECT_EQ(s.next_attempt_ms - now(), std::min<int64_t>(policy.retry_max_ms, policy.retry_initial_ms << 6));
  Apply(s, Applied(7, /*duplicate=*/true), now(), policy);
  EXPECT_EQ(s.state, State::kConfirmed);
  EXPECT_TRUE(s.duplicate);
}

TEST_F(SettlementTest, MemosDifferByIdAndGeneration) {
  EXPECT_EQ(SettlementMemo("a", 0), SettlementMemo("a", 0));
  EXPECT_NE(SettlementMemo("a", 0), SettlementMemo("b", 0));
  EXPECT_NE(SettlementMemo("a", 0), SettlementMemo("a", 1));
}

TEST_F(SettlementTest, RefusalsFailWithTheirReasonAndTransientOnesRetry) {
  using K = icrc1::TransferError::Kind;
  for (K kind : {K::kBadFee, K::kInsufficientFunds, K::kGenericError, K::kUnknown}) {
    Settlement s = Make();
    MarkSent(s, now(), policy);
    Apply(s, LedgerError(kind), now(), policy);
    EXPECT_EQ(s.state, State::kFailed) << static_cast<int>(kind);
    EXPECT_FALSE(s.needs_reconciliation);
    EXPECT_FALSE(s.failure.empty());
  }
  for (K kind : {K::kTemporarilyUnavailable, K::kCreatedInFuture}) {
    Settlement s = Make();
    MarkSent(s, now(), policy);
    Apply(s, LedgerError(kind), now(), policy);
    EXPECT_EQ(s.state, State::kSent) << static_cast<int>(kind);
  }
  Settlement transient = Make();
  MarkSent(transient, now(), policy);
  Apply(transient, Rejected(RejectCode::kSysTransient, true), now(), policy);
  EXPECT_EQ(transient.state, State::kSent);
  Settlement trapped = Make();
  MarkSent(trapped, now(), policy);
  Apply(trapped, Rejected(RejectCode::kCanisterError, true), now(), policy);
  EXPECT_EQ(trapped.state, State::kFailed);
  EXPECT_FALSE(trapped.needs_reconciliation);
  Settlement early = Make();
  MarkSent(early, now(), policy);
  Apply(early, Rejected(RejectCode::kCanisterReject, false), now(), policy);
  EXPECT_TRUE(early.needs_reconciliation);  // Uncertified: the call may have run.
}

TEST_F(SettlementTest, StopsResendingBeforeTheLedgerForgetsAndAsksForReconciliation) {
  Settlement s = Make();
  MarkSent(s, now(), policy);
  // Still unknown just inside the window minus the margin...
  clock.Advance(Millis((policy.dedup_window_ns - policy.safety_margin_ns) / 1'000'000 - 1));
  Apply(s, Err(Unavailable("down")), now(), policy);
  EXPECT_EQ(s.state, State::kSent);
  EXPECT_TRUE(Due(s, now(), policy).has_value() || now() < s.next_attempt_ms);
  // ...and one millisecond later no send is due and the next unknown fails it.
  clock.Advance(Millis(1));
  EXPECT_FALSE(Due(s, now() + policy.retry_max_ms, policy).has_value());
  Apply(s, Err(Unavailable("down")), now(), policy);
  EXPECT_EQ(s.state, State::kFailed);
  EXPECT_TRUE(s.needs_reconciliation);
  EXPECT_EQ(RetryFailed(s, now(), policy).code(), Code::kFailedPrecondition);
  // Reconciliation: absent -> a new generation with a new memo and time.
  const icrc1::TransferArg old = TransferFor(s);
  Reconciled(s, std::nullopt, now());
  EXPECT_EQ(s.state, State::kPending);
  EXPECT_EQ(s.generation, 1u);
  EXPECT_NE(TransferFor(s).memo, old.memo);
  EXPECT_NE(TransferFor(s).created_at_time, old.created_at_time);
}

TEST_F(SettlementTest, TooOldAsksForReconciliationAndAFoundMintConfirms) {
  Settlement s = Make();
  MarkSent(s, now(), policy);
  Apply(s, LedgerError(icrc1::TransferError::Kind::kTooOld), now(), policy);
  EXPECT_EQ(s.state, State::kFailed);
  EXPECT_TRUE(s.needs_reconciliation);
  Reconciled(s, icrc1::Uint128{9}, now());
  EXPECT_EQ(s.state, State::kConfirmed);
  EXPECT_TRUE(s.block_index == 9);
}

TEST_F(SettlementTest, OperatorRetriesKeepTheTransferInsideTheWindow) {
  Settlement s = Make();
  MarkSent(s, now(), policy);
  Apply(s, LedgerError(icrc1::TransferError::Kind::kInsufficientFunds), now(), policy);
  const icrc1::TransferArg before = TransferFor(s);
  ASSERT_TRUE(RetryFailed(s, now(), policy).ok());
  EXPECT_EQ(s.state, State::kPending);
  EXPECT_TRUE(TransferFor(s) == before);
  MarkSent(s, now(), policy);
  Apply(s, LedgerError(icrc1::TransferError::Kind::kBadFee), now(), policy);
  clock.Advance(Millis(25LL * 3600 * 1000));
  ASSERT_TRUE(RetryFailed(s, now(), policy).ok());
  EXPECT_EQ(s.generation, 1u);
  EXPECT_EQ(RetryFailed(s, now(), policy).code(), Code::kFailedPrecondition);  // Not failed now.
}

TEST_F(SettlementTest, LateAnswersChangeNothing) {
  Settlement s = Make();
  MarkSent(s, now(), policy);
  Apply(s, Applied(3), now(), policy);
  Apply(s, Err(Unavailable("late")), now(), policy);
  Apply(s, LedgerError(icrc1::TransferError::Kind::kBadFee), now(), policy);
  EXPECT_EQ(s.state, State::kConfirmed);
  EXPECT_TRUE(s.block_index == 3);
}

TEST_F(SettlementTest, RefusesBadSettlements) {
  EXPECT_FALSE(NewSettlement("", Alice(), 1, now()).has_value());
  EXPECT_FALSE(NewSettlement(std::string(129, 'x'), Alice(), 1, now()).has_value());
  EXPECT_FALSE(NewSettlement("x", Alice(), 0, now()).has_value());
}

// Many settlements against the simulated ledger, with answers lost after the
// ledger applied them, refused before it did, or crashes between MarkSent and
// Apply: every principal is paid exactly what it is owed, never twice.
TEST_F(SettlementTest, RandomFaultsNeverPayTwiceAndPayEveryone) {
  fake::FakeLedger ledger({Minter(), 0, policy.dedup_window_ns, 60'000'000'000, 32, {}});
  std::mt19937 rng(7);
  std::vector<Settlement> book;
  icrc1::Uint128 owed = 0;
  for (int i = 0; i < 200; ++i) {
    icrc1::Account to{codec::Principal::FromText("2vxsx-fae").value(), std::string(31, '\0') + static_cast<char>(i)};
    book.push_back(NewSettlement("run-1/" + std::to_string(i), to, 1 + rng() % 1'000'000, now()).value());
    owed += book.back().amount;
  }
  for (int round = 0; round < 40; ++round) {
    for (Settlement& s : book) {
      const std::optional<icrc1::TransferArg> arg = Due(s, now(), policy);
      if (!arg) continue;
      MarkSent(s, now(), policy);
      const int fault = static_cast<int>(rng() % 4);
      if (fault == 0) continue;  // Crash after MarkSent: nothing sent, nothing applied.
      const uint64_t now_ns = static_cast<uint64_t>(now()) * 1'000'000;
      const icrc1::TransferResult r = ledger.Transfer(Minter().owner, *arg, now_ns);
      if (fault == 1) {  // Applied, answer lost.
        Apply(s, Err(DeadlineExceeded("lost")), now(), policy);
        continue;
      }
      TransferOutcome o;
      if (r.ok || r.error.kind == icrc1::TransferError::Kind::kDuplicate) {
        o = Applied(r.ok ? r.block_index : r.error.number, !r.ok);
      } else {
        o = LedgerError(r.error.kind);
      }
      Apply(s, o, now(), policy);
    }
    clock.Advance(Millis(policy.retry_max_ms));
  }
  for (const Settlement& s : book) {
    ASSERT_EQ(s.state, State::kConfirmed) << s.id;
    EXPECT_TRUE(ledger.BalanceOf(s.to) == s.amount) << s.id;
  }
  EXPECT_TRUE(ledger.total_supply() == owed);
  EXPECT_EQ(ledger.mints().size(), book.size());
}

}  // namespace
}  // namespace sela::chain
