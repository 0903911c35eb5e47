// The fake IC endpoint's bounded memory and its certification in rounds
// (fake/fake_ic.h, fake/fake_round.h), end to end through the agent.
#include <atomic>
#include <thread>
#include <vector>

#include "chain/bls.h"
#include "chain/certificate.h"
#include "chain/chain_e2e_test_util.h"
#include "chain/fake/fake_round.h"
#include "chain/icrc1_client.h"
#include "codec/hex.h"
#include "codec/leb128.h"

namespace sela::chain {
namespace {

using Kind = TransferOutcome::Kind;

icrc1::TransferArg MintTo(uint8_t who, uint64_t amount, const Clock& clock) {
  icrc1::TransferArg arg;
  std::string owner(29, static_cast<char>(who));
  owner[28] = '\x02';
  arg.to = {codec::Principal::FromBytes(owner).value(), std::nullopt};
  arg.amount = amount;
  arg.memo = "m" + std::to_string(who);
  arg.created_at_time = static_cast<uint64_t>(clock.WallMs()) * 1'000'000;
  return arg;
}

class FakeIcMemoryTest : public testing::ChainTest {};

TEST_F(FakeIcMemoryTest, ForgetsRequestStatusesAMinutePastTheirExpiry) {
  Icrc1Client client(*agent, ic->ledger_id());
  for (uint8_t i = 1; i <= 3; ++i) ASSERT_EQ(client.Transfer(MintTo(i, 10, clock)).value().kind, Kind::kApplied);
  EXPECT_EQ(ic->stats().requests_kept, 3u);
  // The agent's expiry is about 5 minutes; a minute later they are gone.
  clock.Advance(Millis(7 * 60'000));
  ASSERT_EQ(client.Transfer(MintTo(4, 10, clock)).value().kind, Kind::kApplied);
  EXPECT_EQ(ic->stats().requests_kept, 1u);
  // The ledger's state is untouched: a resend inside its window is a Duplicate.
  const icrc1::TransferArg again = MintTo(4, 10, clock);
  const TransferOutcome dup = client.Transfer(again).value();
  EXPECT_TRUE(dup.duplicate);
  EXPECT_TRUE(ic->WithLedger([](const fake::FakeLedger& l) { return l.total_supply(); }) == 40);
}

class FakeIcRoundTest : public testing::ChainTest {
 protected:
  FakeIcRoundTest() { round_us = 50'000; }
};

TEST_F(FakeIcRoundTest, ConcurrentTransfersAreCertifiedInRoundsAndVerified) {
  constexpr int kThreads = 4;
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Icrc1Client client(*agent, ic->ledger_id());
      const Result<TransferOutcome> out = client.Transfer(MintTo(static_cast<uint8_t>(i + 1), 100, clock));
      if (out.has_value() && out->kind == Kind::kApplied && !out->duplicate) ++applied;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(applied.load(), kThreads);
  const fake::FakeIcStats stats = ic->stats();
  EXPECT_EQ(stats.round_answers, static_cast<uint64_t>(kThreads));
  EXPECT_GE(stats.rounds, 1u);
  EXPECT_LE(stats.rounds, static_cast<uint64_t>(kThreads));
  EXPECT_TRUE(ic->WithLedger([](const fake::FakeLedger& l) { return l.total_supply(); }) == 100 * kThreads);
  // With a fault pending, answers are signed one by one (the faults act per answer).
  ic->InjectFault(fake::Fault::kStaleCertificate);
  Icrc1Client client(*agent, ic->ledger_id());
  EXPECT_FALSE(client.Transfer(MintTo(9, 1, clock)).has_value());
  EXPECT_EQ(ic->stats().round_answers, static_cast<uint64_t>(kThreads));
}

TEST(RoundCertifier, AnswersThatArriveTogetherShareOneSignedRoot) {
  const bls::SecretKey key =
      bls::SecretKey::FromBytes(codec::HexDecode("2200000000000000000000000000000000000000000000000000000000000009").value())
          .value();
  std::atomic<int> signatures{0};
  fake::RoundCertifier rounds(
      std::chrono::milliseconds(500), [] { return codec::Uleb128(42); },
      [&](const std::string& root) {
        ++signatures;
        return key.Sign(root);
      },
      [](const std::string& tree, const std::string& signature) { return tree + signature; });
  constexpr int kThreads = 4;
  std::vector<std::string> out(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      out[static_cast<size_t>(i)] = rounds.Certify({{{"request_status", std::string(32, static_cast<char>('a' + i)), "status"}, "replied"}});
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(rounds.answers(), static_cast<uint64_t>(kThreads));
  EXPECT_EQ(static_cast<uint64_t>(signatures.load()), rounds.rounds());
  EXPECT_LT(rounds.rounds(), static_cast<uint64_t>(kThreads));  // Threads started together share a round.
  // Each answer keeps its own request and /time, prunes the others, and
  // rebuilds to a root its signature covers.
  for (int i = 0; i < kThreads; ++i) {
    const std::string& cert = out[static_cast<size_t>(i)];
    ASSERT_GT(cert.size(), bls::kSignatureBytes);
    const size_t bar = cert.size() - bls::kSignatureBytes;  // Tree CBOR, then the 48-byte signature.
    const std::string tree_bytes = cert.substr(0, bar);  // The parsed tree points into it.
    const codec::CborValue cbor = codec::ParseCbor(tree_bytes).value();
    const HashTree tree = HashTree::FromCbor(cbor).value();
    EXPECT_TRUE(bls::Verify(key.PublicKey(), cert.substr(bar), tree.RootHash()));
    const std::string mine = std::string(32, static_cast<char>('a' + i));
    const std::string_view path[] = {"request_status", mine, "status"};
    EXPECT_EQ(tree.LookupPath(path).value, "replied");
    const std::string_view time[] = {"time"};
    EXPECT_EQ(tree.LookupPath(time).status, HashTree::Lookup::kFound);
  }
}

}  // namespace
}  // namespace sela::chain
