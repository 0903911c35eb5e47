// The settlement journal (store.h "Settlement on the chain";
// settlement_types.h) on every backend: batches from the ledger's credits,
// due order, the versioned update and its refusals, the per-principal
// totals and the summary.
#include <algorithm>

#include "store/store_contract_settlement_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kT = StoreTimeZeroMs();

SettlementQuery Q(const std::string& principal = "", const std::string& run = "", const std::string& after = "",
                  uint32_t limit = 100, std::optional<SettlementState> state = std::nullopt) {
  SettlementQuery q;
  q.principal = principal;
  q.run_id = run;
  q.after_id = after;
  q.limit = limit;
  q.has_state = state.has_value();
  if (state) q.state = *state;
  return q;
}
constexpr int64_t kBig = (int64_t{1} << 53) + 1;  // Past a double's exact range.

TEST_P(SettlementContractTest, BatchesSettleEachPrincipalsUnsettledCreditsOnceInPrincipalOrder) {
  ASSERT_TRUE(Apply({MakeTransfer("t1", "carol", 30), MakeTransfer("t2", "alice", 10),
                     MakeTransfer("t3", "bob", 20)}).has_value());
  auto first = Batch("run1", "", kT, 2);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(first->created, 2);
  EXPECT_EQ(first->units, 30);
  EXPECT_EQ(first->last_principal, "bob");
  EXPECT_TRUE(first->more);
  auto second = Batch("run1", "bob", kT, 2);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->created, 1);
  EXPECT_EQ(second->last_principal, "carol");
  EXPECT_FALSE(second->more);
  // Nothing is unsettled any more: a new run creates nothing.
  auto again = Batch("run2", "", kT + 1, 10);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->created, 0);
  const auto alice = Get("run1/alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->run_id, "run1");
  EXPECT_EQ(alice->principal, "alice");
  EXPECT_EQ(alice->amount_units, 10);
  EXPECT_EQ(alice->state, SettlementState::kPending);
  EXPECT_EQ(alice->created_at_ns, kT * 1'000'000);
  EXPECT_EQ(alice->next_attempt_ms, kT);
  EXPECT_EQ(alice->block_index, -1);
  EXPECT_EQ(alice->version, 1);
  EXPECT_FALSE(Get("run2/alice").has_value());
  EXPECT_EQ(Total("alice"), (SettledTotal{"alice", 10, 0}));
  EXPECT_EQ(Total("nobody"), (SettledTotal{"nobody", 0, 0}));
  // New credits after a settlement are settled by the next run, only them.
  ASSERT_TRUE(Apply({MakeTransfer("t4", "alice", 5)}).has_value());
  auto later = Batch("run3", "", kT + 2, 10);
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->created, 1);
  EXPECT_EQ(Get("run3/alice")->amount_units, 5);
  EXPECT_EQ(Totals(), (std::vector<SettledTotal>{{"alice", 15, 0}, {"bob", 20, 0}, {"carol", 30, 0}}));
}

TEST_P(SettlementContractTest, TotalsOfSomePrincipalsAreTheirEntriesOfTheWholeList) {
  ASSERT_TRUE(Apply({MakeTransfer("t1", "carol", 30), MakeTransfer("t2", "alice", 10),
                     MakeTransfer("t3", "bob", 20), MakeTransfer("t4", "dave", 5)}).has_value());
  ASSERT_TRUE(Batch("run1", "", kT, 2).has_value());  // alice and bob.
  const auto some = TotalsOf({"bob", "carol", "nobody", "alice", "bob"});
  ASSERT_TRUE(some.has_value()) << some.error().ToString();
  EXPECT_EQ(*some, (std::vector<SettledTotal>{{"alice", 10, 0}, {"bob", 20, 0}}));
  const auto none = TotalsOf({});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(TotalsOf({"alice", ""}).error().code(), Code::kInvalidArgument);
}

TEST_P(SettlementContractTest, AmountsPastTwoToThe53AreExact) {
  std::vector<Transfer> fill;
  for (int64_t left = kBig, i = 0; left > 0; ++i) {
    const int64_t a = std::min(left, kTransferUnitsMax);
    fill.push_back(MakeTransfer("f" + std::to_string(i), "whale", a));
    left -= a;
  }
  ASSERT_TRUE(Apply(fill).has_value());
  auto b = Batch("run1", "", kT, 10);
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_EQ(b->units, kBig);
  EXPECT_EQ(Get("run1/whale")->amount_units, kBig);
  EXPECT_EQ(Total("whale").committed_units, kBig);
}

TEST_P(SettlementContractTest, UpdatesCompareTheVersionAndConfirmedIsFinal) {
  ASSERT_TRUE(Apply({MakeTransfer("t1", "alice", 10), MakeTransfer("t2", "bob", 20)}).has_value());
  ASSERT_TRUE(Batch("run1", "", kT, 10).has_value());
  auto due = Due(kT);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].id, "run1/alice");  // Same time: by id.
  SettlementRecord sent = (*due)[0];
  sent.state = SettlementState::kSent;
  sent.attempts = 1;
  sent.next_attempt_ms = kT + 500;
  sent.updated_ms = kT + 1;
  auto stored = Update(sent);
  ASSERT_TRUE(stored.has_value()) << stored.error().ToString();
  EXPECT_EQ(stored->version, 2);
  EXPECT_EQ(stored->state, SettlementState::kSent);
  // The old version again: changed meanwhile.
  EXPECT_EQ(Update(sent).error().code(), Code::kFailedPrecondition);
  // Fixed fields may not change.
  SettlementRecord moved = *stored;
  moved.amount_units = 11;
  EXPECT_EQ(Update(moved).error().code(), Code::kInvalidArgument);
  SettlementRecord unknown = *stored;
  unknown.id = "run1/zed";
  unknown.principal = "zed";
  EXPECT_EQ(Update(unknown).error().code(), Code::kNotFound);
  // Due order now: bob (kT), then alice (kT + 500); only what is due.
  due = Due(kT + 100);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].id, "run1/bob");
  SettlementRecord confirmed = *stored;
  confirmed.state = SettlementState::kConfirmed;
  confirmed.block_index = 7;
  confirmed.confirmed_ms = kT + 600;
  confirmed.updated_ms = kT + 600;
  auto done = Update(confirmed);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(Total("alice"), (SettledTotal{"alice", 10, 10}));
  confirmed.version = done->version;
  EXPECT_EQ(Update(confirmed).error().code(), Code::kFailedPrecondition);  // Final.
  due = Due(kT + 10'000);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 1u);  // A confirmed one is never due.
  SettlementRecord failed = (*due)[0];
  failed.state = SettlementState::kFailed;
  failed.failure = "the fee changed";
  failed.failure_kind = "BadFee";
  failed.updated_ms = kT + 700;
  ASSERT_TRUE(Update(failed).has_value());
  const SettlementSummary s = Summary();
  EXPECT_EQ(s.count_by_state, (std::array<int64_t, kSettlementStates>{0, 0, 1, 1}));
  EXPECT_EQ(s.units_by_state, (std::array<int64_t, kSettlementStates>{0, 0, 10, 20}));
  EXPECT_EQ(s.failed_by_kind, (std::vector<std::pair<std::string, int64_t>>{{"BadFee", 1}}));
  EXPECT_EQ(s.oldest_open_created_ms, 0);
  EXPECT_EQ(s.last_confirmed_ms, kT + 600);
  EXPECT_EQ(Total("bob"), (SettledTotal{"bob", 20, 0}));  // Failed stays committed.
}

TEST_P(SettlementContractTest, ListingsFilterAndPageById) {
  ASSERT_TRUE(Apply({MakeTransfer("t1", "alice", 10), MakeTransfer("t2", "bob", 20)}).has_value());
  ASSERT_TRUE(Batch("run1", "", kT, 10).has_value());
  ASSERT_TRUE(Apply({MakeTransfer("t3", "alice", 1)}).has_value());
  ASSERT_TRUE(Batch("run2", "", kT + 5, 10).has_value());
  auto ids = [](const std::vector<SettlementRecord>& v) {
    std::vector<std::string> out;
    for (const auto& r : v) out.push_back(r.id);
    return out;
  };
  EXPECT_EQ(ids(List(Q())), (std::vector<std::string>{"run1/alice", "run1/bob", "run2/alice"}));
  EXPECT_EQ(ids(List(Q("alice"))), (std::vector<std::string>{"run1/alice", "run2/alice"}));
  EXPECT_EQ(ids(List(Q("", "run1"))), (std::vector<std::string>{"run1/alice", "run1/bob"}));
  EXPECT_EQ(ids(List(Q("", "", "run1/alice", 1))), (std::vector<std::string>{"run1/bob"}));
  EXPECT_TRUE(List(Q("", "", "", 100, SettlementState::kFailed)).empty());
  EXPECT_EQ(ids(List(Q("alice", "run2", "", 100, SettlementState::kPending))),
            (std::vector<std::string>{"run2/alice"}));
  const SettlementSummary s = Summary();
  EXPECT_EQ(s.count_by_state[0], 3);
  EXPECT_EQ(s.units_by_state[0], 31);
  EXPECT_EQ(s.oldest_open_created_ms, kT);
}

TEST_P(SettlementContractTest, BadInputIsRefusedAndChangesNothing) {
  ASSERT_TRUE(Apply({MakeTransfer("t1", "alice", 10)}).has_value());
  EXPECT_EQ(Batch("a/b", "", kT, 10).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Batch("run1", "", kT, 0).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Due(kT, 0).error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Totals().empty());
  EXPECT_EQ(Summary().count_by_state[0], 0);
}

}  // namespace
}  // namespace sela::store::testing
