// The contract on the rewards ledger (ledger.h): LedgerContractTest, a
// StoreContractTest with synchronous helpers for transfers, uptime
// payments, referrals and runs. A backend instantiates it beside the other
// suites (see sqlite/sqlite_store_test.cc). The tests are in
// store_contract_ledger_test.cc, store_contract_payments_test.cc and
// store_contract_referral_test.cc.
#pragma once

#include <string>
#include <vector>

#include "store/store_contract_test.h"

namespace sela::store::testing {

inline constexpr int64_t kSp = kUnitsPerSp;

// A transfer of `amount_units` to `principal` with everything else at its
// plain default (kind kAdmin, day 2024-03-10, no cap).
inline Transfer MakeTransfer(const std::string& id, const std::string& principal, int64_t amount_units,
                             RewardKind kind = RewardKind::kAdmin, const std::string& day = "2024-03-10") {
  Transfer t;
  t.id = id;
  t.kind = kind;
  t.principal = principal;
  t.amount_units = amount_units;
  t.day = day;
  t.created_ms = StoreTimeZeroMs();
  return t;
}

inline Transfer Capped(Transfer t, TransferCap::Window window, uint32_t kinds, int64_t limit_units) {
  t.cap = TransferCap{window, kinds, limit_units};
  return t;
}

// Pays minutes (from, through] of (principal, day) at 0.5 SP a minute.
inline UptimePayment MakePayment(const std::string& principal, const std::string& day, int64_t from,
                                 int64_t through, const std::string& run_id = "") {
  UptimePayment p;
  p.from_minutes = from;
  p.through_minutes = through;
  p.transfer = MakeTransfer("uptime:" + principal + ":" + day + ":" + std::to_string(through), principal,
                            (through - from) * (kSp / 2), RewardKind::kUptime, day);
  p.transfer.minutes = through - from;
  p.transfer.tier = 4;
  p.transfer.base_units = p.transfer.amount_units;
  p.transfer.run_id = run_id;
  return p;
}

inline RunStart MakeRunStart(const std::string& id, const std::string& owner, int64_t now_ms,
                             int64_t stale_after_ms = 60'000, RunKind kind = RunKind::kUptime) {
  RunStart s;
  s.run.id = id;
  s.run.kind = kind;
  s.run.trigger = "manual";
  s.run.day = "2024-03-10";
  s.run.owner = owner;
  s.now_ms = now_ms;
  s.stale_after_ms = stale_after_ms;
  return s;
}

class LedgerContractTest : public StoreContractTest {
 protected:
  Result<std::vector<AppliedTransfer>> Apply(std::vector<Transfer> transfers, const std::string& owner = "") {
    return Call<Result<std::vector<AppliedTransfer>>>(
        [&](auto done) { store().ApplyTransfers(std::move(transfers), owner, done); });
  }
  Result<std::vector<PaymentOutcome>> Pay(std::vector<UptimePayment> payments, const std::string& owner = "") {
    return Call<Result<std::vector<PaymentOutcome>>>(
        [&](auto done) { store().PayUptime(std::move(payments), owner, done); });
  }
  Result<std::vector<UptimeDay>> Unpaid(const std::string& after_p = "", const std::string& after_d = "",
                                        uint32_t limit = 100) {
    return Call<Result<std::vector<UptimeDay>>>(
        [&](auto done) { store().ListUnpaidUptime(after_p, after_d, limit, done); });
  }
  Result<UptimeDayCounts> DayCounts() {
    return Call<Result<UptimeDayCounts>>([&](auto done) { store().CountUptimeDays(done); });
  }
  Result<AccountSummary> Account(const std::string& principal) {
    return Call<Result<AccountSummary>>([&](auto done) { store().GetAccount(principal, done); });
  }
  int64_t BalanceOf(const std::string& principal) {
    const Result<AccountSummary> a = Account(principal);
    EXPECT_TRUE(a.has_value()) << principal;
    return a.has_value() ? a->balance_units : -1;
  }
  Result<std::vector<EarningsDay>> Earnings(const std::string& principal, const std::string& from,
                                            const std::string& to) {
    return Call<Result<std::vector<EarningsDay>>>(
        [&](auto done) { store().GetEarningsDays(principal, from, to, done); });
  }
  Result<TransferPage> Transfers(const TransferQuery& query) {
    return Call<Result<TransferPage>>([&](auto done) { store().ListTransfers(query, done); });
  }
  Result<std::optional<TransferRecord>> FindTransfer(const std::string& id) {
    return Call<Result<std::optional<TransferRecord>>>([&](auto done) { store().GetTransfer(id, done); });
  }
  Result<std::vector<Balance>> Balances(const std::string& day) {
    return Call<Result<std::vector<Balance>>>([&](auto done) { store().ListBalances(day, done); });
  }
  Result<std::vector<Balance>> BalancesOf(std::vector<std::string> principals, const std::string& day) {
    return Call<Result<std::vector<Balance>>>(
        [&](auto done) { store().ListBalancesOf(std::move(principals), day, done); });
  }
  Result<LedgerAudit> Audit() {
    return Call<Result<LedgerAudit>>([&](auto done) { store().AuditLedger(done); });
  }
  // The audit balances, with `transfers` transfers recorded.
  void ExpectBalanced(int64_t transfers) {
    const Result<LedgerAudit> audit = Audit();
    ASSERT_TRUE(audit.has_value()) << audit.error().ToString();
    EXPECT_TRUE(audit->balanced()) << "issued " << audit->issued_units << " held " << audit->held_units
                                   << " transfers " << audit->transfer_units;
    EXPECT_EQ(audit->transfers, transfers);
  }

  Result<std::optional<NodeRecord>> ByCode(const std::string& code) {
    return Call<Result<std::optional<NodeRecord>>>(
        [&](auto done) { store().FindNodeByReferralCode(code, done); });
  }
  Result<ReferralOutcome> Refer(const std::string& referee, const std::string& code, int64_t now_ms) {
    return Call<Result<ReferralOutcome>>(
        [&](auto done) { store().RegisterReferral(referee, code, now_ms, done); });
  }
  Result<std::optional<ReferralRecord>> Referral(const std::string& referee) {
    return Call<Result<std::optional<ReferralRecord>>>([&](auto done) { store().GetReferral(referee, done); });
  }
  Result<std::vector<RefereeEntry>> Referees(const std::string& referrer, uint32_t limit = 100) {
    return Call<Result<std::vector<RefereeEntry>>>(
        [&](auto done) { store().ListReferees(referrer, limit, done); });
  }
  Result<ReferralCounts> RefereeCounts(const std::string& referrer) {
    return Call<Result<ReferralCounts>>([&](auto done) { store().CountReferees(referrer, done); });
  }
  Result<std::vector<TransferRecord>> ClaimInstallations(const InstallationClaim& claim,
                                                         const std::string& owner = "") {
    return Call<Result<std::vector<TransferRecord>>>(
        [&](auto done) { store().ClaimInstallationBonuses(claim, owner, done); });
  }
  Result<std::vector<RefereeWeek>> Weeks(const std::string& from, const std::string& to,
                                         const std::string& after = "", uint32_t limit = 100) {
    return Call<Result<std::vector<RefereeWeek>>>(
        [&](auto done) { store().ListRefereeWeeks(from, to, after, limit, done); });
  }

  Result<RunStartResult> Start(const RunStart& start) {
    return Call<Result<RunStartResult>>([&](auto done) { store().StartRun(start, done); });
  }
  Result<RunRecord> Finish(const RunFinish& finish) {
    return Call<Result<RunRecord>>([&](auto done) { store().FinishRun(finish, done); });
  }
  Result<std::optional<RunRecord>> Run(const std::string& id) {
    return Call<Result<std::optional<RunRecord>>>([&](auto done) { store().GetRun(id, done); });
  }
  Result<RunPage> Runs(uint32_t kinds, uint64_t offset, uint32_t limit) {
    return Call<Result<RunPage>>([&](auto done) { store().ListRuns(kinds, offset, limit, done); });
  }

  // A registered node's referral code.
  std::string CodeOf(const std::string& principal) {
    const Result<NodeRecord> node = Register(principal);
    EXPECT_TRUE(node.has_value()) << principal;
    return node.has_value() ? node->referral_code : "";
  }
};

// The contract on paying jobs (ledger.h JobRewardSpec), in
// store_contract_job_pay_test.cc: JobContractTest's jobs with the ledger's
// readers. A backend instantiates it beside LedgerContractTest.
class JobPayContractTest : public JobContractTest {
 protected:
  int64_t BalanceOf(const std::string& principal) {
    const auto a = Call<Result<AccountSummary>>([&](auto done) { store().GetAccount(principal, done); });
    EXPECT_TRUE(a.has_value()) << principal;
    return a.has_value() ? a->balance_units : -1;
  }
  std::optional<TransferRecord> TransferById(const std::string& id) {
    const auto t = Call<Result<std::optional<TransferRecord>>>([&](auto done) { store().GetTransfer(id, done); });
    EXPECT_TRUE(t.has_value()) << id;
    return t.has_value() ? *t : std::optional<TransferRecord>();
  }
  Result<std::vector<AppliedTransfer>> Apply(std::vector<Transfer> transfers) {
    return Call<Result<std::vector<AppliedTransfer>>>(
        [&](auto done) { store().ApplyTransfers(std::move(transfers), "", done); });
  }
  LedgerAudit MustAudit() {
    const auto audit = Call<Result<LedgerAudit>>([&](auto done) { store().AuditLedger(done); });
    EXPECT_TRUE(audit.has_value());
    return audit.value_or(LedgerAudit{});
  }
  // Registers both as nodes, then referee under the referrer's code.
  void MustRefer(const std::string& referee, const std::string& referrer) {
    ASSERT_TRUE(Register(referee).has_value());
    const Result<NodeRecord> owner = Register(referrer);
    ASSERT_TRUE(owner.has_value());
    const auto r = Call<Result<ReferralOutcome>>(
        [&](auto done) { store().RegisterReferral(referee, owner->referral_code, StoreTimeZeroMs(), done); });
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->refusal, ReferralRefusal::kNone);
  }
  // node's completion of job_id (attempt 1) paying `amount` on `day`.
  static JobCompletion Paying(const std::string& node, int64_t amount, int64_t cap = 0, uint32_t l1_bp = 0,
                              uint32_t l2_bp = 0, const std::string& day = "2024-03-10") {
    JobCompletion c = Completion(node, 1, "result", 1);
    c.reward = JobRewardSpec{amount, cap, l1_bp, l2_bp, day};
    return c;
  }
};

}  // namespace sela::store::testing
