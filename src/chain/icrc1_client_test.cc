// ICRC-1 transfers end to end against the fake IC, under every injected
// fault: the minted total never exceeds what was asked for, whatever happens.
#include "chain/icrc1_client.h"

#include "chain/chain_e2e_test_util.h"

namespace sela::chain {
namespace {

using fake::Fault;
using testing::Minter;
using Kind = TransferOutcome::Kind;

class Icrc1ClientTest : public testing::ChainTest {
 protected:
  icrc1::TransferArg Mint(uint64_t amount, std::string memo) {
    icrc1::TransferArg arg;
    arg.to = {codec::Principal::FromText(testing::Vector({"ed25519", "principal"})).value(), std::nullopt};
    arg.amount = amount;
    arg.memo = std::move(memo);
    arg.created_at_time = static_cast<uint64_t>(clock.WallMs()) * 1'000'000;
    return arg;
  }
  Icrc1Client Client() { return Icrc1Client(*agent, ic->ledger_id()); }
  size_t Mints() { return ic->WithLedger([](const fake::FakeLedger& l) { return l.mints().size(); }); }
  icrc1::Uint128 Supply() { return ic->WithLedger([](const fake::FakeLedger& l) { return l.total_supply(); }); }

  // Sends until the outcome is known, as settlement does: same arg each time.
  TransferOutcome SendUntilKnown(const icrc1::TransferArg& arg, int* attempts) {
    Icrc1Client client = Client();
    for (*attempts = 1; *attempts <= 5; ++*attempts) {
      Result<TransferOutcome> r = client.Transfer(arg);
      if (r.has_value()) return *r;
      ic->ClearFaults();
    }
    ADD_FAILURE() << "no known outcome after 5 attempts";
    return {};
  }
};

TEST_F(Icrc1ClientTest, MintsAndTheBalanceFollows) {
  Icrc1Client client = Client();
  const TransferOutcome out = client.Transfer(Mint(150'000'000, "s1")).value();
  ASSERT_EQ(out.kind, Kind::kApplied);
  EXPECT_TRUE(out.block_index == 0);
  EXPECT_FALSE(out.duplicate);
  EXPECT_TRUE(client.BalanceOf(Mint(0, "").to).value() == 150'000'000);
  EXPECT_TRUE(client.Fee().value() == 10'000);
  EXPECT_TRUE(client.CheckMinter().ok());
}

TEST_F(Icrc1ClientTest, AResendIsAnsweredDuplicateAndMintsNothing) {
  const icrc1::TransferArg arg = Mint(5, "s2");
  Icrc1Client client = Client();
  ASSERT_EQ(client.Transfer(arg).value().kind, Kind::kApplied);
  const TransferOutcome again = client.Transfer(arg).value();
  EXPECT_EQ(again.kind, Kind::kApplied);
  EXPECT_TRUE(again.duplicate);
  EXPECT_TRUE(again.block_index == 0);
  EXPECT_EQ(Mints(), 1u);
  // Another memo is another transfer.
  EXPECT_FALSE(client.Transfer(Mint(5, "s3")).value().duplicate);
  EXPECT_EQ(Mints(), 2u);
}

TEST_F(Icrc1ClientTest, EveryLostOrRefusedAnswerEndsInExactlyOneMint) {
  // sends: how many Transfer calls it takes (the agent's own re-POSTs of one
  // envelope are inside one send); 0 when either 1 or 2 may happen.
  struct Case {
    Fault fault;
    int sends;
  };
  const Case cases[] = {{Fault::kHttp503, 1}, {Fault::kHoldAfterExecute, 1}, {Fault::kDropAfterExecute, 1},
                        {Fault::kDropBeforeExecute, 1}, {Fault::kAccepted202, 1}, {Fault::kBadCertificate, 2},
                        {Fault::kStaleCertificate, 2}, {Fault::kRestartAfterExecute, 0}, {Fault::kNoV3, 1}};
  icrc1::Uint128 expected = 0;
  int memo = 0;
  for (const Case& c : cases) {
    ic->InjectFault(c.fault, c.fault == Fault::kHttp503 ? 2 : 1);
    const icrc1::TransferArg arg = Mint(1000 + memo, "fault-" + std::to_string(memo));
    ++memo;
    int attempts = 0;
    const TransferOutcome out = SendUntilKnown(arg, &attempts);
    const int fault = static_cast<int>(c.fault);
    EXPECT_EQ(out.kind, Kind::kApplied) << fault;
    if (c.sends != 0) {
      EXPECT_EQ(attempts, c.sends) << fault;
    }
    // A second send is a new request with the same arguments: the ledger
    // says Duplicate, pointing at the first one's block.
    EXPECT_EQ(out.duplicate, attempts > 1) << fault;
    EXPECT_TRUE(out.block_index == static_cast<icrc1::Uint128>(memo - 1)) << fault;
    expected += arg.amount;
    EXPECT_TRUE(Supply() == expected) << "fault " << fault << " after " << attempts << " sends";
    ic->ClearFaults();
  }
  EXPECT_EQ(Mints(), std::size(cases));
  EXPECT_EQ(ic->stats().restarts, 1u);
}

TEST_F(Icrc1ClientTest, A202IsPolledUntilTheCertifiedReply) {
  ic->InjectFault(Fault::kAccepted202, 1, /*polls=*/3);
  const TransferOutcome out = Client().Transfer(Mint(7, "poll")).value();
  EXPECT_EQ(out.kind, Kind::kApplied);
  EXPECT_GE(agent->polls(), 4u);
  EXPECT_EQ(ic->stats().calls_executed, 1u);
}

TEST_F(Icrc1ClientTest, LostRepliesAreRecoveredByRepostingTheSameEnvelope) {
  ic->InjectFault(Fault::kHoldAfterExecute);
  const TransferOutcome out = Client().Transfer(Mint(9, "held")).value();
  EXPECT_EQ(out.kind, Kind::kApplied);
  EXPECT_FALSE(out.duplicate);  // The same request, not a new one.
  EXPECT_EQ(ic->stats().call_posts, 2u);
  EXPECT_EQ(ic->stats().calls_executed, 1u);
  EXPECT_EQ(agent->resubmits(), 1u);
}

TEST_F(Icrc1ClientTest, RejectsAreTypedAndApplyNothing) {
  ic->InjectFault(Fault::kReject);
  const TransferOutcome trapped = Client().Transfer(Mint(1, "trap")).value();
  EXPECT_EQ(trapped.kind, Kind::kRejected);
  EXPECT_EQ(trapped.reject.code, static_cast<uint64_t>(RejectCode::kCanisterError));
  EXPECT_TRUE(trapped.reject.certified);
  ic->InjectFault(Fault::kNonReplicatedReject);
  const TransferOutcome early = Client().Transfer(Mint(1, "early")).value();
  EXPECT_EQ(early.kind, Kind::kRejected);
  EXPECT_EQ(early.reject.code, static_cast<uint64_t>(RejectCode::kCanisterReject));
  EXPECT_FALSE(early.reject.certified);
  EXPECT_EQ(early.reject.error_code, "IC0406");
  EXPECT_EQ(Mints(), 0u);
}

TEST_F(Icrc1ClientTest, LedgerErrorsAreTyped) {
  icrc1::TransferArg old = Mint(1, "old");
  *old.created_at_time -= 25ULL * 3600 * 1'000'000'000;
  EXPECT_EQ(Client().Transfer(old).value().error.kind, icrc1::TransferError::Kind::kTooOld);
  icrc1::TransferArg future = Mint(1, "future");
  *future.created_at_time += 120ULL * 1'000'000'000;
  const TransferOutcome f = Client().Transfer(future).value();
  EXPECT_EQ(f.kind, Kind::kLedgerError);
  EXPECT_EQ(f.error.kind, icrc1::TransferError::Kind::kCreatedInFuture);
  icrc1::TransferArg fee = Mint(1, "fee");
  fee.fee = 10;
  EXPECT_EQ(Client().Transfer(fee).value().error.kind, icrc1::TransferError::Kind::kBadFee);
  EXPECT_EQ(Mints(), 0u);
}

TEST_F(Icrc1ClientTest, PersistentFailuresAreErrorsNotOutcomes) {
  ic->InjectFault(Fault::kHttp503, -1);
  const Result<TransferOutcome> r = Client().Transfer(Mint(1, "down"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Code::kUnavailable);
  EXPECT_EQ(Mints(), 0u);
  ic->ClearFaults();
  EXPECT_FALSE(Client().Transfer(Mint(1, "down")).value().duplicate);
}

TEST_F(Icrc1ClientTest, UnsignedQueryAnswersAreRefused) {
  ic->InjectFault(Fault::kUnsignedQuery, 2);  // The agent refetches node keys once, then gives up.
  const Result<icrc1::Uint128> r = Client().BalanceOf(Mint(0, "").to);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Code::kUnauthenticated);
  EXPECT_NE(r.error().message().find("missing signature"), std::string::npos) << r.error().message();
}

TEST_F(Icrc1ClientTest, ReconcilesThroughTheBlockLog) {
  Icrc1Client client = Client();
  const icrc1::TransferArg a = Mint(11, "a");
  const icrc1::TransferArg b = Mint(12, "b");
  ASSERT_EQ(client.Transfer(a).value().kind, Kind::kApplied);
  ASSERT_EQ(client.Transfer(b).value().kind, Kind::kApplied);
  EXPECT_TRUE(client.FindMint(b, {}).value() == std::optional<icrc1::Uint128>(1));
  EXPECT_TRUE(client.FindMint(a, {}).value() == std::optional<icrc1::Uint128>(0));
  EXPECT_FALSE(client.FindMint(Mint(13, "c"), {}).value().has_value());
  icrc1::TransferArg later = a;  // Same memo, another created_at_time: not a's transfer.
  *later.created_at_time += 1;
  EXPECT_FALSE(client.FindMint(later, {}).value().has_value());
}

class Icrc1ClientEnvTest : public testing::ChainTest {
 protected:
  void SetUp() override {}
};

TEST_F(Icrc1ClientEnvTest, AnotherIdentityIsNotTheMinter) {
  Start(Identity(auth::SigningKey::Ed25519FromSeed(testing::VectorBytes({"ed25519", "seed"})).value()));
  Icrc1Client client(*agent, ic->ledger_id());
  EXPECT_EQ(client.CheckMinter().code(), Code::kFailedPrecondition);
  icrc1::TransferArg arg;
  arg.to = {Minter().principal(), std::nullopt};
  arg.amount = 1;
  EXPECT_EQ(client.Transfer(arg).value().kind, TransferOutcome::Kind::kLedgerError);
}

TEST_F(Icrc1ClientEnvTest, AClockOffByMinutesIsTold) {
  Start(Minter());
  sela::testing::FakeClock skewed(kStartMs + 10 * 60'000);
  std::unique_ptr<Agent> late = MakeAgent(Minter(), skewed, ic->root_key_der_hex());
  icrc1::TransferArg arg;
  arg.to = {Minter().principal(), std::nullopt};
  arg.amount = 1;
  const Result<TransferOutcome> r = Icrc1Client(*late, ic->ledger_id()).Transfer(arg);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Code::kFailedPrecondition);
}

TEST_F(Icrc1ClientEnvTest, TheWrongRootKeyTrustsNothing) {
  Start(Minter());
  std::unique_ptr<Agent> mainnet = MakeAgent(Minter(), clock, std::string(kMainnetRootKeyDerHex));
  icrc1::TransferArg arg;
  arg.to = {Minter().principal(), std::nullopt};
  arg.amount = 1;
  Icrc1Client client(*mainnet, ic->ledger_id());
  EXPECT_EQ(client.Transfer(arg).error().code(), Code::kUnauthenticated);
  EXPECT_EQ(client.BalanceOf(arg.to).error().code(), Code::kUnauthenticated);
}

}  // namespace
}  // namespace sela::chain
