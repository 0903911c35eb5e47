// The periodic reconciliation pass (docs/CHAIN.md "Reconciliation"): the
// Settler reconciles settlements left in needs_reconciliation by itself once
// the ledger can no longer accept them, and a settlement proven absent gets
// exactly one new generation, whatever races it (the admin route, another
// process on the same store) and whatever stops it (an archive that fails,
// a process that dies mid-search). Against the fake ledger, on the fake
// clock.
#include <gtest/gtest.h>

#include "settle/settle_test_util.h"

namespace sela::settle::testing {
namespace {

using chain::icrc1::Uint128;
using store::SettlementRecord;
using store::SettlementState;

class ReconcilePassTest : public SettleTest {
 protected:
  static SettlerOptions WithPass() {
    SettlerOptions o = Enabled();
    o.reconcile_interval_ms = 10 * 60'000;
    return o;
  }
  FindMint RealFind() {
    return [this](const chain::icrc1::TransferArg& arg, MintFound done) {
      executor_->Run<std::optional<Uint128>>([this, arg] { return ledger_->FindMint(arg, {}); }, std::move(done));
    };
  }
  // Searches wait here until released (then run for real) or dropped.
  struct Held {
    chain::icrc1::TransferArg arg;
    MintFound done;
  };
  FindMint HeldFind() {
    return [this](const chain::icrc1::TransferArg& arg, MintFound done) { held_.push_back({arg, std::move(done)}); };
  }
  void Release(size_t i) {
    executor_->Run<std::optional<Uint128>>([this, arg = held_[i].arg] { return ledger_->FindMint(arg, {}); },
                                           std::move(held_[i].done));
  }
  // Every send's answer is lost; those to `applied` ran on the ledger.
  SendTransfer Lossy(std::set<std::string> applied) {
    return [this, applied = std::move(applied)](const chain::icrc1::TransferArg& arg, TransferDone done) {
      if (applied.contains(arg.to.owner.ToText())) (void)ledger_->Transfer(arg);
      done(Err(DeadlineExceeded("no answer")));
    };
  }
  void Pump(int rounds = 50) {
    for (int k = 0; k < rounds; ++k) {
      if (posts_.RunAll() == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    store_->Flush();
    posts_.RunAll();
  }
  // Ticks `steps` times, `step_ms` of fake time apart, letting each
  // tick's searches finish (bounded in real time).
  void TickFor(int steps, int64_t step_ms) {
    for (int i = 0; i < steps; ++i) {
      settler_->Tick();
      Pump();
      for (int k = 0; k < 500 && settler_->reconciling() && held_.empty(); ++k) Pump(5);
      clock.Advance(Millis(step_ms));
    }
  }
  SettlementRecord Get(const std::string& id) {
    return Sync<std::optional<SettlementRecord>>([&](auto cb) { store_->GetSettlement(id, std::move(cb)); })
        .value()
        .value();
  }
  int64_t Reconciled(const std::string& outcome) {
    const std::string text = metrics_.RenderPrometheus();
    const std::string key = "sela_settlement_reconciled_total{outcome=\"" + outcome + "\"} ";
    const size_t at = text.find(key);
    return at == std::string::npos ? 0 : std::stoll(text.substr(at + key.size()));
  }
  std::string RunId() {
    auto run = Run();
    EXPECT_TRUE(run.has_value());
    return run.has_value() ? run->run_id : "";
  }

  std::vector<Held> held_;
};

TEST_F(ReconcilePassTest, ThePassReconcilesByItselfOnceTheLedgerCannotAcceptTheTransfer) {
  const std::string applied = NodePrincipal(11), lost = NodePrincipal(12);
  Earn({applied, lost}, 40'000, "p");
  MakeSettler(WithPass(), Lossy({applied}));
  settler_->SetFindMint(RealFind());
  const std::string run = RunId();
  const std::string a = run + "/" + applied, b = run + "/" + lost;
  TickFor(24, 3'600'000);  // 24 h: failed at ~22 h, but the ledger's window (+ margin) is not over.
  for (const std::string& id : {a, b}) {
    EXPECT_EQ(Get(id).state, SettlementState::kFailed) << id;
    EXPECT_TRUE(Get(id).needs_reconciliation) << id;
  }
  EXPECT_EQ(Reconciled("found") + Reconciled("absent") + Reconciled("error"), 0);

  TickFor(2, 3'600'000);  // 25 h: past created_at_time + 24 h + 15 min.
  const SettlementRecord found = Get(a);
  EXPECT_EQ(found.state, SettlementState::kConfirmed);
  EXPECT_EQ(found.block_index, 0);
  const SettlementRecord again = Get(b);
  EXPECT_NE(again.state, SettlementState::kFailed);
  EXPECT_EQ(again.generation, 1u);
  EXPECT_EQ(Reconciled("found"), 1);
  EXPECT_EQ(Reconciled("absent"), 1);

  MakeSettler(Enabled(), RealSend());  // The answers come back.
  ASSERT_TRUE(Settle());
  EXPECT_EQ(Get(b).state, SettlementState::kConfirmed);
  EXPECT_EQ(Get(b).generation, 1u);
  ExpectLedgersEqual({applied, lost});
}

TEST_F(ReconcilePassTest, ThePassTheRouteAndAnotherProcessMakeExactlyOneNewGeneration) {
  const std::string lost = NodePrincipal(21);
  Earn({lost}, 9'000, "r");
  MakeSettler(WithPass(), Lossy({}));
  settler_->SetFindMint(HeldFind());
  const std::string id = RunId() + "/" + lost;
  TickFor(26, 3'600'000);  // 25 h: the pass has started its search, which waits.
  ASSERT_EQ(held_.size(), 1u);
  ASSERT_TRUE(settler_->reconciling());
  // The route, in the same process, while the pass searches.
  const auto route = Sync<SettlementRecord>([&](auto cb) { settler_->Reconcile(id, std::move(cb)); });
  ASSERT_FALSE(route.has_value());
  EXPECT_EQ(route.error().code(), Code::kUnavailable);
  // Another process on the same store, through its route.
  Settler other(WithPass(), *store_, clock, Lossy({}), metrics_);
  other.SetFindMint(HeldFind());
  std::optional<Result<SettlementRecord>> other_result;
  other.Reconcile(id, [&](Result<SettlementRecord> r) { other_result = std::move(r); });
  for (int i = 0; i < 1000 && held_.size() < 2; ++i) Pump(5);
  ASSERT_EQ(held_.size(), 2u);
  // Both find it absent; only one may make the new generation.
  Release(0);
  Release(1);
  for (int i = 0; i < 2000 && (!other_result || settler_->reconciling()); ++i) Pump(5);
  ASSERT_TRUE(other_result.has_value());
  EXPECT_EQ(Reconciled("absent"), 1);
  EXPECT_EQ(Reconciled("not_saved"), 1);
  EXPECT_EQ(Get(id).generation, 1u);
  EXPECT_EQ(Get(id).state, SettlementState::kPending);

  // Later passes find nothing to do; the new generation is paid once.
  held_.clear();
  TickFor(3, 30 * 60'000);
  EXPECT_TRUE(held_.empty());
  MakeSettler(Enabled(), RealSend());
  ASSERT_TRUE(Settle());
  EXPECT_EQ(Get(id).generation, 1u);
  ExpectLedgersEqual({lost});
}

class ReconcileArchiveTest : public ReconcilePassTest {
 protected:
  void SetUp() override {
    configure_ic = [](chain::fake::FakeIcOptions& o) {  // Every block but the newest moves to the archive.
      o.ledger.archive.trigger_blocks = 1;
      o.ledger.archive.blocks_to_archive = 1;
    };
    ReconcilePassTest::SetUp();
  }
};

TEST_F(ReconcileArchiveTest, AFailingArchiveAndADeadProcessLeaveExactlyOneNewGeneration) {
  const std::string q1 = NodePrincipal(31), q2 = NodePrincipal(32), lost = NodePrincipal(33);
  Earn({q1, q2, lost}, 3'000, "a");
  MakeSettler(WithPass(), Lossy({q1, q2}));
  settler_->SetFindMint(RealFind());
  const std::string run = RunId();
  const std::string id = run + "/" + lost;
  ic->MutateLedger([](chain::fake::FakeLedger& l) {
    l.archive().InjectFault(chain::fake::ArchiveFault::kTrap, -1);
    return 0;
  });
  TickFor(27, 3'600'000);  // 26 h: the pass tried twice, the archive trapped every time.
  ASSERT_EQ(ic->WithLedger([](const chain::fake::FakeLedger& l) { return l.archive().blocks(); }), 1u);
  EXPECT_GE(Reconciled("error"), 3);  // Each of the three, at least once.
  EXPECT_EQ(Reconciled("found") + Reconciled("absent"), 0);
  for (const std::string& p : {q1, q2, lost}) {
    EXPECT_EQ(Get(run + "/" + p).state, SettlementState::kFailed);
    EXPECT_EQ(Get(run + "/" + p).generation, 0u);
  }

  // The archive answers again; a process starts the pass and dies mid-search.
  ic->MutateLedger([](chain::fake::FakeLedger& l) {
    l.archive().ClearFaults();
    return 0;
  });
  MakeSettler(WithPass(), Lossy({}));
  settler_->SetFindMint(HeldFind());
  TickFor(1, 1000);
  ASSERT_EQ(held_.size(), 1u);
  held_.clear();  // Its search never answers: the process is gone.
  settler_.reset();
  CloseStore();
  OpenStore();

  // The next process reconciles all three and pays the lost one once.
  MakeSettler(WithPass(), RealSend());
  settler_->SetFindMint(RealFind());
  TickFor(5, 1000);
  ASSERT_TRUE(Settle());
  EXPECT_EQ(Reconciled("found"), 2);
  EXPECT_EQ(Reconciled("absent"), 1);
  EXPECT_EQ(Get(id).state, SettlementState::kConfirmed);
  EXPECT_EQ(Get(id).generation, 1u);
  // And another restart changes nothing.
  MakeSettler(WithPass(), RealSend());
  settler_->SetFindMint(RealFind());
  TickFor(3, 20 * 60'000);
  EXPECT_EQ(Reconciled("absent"), 1);
  ExpectLedgersEqual({q1, q2, lost});
}

}  // namespace
}  // namespace sela::settle::testing
