// Icrc1Client::FindMint through the agent against the fake IC whose ledger
// archives its oldest blocks: archive callbacks are followed as queries to
// the archive canister, verified as every query (node signatures under keys
// certified for the archive's subnet); an archive that traps, answers
// unsigned or sits outside the certified ranges is an error, never absent.
#include <gtest/gtest.h>

#include "chain/chain_e2e_test_util.h"
#include "chain/icrc1_client.h"

namespace sela::chain {
namespace {

using fake::ArchiveFault;
using icrc1::Uint128;
constexpr uint64_t kSecond = 1'000'000'000;

class Icrc1ArchiveTest : public testing::ChainTest {
 protected:
  void SetUp() override {}
  void StartWithArchive(std::string archive_id = "") {
    configure_ic = [archive_id](fake::FakeIcOptions& o) {
      o.ledger.archive.trigger_blocks = 200;
      o.ledger.archive.blocks_to_archive = 200;
      o.ledger.archive.blocks_per_reply_max = 150;
      if (!archive_id.empty()) o.ledger.archive.canister_id = codec::Principal::FromText(archive_id).value();
    };
    Start(testing::Minter());
  }
  // Blocks written straight into the fake ledger at past ledger times, one
  // every 30 s, ending now; `ours` is the (i = at)-th block.
  Uint128 Fill(size_t n, size_t at, const icrc1::TransferArg& ours) {
    const uint64_t now_ns = static_cast<uint64_t>(clock.WallMs()) * 1'000'000;
    const codec::Principal minter = testing::Minter().principal();
    return ic->MutateLedger([&](fake::FakeLedger& l) {
      icrc1::TransferArg filler;
      filler.to = {minter, std::nullopt};
      filler.to.subaccount = std::string(32, '\x07');
      filler.amount = 1;
      Uint128 ours_at = 0;
      for (size_t i = 0; i < n; ++i) {
        const uint64_t ts = now_ns - (n - i) * 30 * kSecond;
        const bool mine = i == at;
        const icrc1::TransferResult r = l.Transfer(minter, mine ? ours : filler, ts);
        EXPECT_TRUE(r.ok);
        if (mine) ours_at = r.block_index;
      }
      return ours_at;
    });
  }
  icrc1::TransferArg Arg(std::string memo, uint64_t created) {
    icrc1::TransferArg arg;
    arg.to = {codec::Principal::FromText(testing::Vector({"ed25519", "principal"})).value(), std::nullopt};
    arg.amount = 5;
    arg.memo = std::move(memo);
    arg.created_at_time = created;
    return arg;
  }
  uint64_t NsAgo(uint64_t seconds) const { return static_cast<uint64_t>(clock.WallMs()) * 1'000'000 - seconds * kSecond; }
  Icrc1Client Client() { return Icrc1Client(*agent, ic->ledger_id()); }
};

TEST_F(Icrc1ArchiveTest, FollowsArchiveCallbacksThroughTheAgent) {
  StartWithArchive();
  // 1,000 blocks over 8 h 20 min; ours is block 300 (archived), made 5 h ago.
  const icrc1::TransferArg ours = Arg("archived", NsAgo(700 * 30));
  const Uint128 at = Fill(1000, 300, ours);
  ASSERT_EQ(at, 300u);
  ASSERT_GT(ic->WithLedger([](const fake::FakeLedger& l) { return l.archive().blocks(); }), 300u);
  MintSearchStats stats;
  Icrc1Client client = Client();
  const auto found = client.FindMint(ours, {}, &stats);
  ASSERT_TRUE(found.has_value()) << found.error().ToString();
  EXPECT_TRUE(*found == std::optional<Uint128>(300));
  EXPECT_GT(stats.archive_pages, 0u);
  EXPECT_GT(ic->WithLedger([](const fake::FakeLedger& l) { return l.archive().queries(); }), 0u);

  const auto absent = client.FindMint(Arg("absent", ours.created_at_time.value()), {}, &stats);
  ASSERT_TRUE(absent.has_value()) << absent.error().ToString();
  EXPECT_FALSE(absent->has_value());
  EXPECT_GT(stats.archive_pages, 1u);
  // A transfer in the ledger's own blocks: the mint made now.
  const icrc1::TransferArg recent = Arg("recent", NsAgo(0));
  ASSERT_EQ(client.Transfer(recent).value().kind, TransferOutcome::Kind::kApplied);
  EXPECT_TRUE(client.FindMint(recent, {}).value() == std::optional<Uint128>(1000));
}

TEST_F(Icrc1ArchiveTest, AFailingArchiveIsAnErrorNeverAbsent) {
  StartWithArchive();
  const icrc1::TransferArg ours = Arg("archived", NsAgo(700 * 30));
  Fill(1000, 300, ours);
  const icrc1::TransferArg absent = Arg("absent", ours.created_at_time.value());
  Icrc1Client client = Client();
  ic->MutateLedger([](fake::FakeLedger& l) { l.archive().InjectFault(ArchiveFault::kTrap, -1); return 0; });
  for (const icrc1::TransferArg& arg : {ours, absent}) {
    const auto r = client.FindMint(arg, {});
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message().find("trapped"), std::string::npos) << r.error().message();
  }
  ic->MutateLedger([](fake::FakeLedger& l) { l.archive().InjectFault(ArchiveFault::kUnsigned, -1); return 0; });
  const auto unsigned_answer = client.FindMint(absent, {});
  ASSERT_FALSE(unsigned_answer.has_value());
  EXPECT_EQ(unsigned_answer.error().code(), Code::kUnauthenticated) << unsigned_answer.error().ToString();
  ic->MutateLedger([](fake::FakeLedger& l) { l.archive().ClearFaults(); return 0; });
  EXPECT_FALSE(client.FindMint(absent, {}).value().has_value());
}

TEST_F(Icrc1ArchiveTest, AnArchiveOutsideTheCertifiedRangesIsNotTrusted) {
  StartWithArchive("bmbbw-dyaaa-aaaay-aaaaa-cai");  // Above the fake subnet's range.
  const icrc1::TransferArg ours = Arg("archived", NsAgo(700 * 30));
  Fill(1000, 300, ours);
  const auto r = Client().FindMint(ours, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Code::kUnauthenticated) << r.error().ToString();
}

}  // namespace
}  // namespace sela::chain
