// A settlement harness for tests: a SqliteStore on a temp file, the fake IC
// endpoint with an agent on a shared fake clock (chain_e2e_test_util.h),
// an Executor running transfers off the "loop" (a PostQueue drained by the
// test), and a Settler. Nodes earn through ApplyTransfers.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "chain/chain_e2e_test_util.h"
#include "chain/executor.h"
#include "chain/icrc1_client.h"
#include "settle/settler.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_test_support.h"

namespace sela::settle::testing {

// A self-authenticating principal's text, distinct per n.
inline std::string NodePrincipal(uint32_t n) {
  std::string bytes(29, '\x11');
  for (int i = 0; i < 4; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>(n >> (8 * i));
  bytes[28] = '\x02';
  return codec::Principal::FromBytes(bytes).value().ToText();
}

class SettleTest : public chain::testing::ChainTest {
 protected:
  void SetUp() override {
    ChainTest::SetUp();
    spdlog::set_level(spdlog::level::warn);  // A line per transfer otherwise.
    ledger_ = std::make_unique<chain::Icrc1Client>(*agent, ic->ledger_id());
    executor_ = std::make_unique<chain::Executor>(4, 1024, posts_.AsPostFn());
    OpenStore();
  }
  void TearDown() override {
    settler_.reset();
    executor_.reset();  // Running transfers finish; their results are dropped below.
    posts_.RunAll();
    if (store_) store_->Flush();
    posts_.RunAll();
    store_.reset();
  }

  void OpenStore() {
    store::SqliteOptions options;
    options.path = dir_.path() + "/sela.db";
    options.random = [n = uint64_t{1}]() mutable { return n++; };
    store_ = store::SqliteStore::Open(options, posts_.AsPostFn()).value();
  }
  void CloseStore() {
    store_->Flush();
    posts_.RunAll();
    store_.reset();
  }

  SendTransfer RealSend() {
    return [this](const chain::icrc1::TransferArg& arg, TransferDone done) {
      executor_->Run<chain::TransferOutcome>([this, arg] { return ledger_->Transfer(arg); }, std::move(done));
    };
  }
  void MakeSettler(SettlerOptions options, SendTransfer send) {
    settler_ = std::make_unique<Settler>(options, *store_, clock, std::move(send), metrics_);
  }
  static SettlerOptions Enabled() {
    SettlerOptions o;
    o.enabled = true;
    o.in_flight_max = 4;
    o.batch_limit = 7;  // Several CreateSettlements steps per run.
    return o;
  }

  // Runs a store operation to its end.
  template <typename T, typename Op>
  Result<T> Sync(Op op) {
    std::optional<Result<T>> out;
    op([&out](Result<T> r) { out = std::move(r); });
    for (int i = 0; i < 200'000 && !out; ++i) {
      if (posts_.RunAll() == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    if (!out) return Err(DeadlineExceeded("no answer"));
    return std::move(*out);
  }

  // Credits `units` to each principal (one admin transfer each).
  void Earn(const std::vector<std::string>& principals, int64_t units, const std::string& tag) {
    std::vector<store::Transfer> transfers;
    for (size_t i = 0; i < principals.size(); ++i) {
      store::Transfer t;
      t.id = "admin:" + tag + ":" + std::to_string(i);
      t.kind = store::RewardKind::kAdmin;
      t.principal = principals[i];
      t.amount_units = units + static_cast<int64_t>(i);
      t.day = "2025-11-25";
      t.created_ms = clock.WallMs();
      transfers.push_back(std::move(t));
    }
    auto r = Sync<std::vector<store::AppliedTransfer>>(
        [&](auto cb) { store_->ApplyTransfers(std::move(transfers), "", std::move(cb)); });
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }

  Result<RunSummary> Run() {
    return Sync<RunSummary>([&](auto cb) { settler_->StartRun("test", std::move(cb)); });
  }

  store::SettlementSummary Summary() {
    return Sync<store::SettlementSummary>([&](auto cb) { store_->GetSettlementSummary(std::move(cb)); }).value();
  }
  static int64_t Open(const store::SettlementSummary& s) {
    return s.count_by_state[0] + s.count_by_state[1];
  }

  // Drives the loop: ticks, callbacks, the fake clock 500 ms a step, until
  // nothing is pending or sent and nothing is in flight.
  bool Settle(int steps_max = 3000) {
    for (int i = 0; i < steps_max; ++i) {
      posts_.RunAll();
      settler_->Tick();
      for (int k = 0; k < 20; ++k) {
        if (posts_.RunAll() == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      if (settler_->in_flight() == 0 && !settler_->creating() && Open(Summary()) == 0) return true;
      clock.Advance(Millis(500));
    }
    return false;
  }

  // Every failed settlement retried by an operator.
  int RetryFailed() {
    auto failed = Sync<std::vector<store::SettlementRecord>>([&](auto cb) {
      store::SettlementQuery q;
      q.has_state = true;
      q.state = store::SettlementState::kFailed;
      q.limit = 1000;
      store_->ListSettlements(q, std::move(cb));
    }).value();
    for (const auto& s : failed) {
      auto r = Sync<store::SettlementRecord>([&](auto cb) { settler_->Retry(s.id, std::move(cb)); });
      EXPECT_TRUE(r.has_value()) << r.error().ToString();
    }
    return static_cast<int>(failed.size());
  }

  // The proof: on the fake ledger each principal holds exactly what the
  // rewards ledger credited it, every confirmed settlement is one mint,
  // and no memo was minted twice.
  void ExpectLedgersEqual(const std::vector<std::string>& principals) {
    int64_t credited_total = 0;
    for (const std::string& p : principals) {
      auto account = Sync<store::AccountSummary>([&](auto cb) { store_->GetAccount(p, std::move(cb)); }).value();
      auto total = Sync<store::SettledTotal>([&](auto cb) { store_->GetSettledTotal(p, std::move(cb)); }).value();
      const icrc1Balance on_chain = ic->WithLedger([&](const chain::fake::FakeLedger& l) {
        return l.BalanceOf({codec::Principal::FromText(p).value(), std::nullopt});
      });
      EXPECT_EQ(on_chain, static_cast<icrc1Balance>(account.credited_units)) << p;
      EXPECT_EQ(total.settled_units, account.credited_units) << p;
      credited_total += account.credited_units;
    }
    const store::SettlementSummary summary = Summary();
    ic->WithLedger([&](const chain::fake::FakeLedger& l) {
      EXPECT_EQ(l.total_supply(), static_cast<icrc1Balance>(credited_total));
      EXPECT_EQ(static_cast<int64_t>(l.mints().size()), summary.count_by_state[2]);
      std::set<std::string> memos;
      for (const auto& m : l.mints()) EXPECT_TRUE(memos.insert(m.memo.value_or("")).second) << "memo minted twice";
      return 0;
    });
  }

  using icrc1Balance = chain::icrc1::Uint128;
  ::sela::store::testing::TempDir dir_;
  ::sela::store::testing::PostQueue posts_;
  MetricsRegistry metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<chain::Icrc1Client> ledger_;
  std::unique_ptr<chain::Executor> executor_;
  std::unique_ptr<Settler> settler_;
};

}  // namespace sela::settle::testing
