// Test harness of the rewards module: a SqliteStore on a temp dir whose
// callbacks are run by the test (PostQueue), a FakeClock and a Distributor,
// with synchronous helpers. Settle() runs store work and callbacks until
// nothing is left, so chains of store calls (a distribution run) finish.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "rewards/distributor.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_contract_test.h"
#include "testing/fake_clock.h"

namespace sela::rewards::testing {

using store::testing::PostQueue;
using store::testing::TempDir;

// 2024-03-10 00:00:00 UTC, a Sunday.
inline constexpr int64_t kT0 = 1'710'028'800'000;
inline constexpr int64_t kMinuteMs = 60'000;
inline constexpr int64_t kHourMs = 60 * kMinuteMs;

inline store::UptimeDelta Delta(const std::string& principal, const std::string& day, int64_t online_ms,
                                std::optional<double> speed = std::nullopt, std::optional<double> ping = std::nullopt) {
  store::UptimeDelta d;
  d.principal = principal;
  d.day = day;
  d.online_ms = online_ms;
  if (speed) {
    d.speed_sum = *speed;
    d.speed_count = 1;
  }
  if (ping) {
    d.ping_sum = *ping;
    d.ping_count = 1;
  }
  return d;
}

class RewardsHarness : public ::testing::Test {
 protected:
  RewardsHarness() { OpenStore(); }
  ~RewardsHarness() override {
    distributor_.reset();
    CloseStore();
  }

  void OpenStore() {
    store::SqliteOptions options;
    options.path = dir_.path() + "/sela.db";
    options.random = [rng = std::mt19937_64(opens_++)]() mutable { return rng(); };
    auto opened = store::SqliteStore::Open(options, posts_.AsPostFn());
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    store_ = std::move(opened).value();
  }
  void CloseStore() {
    store_.reset();
    posts_.RunAll();
  }
  // A new Distributor (a restarted process has a new owner id).
  // `on`: the store it uses (a CrashStore over store_), store_ when null.
  Distributor& MakeDistributor(RewardRules rules = {}, const std::string& owner = "owner-1",
                               store::Store* on = nullptr) {
    DistributorOptions o;
    o.rules = std::move(rules);
    o.owner = owner;
    o.page_rows = page_rows_;
    distributor_ = std::make_unique<Distributor>(o, on ? *on : *store_, clock_);
    return *distributor_;
  }

  void Settle() {
    while (true) {
      store_->Flush();
      if (posts_.RunAll() == 0) return;
    }
  }
  template <typename R, typename Issue>
  R Call(Issue&& issue) {
    std::optional<R> got;
    issue([&got](R r) { got.emplace(std::move(r)); });
    Settle();
    EXPECT_TRUE(got.has_value()) << "the callback was not delivered";
    if (!got.has_value()) return R(Err(Internal("no callback")));
    return std::move(*got);
  }

  Result<RunOutcome> RunUptime(Trigger trigger = Trigger::kManual) {
    return Call<Result<RunOutcome>>([&](auto done) { distributor_->RunUptime(trigger, done); });
  }
  Result<RunOutcome> RunWeekly(Trigger trigger = Trigger::kManual) {
    return Call<Result<RunOutcome>>([&](auto done) { distributor_->RunReferralWeekly(trigger, done); });
  }
  void AddUptime(std::vector<store::UptimeDelta> deltas) {
    const Status st = Call<Status>([&](auto done) { store_->AddUptime(std::move(deltas), clock_.WallMs(), done); });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  store::NodeRecord Register(const std::string& principal) {
    auto r = Call<Result<store::NodeRecord>>(
        [&](auto done) { store_->RegisterNode(principal, "1", clock_.WallMs(), done); });
    EXPECT_TRUE(r.has_value());
    return r.value_or(store::NodeRecord{});
  }
  // Registers both as nodes, then referee under referrer's code.
  void Refer(const std::string& referee, const std::string& referrer) {
    Register(referee);
    const std::string code = Register(referrer).referral_code;
    auto r = Call<Result<store::ReferralOutcome>>(
        [&](auto done) { store_->RegisterReferral(referee, code, clock_.WallMs(), done); });
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->refusal, store::ReferralRefusal::kNone);
  }
  int64_t Balance(const std::string& principal) {
    auto a = Call<Result<store::AccountSummary>>([&](auto done) { store_->GetAccount(principal, done); });
    return a.has_value() ? a->balance_units : -1;
  }
  std::vector<store::TransferRecord> TransfersOf(const std::string& principal) {
    store::TransferQuery q;
    q.principal = principal;
    q.newest_first = false;
    q.limit = 1000;
    auto page = Call<Result<store::TransferPage>>([&](auto done) { store_->ListTransfers(q, done); });
    return page.has_value() ? page->transfers : std::vector<store::TransferRecord>{};
  }
  // Units credited to the principal by transfers of the given kinds.
  int64_t CreditedBy(const std::string& principal, uint32_t kinds) {
    int64_t sum = 0;
    for (const auto& r : TransfersOf(principal)) {
      if (store::KindBit(r.transfer.kind) & kinds) sum += r.credited_units;
    }
    return sum;
  }
  static constexpr uint32_t kWeeklyShares =
      store::KindBit(store::RewardKind::kReferralUptime1) | store::KindBit(store::RewardKind::kReferralUptime2);

  store::LedgerAudit Audit() {
    auto a = Call<Result<store::LedgerAudit>>([&](auto done) { store_->AuditLedger(done); });
    EXPECT_TRUE(a.has_value());
    return a.value_or(store::LedgerAudit{});
  }
  int64_t PaidMinutes(const std::string& principal, const std::string& day) {
    auto days = Call<Result<std::vector<store::UptimeDay>>>(
        [&](auto done) { store_->GetUptimeDays(principal, day, day, done); });
    return days.has_value() && days->size() == 1 ? (*days)[0].paid_minutes : -1;
  }

  TempDir dir_;
  PostQueue posts_;
  sela::testing::FakeClock clock_{kT0 + 12 * kHourMs};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Distributor> distributor_;
  uint32_t page_rows_ = 1000;
  uint64_t opens_ = 1;
};

}  // namespace sela::rewards::testing
