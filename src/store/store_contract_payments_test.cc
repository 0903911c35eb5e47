// Uptime payments and distribution runs (ledger.h): every measured minute
// is paid once, runs are single-flight and can be taken over.
#include "store/store_contract_ledger_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr char kDay[] = "2024-03-10";

int64_t PaidMinutes(const Result<std::vector<UptimeDay>>& days) {
  return days.has_value() && days->size() == 1 ? (*days)[0].paid_minutes : -1;
}

TEST_P(LedgerContractTest, UptimeIsPaidOncePerMeasuredMinute) {
  ASSERT_TRUE(AddUptime({OnlineDelta("alice", kDay, 10 * kMinute + 30'000)}, StoreTimeZeroMs()).ok());
  const auto unpaid = Unpaid();
  ASSERT_TRUE(unpaid.has_value());
  ASSERT_EQ(unpaid->size(), 1u);
  EXPECT_EQ((*unpaid)[0].paid_minutes, 0);

  const auto paid = Pay({MakePayment("alice", kDay, 0, 10)});
  ASSERT_TRUE(paid.has_value()) << paid.error().ToString();
  EXPECT_EQ((*paid)[0], PaymentOutcome::kApplied);
  EXPECT_EQ(PaidMinutes(Days("alice", kDay, kDay)), 10);
  EXPECT_EQ(BalanceOf("alice"), 5 * kSp);
  EXPECT_TRUE(Unpaid()->empty()) << "the half minute left is not a minute yet";

  const auto repeat = Pay({MakePayment("alice", kDay, 0, 10)});
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ((*repeat)[0], PaymentOutcome::kRepeat);
  const auto stale = Pay({MakePayment("alice", kDay, 3, 8)});
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ((*stale)[0], PaymentOutcome::kStale);
  EXPECT_EQ(BalanceOf("alice"), 5 * kSp);

  // More uptime on the same day: only the new minutes are unpaid.
  ASSERT_TRUE(AddUptime({OnlineDelta("alice", kDay, 2 * kMinute)}, StoreTimeZeroMs() + 1).ok());
  ASSERT_EQ(Unpaid()->size(), 1u);
  const auto more = Pay({MakePayment("alice", kDay, 10, 12)});
  ASSERT_TRUE(more.has_value());
  EXPECT_EQ((*more)[0], PaymentOutcome::kApplied);
  EXPECT_EQ(PaidMinutes(Days("alice", kDay, kDay)), 12);
  EXPECT_EQ(BalanceOf("alice"), 6 * kSp);
  ExpectBalanced(2);
}

TEST_P(LedgerContractTest, APaymentWithAnotherBodyForTheSameMinutesIsAConflict) {
  ASSERT_TRUE(AddUptime({OnlineDelta("alice", kDay, 10 * kMinute)}, StoreTimeZeroMs()).ok());
  ASSERT_TRUE(Pay({MakePayment("alice", kDay, 0, 10)}).has_value());
  UptimePayment other = MakePayment("alice", kDay, 0, 10);
  other.transfer.tier = 1;
  other.transfer.bonus_units = kSp;
  other.transfer.amount_units += kSp;
  const auto refused = Pay({other});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kConflict);
  EXPECT_EQ(BalanceOf("alice"), 5 * kSp);
}

TEST_P(LedgerContractTest, PayingMinutesThatWereNotMeasuredIsRefusedWithTheWholeCall) {
  ASSERT_TRUE(AddUptime({OnlineDelta("alice", kDay, 10 * kMinute), OnlineDelta("bob", kDay, 5 * kMinute)},
                        StoreTimeZeroMs())
                  .ok());
  for (const UptimePayment& bad :
       {MakePayment("bob", kDay, 0, 6), MakePayment("carol", kDay, 0, 1), MakePayment("bob", "2024-03-11", 0, 1)}) {
    const auto refused = Pay({MakePayment("alice", kDay, 0, 10), bad});
    ASSERT_FALSE(refused.has_value()) << bad.transfer.id;
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument) << refused.error().ToString();
  }
  EXPECT_EQ(PaidMinutes(Days("alice", kDay, kDay)), 0);
  ExpectBalanced(0);
}

TEST_P(LedgerContractTest, MalformedPaymentsAreRefused) {
  ASSERT_TRUE(AddUptime({OnlineDelta("alice", kDay, 10 * kMinute)}, StoreTimeZeroMs()).ok());
  UptimePayment wrong_kind = MakePayment("alice", kDay, 0, 5);
  wrong_kind.transfer.kind = RewardKind::kJob;
  UptimePayment wrong_minutes = MakePayment("alice", kDay, 0, 5);
  wrong_minutes.transfer.minutes = 4;
  UptimePayment backwards = MakePayment("alice", kDay, 0, 5);
  backwards.from_minutes = 5;
  UptimePayment capped = MakePayment("alice", kDay, 0, 5);
  capped.transfer.cap = TransferCap{TransferCap::Window::kDay, KindBit(RewardKind::kUptime), kSp};
  for (const UptimePayment& bad : {wrong_kind, wrong_minutes, backwards, capped}) {
    const auto refused = Pay({bad});
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument);
  }
  const auto none = Pay({});
  ASSERT_FALSE(none.has_value());
  ExpectBalanced(0);
}

TEST_P(LedgerContractTest, UnpaidUptimeIsReadInPagesByPrincipalAndDay) {
  ASSERT_TRUE(AddUptime({OnlineDelta("b", "2024-03-01", 3 * kMinute), OnlineDelta("a", "2024-03-02", kMinute),
                         OnlineDelta("a", "2024-03-01", 2 * kMinute), OnlineDelta("c", "2024-03-01", 59'999)},
                        StoreTimeZeroMs())
                  .ok());
  const auto first = Unpaid("", "", 2);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].principal, "a");
  EXPECT_EQ((*first)[0].day, "2024-03-01");
  EXPECT_EQ((*first)[1].day, "2024-03-02");
  const auto second = Unpaid("a", "2024-03-02", 2);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->size(), 1u) << "c has less than a minute";
  EXPECT_EQ((*second)[0].principal, "b");
  const auto counts = DayCounts();
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ(counts->total, 4);
  EXPECT_EQ(counts->unpaid, 3);
  const auto no_limit = Unpaid("", "", 0);
  ASSERT_FALSE(no_limit.has_value());
  EXPECT_EQ(no_limit.error().code(), Code::kInvalidArgument);
}

TEST_P(LedgerContractTest, OneRunAtATimeAndAStaleOneIsTakenOver) {
  const int64_t t0 = StoreTimeZeroMs();
  const auto a = Start(MakeRunStart("dist_1", "proc-a", t0));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->outcome, RunStartOutcome::kStarted);
  EXPECT_EQ(a->run.state, RunState::kRunning);

  const auto busy = Start(MakeRunStart("dist_2", "proc-b", t0 + 59'999, 60'000, RunKind::kReferralWeekly));
  ASSERT_TRUE(busy.has_value());
  EXPECT_EQ(busy->outcome, RunStartOutcome::kBusy);
  EXPECT_EQ(busy->run.id, "dist_1");
  const auto own = Start(MakeRunStart("dist_3", "proc-a", t0 + 10));
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->outcome, RunStartOutcome::kResumed) << "its owner resumes it";
  EXPECT_EQ(own->run.resumes, 0);

  const auto taken = Start(MakeRunStart("dist_4", "proc-b", t0 + 60'010, 60'000));
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->outcome, RunStartOutcome::kResumed);
  EXPECT_EQ(taken->run.id, "dist_1");
  EXPECT_EQ(taken->run.owner, "proc-b");
  EXPECT_EQ(taken->run.resumes, 1);

  // The old owner can neither pay for it nor finish it.
  ASSERT_TRUE(AddUptime({OnlineDelta("alice", kDay, 10 * kMinute)}, t0).ok());
  const auto late = Pay({MakePayment("alice", kDay, 0, 10, "dist_1")}, "proc-a");
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(BalanceOf("alice"), 0);
  const auto finish_a = Finish(RunFinish{"dist_1", "proc-a", RunState::kCompleted, "", t0 + 70'000, false});
  ASSERT_FALSE(finish_a.has_value());
  EXPECT_EQ(finish_a.error().code(), Code::kFailedPrecondition);

  const auto paid = Pay({MakePayment("alice", kDay, 0, 10, "dist_1")}, "proc-b");
  ASSERT_TRUE(paid.has_value()) << paid.error().ToString();
  const auto done = Finish(RunFinish{"dist_1", "proc-b", RunState::kCompleted, "", t0 + 70'000, true});
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(done->state, RunState::kCompleted);
  EXPECT_EQ(done->users, 1);
  EXPECT_EQ(done->total_units, 5 * kSp);
  EXPECT_EQ(done->completed_ms, t0 + 70'000);

  const auto next = Start(MakeRunStart("dist_5", "proc-a", t0 + 80'000));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->outcome, RunStartOutcome::kStarted);
  const auto taken_id = Start(MakeRunStart("dist_1", "proc-a", t0 + 80'000));
  ASSERT_TRUE(taken_id.has_value());
  EXPECT_EQ(taken_id->outcome, RunStartOutcome::kResumed) << "dist_5 is running and is proc-a's";
}

TEST_P(LedgerContractTest, ResumeOnlyStartsNothingWhenNoRunIsRunning) {
  RunStart resume = MakeRunStart("dist_1", "proc-a", StoreTimeZeroMs());
  resume.resume_only = true;
  const auto idle = Start(resume);
  ASSERT_TRUE(idle.has_value());
  EXPECT_EQ(idle->outcome, RunStartOutcome::kIdle);
  EXPECT_FALSE(Run("dist_1")->has_value());
}

TEST_P(LedgerContractTest, ARunThatPaidNobodyIsDiscardedWhenAsked) {
  ASSERT_TRUE(Start(MakeRunStart("dist_1", "p", StoreTimeZeroMs())).has_value());
  const auto done = Finish(RunFinish{"dist_1", "p", RunState::kCompleted, "", StoreTimeZeroMs() + 5, true});
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->users, 0);
  EXPECT_FALSE(Run("dist_1")->has_value());
  const auto again = Finish(RunFinish{"dist_1", "p", RunState::kCompleted, "", StoreTimeZeroMs() + 6, false});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Code::kNotFound);
}

TEST_P(LedgerContractTest, RunsAreListedNewestFirstAndTheirTransfersFound) {
  const int64_t t0 = StoreTimeZeroMs();
  for (int i = 1; i <= 3; ++i) {
    const std::string id = "dist_" + std::to_string(i);
    ASSERT_TRUE(Start(MakeRunStart(id, "p", t0 + i, 0, i == 2 ? RunKind::kReferralWeekly : RunKind::kUptime))
                    .has_value());
    Transfer t = MakeTransfer("t:" + id, "alice", i * kSp);
    t.run_id = id;
    ASSERT_TRUE(Apply({t}, "p").has_value());
    ASSERT_TRUE(Finish(RunFinish{id, "p", RunState::kCompleted, "", t0 + 10 * i, false}).has_value());
  }
  const auto uptime_runs = Runs(uint32_t{1} << static_cast<int>(RunKind::kUptime), 0, 10);
  ASSERT_TRUE(uptime_runs.has_value());
  EXPECT_EQ(uptime_runs->total, 2);
  ASSERT_EQ(uptime_runs->runs.size(), 2u);
  EXPECT_EQ(uptime_runs->runs[0].id, "dist_3");
  EXPECT_EQ(uptime_runs->runs[0].total_units, 3 * kSp);
  EXPECT_EQ(uptime_runs->runs[1].id, "dist_1");
  TransferQuery q;
  q.run_id = "dist_2";
  const auto transfers = Transfers(q);
  ASSERT_TRUE(transfers.has_value());
  ASSERT_EQ(transfers->total, 1);
  EXPECT_EQ(transfers->transfers[0].transfer.id, "t:dist_2");
  const auto taken = Start(MakeRunStart("dist_1", "p", t0 + 100));
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().code(), Code::kAlreadyExists);
}

TEST_P(LedgerContractTest, ATransferNamingARunThatIsNotRunningIsRefused) {
  Transfer t = MakeTransfer("t:1", "alice", kSp);
  t.run_id = "dist_none";
  const auto refused = Apply({t}, "p");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition);
  ExpectBalanced(0);
}

}  // namespace
}  // namespace sela::store::testing
