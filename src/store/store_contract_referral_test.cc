// Referrals (ledger.h): registration by code with its refusals, the two
// levels, the installation bonus and the weekly figures.
#include "store/store_contract_ledger_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kHour = 3'600'000;

TEST_P(LedgerContractTest, AReferralCodeFindsItsNode) {
  const std::string code = CodeOf("alice");
  const auto found = ByCode(code);
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->principal, "alice");
  const auto missing = ByCode(code == "AAAAAAAA" ? "BBBBBBBB" : "AAAAAAAA");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
  for (const char* bad : {"abcdefgh", "SHORT", "TOOLONGCODE", "ABCD-EFG"}) {
    const auto refused = ByCode(bad);
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument);
  }
}

TEST_P(LedgerContractTest, ReferralsFormTwoLevels) {
  const std::string a = CodeOf("a");
  const std::string b = CodeOf("b");
  CodeOf("c");
  const auto b_in = Refer("b", a, 1'000);
  ASSERT_TRUE(b_in.has_value()) << b_in.error().ToString();
  EXPECT_EQ(b_in->refusal, ReferralRefusal::kNone);
  EXPECT_EQ(b_in->record.referrer_l1, "a");
  EXPECT_EQ(b_in->record.referrer_l2, "");
  const auto c_in = Refer("c", b, 2'000);
  ASSERT_TRUE(c_in.has_value());
  EXPECT_EQ(c_in->refusal, ReferralRefusal::kNone);
  EXPECT_EQ(c_in->record.referrer_l1, "b");
  EXPECT_EQ(c_in->record.referrer_l2, "a");
  EXPECT_EQ(c_in->record.code_used, b);
  EXPECT_EQ(c_in->record.signup_ms, 2'000);
  EXPECT_EQ(Referral("c")->value(), c_in->record);
  EXPECT_EQ(Get("a")->value().total_referral, 1u);
  EXPECT_EQ(Get("b")->value().total_referral, 1u);

  Transfer from_c = MakeTransfer("referral:task:j1:2", "a", 2 * kSp, RewardKind::kReferralTask2);
  from_c.referee = "c";
  Transfer from_b = MakeTransfer("referral:task:j2:1", "a", kSp, RewardKind::kReferralTask1);
  from_b.referee = "b";
  ASSERT_TRUE(Apply({from_c, from_b, MakeTransfer("job:j3", "a", 5 * kSp, RewardKind::kJob)}).has_value());
  const auto of_a = Referees("a");
  ASSERT_TRUE(of_a.has_value());
  ASSERT_EQ(of_a->size(), 2u);
  EXPECT_EQ((*of_a)[0].earned_units, 2 * kSp) << "what a earned from c's activity";
  EXPECT_EQ((*of_a)[1].earned_units, kSp);
  EXPECT_EQ((*of_a)[0].referee, "c");
  EXPECT_EQ((*of_a)[0].level, 2u);
  EXPECT_EQ((*of_a)[0].via, "b");
  EXPECT_EQ((*of_a)[1].referee, "b");
  EXPECT_EQ((*of_a)[1].level, 1u);
  const auto counts = RefereeCounts("a");
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ(counts->level1, 1);
  EXPECT_EQ(counts->level2, 1);
  EXPECT_EQ(counts->level1_pending, 1);
}

TEST_P(LedgerContractTest, ReferralsThatWouldBeWrongAreRefusedAndWriteNothing) {
  const std::string a = CodeOf("a");
  const std::string b = CodeOf("b");
  const std::string c = CodeOf("c");
  ASSERT_EQ(Refer("b", a, 1)->refusal, ReferralRefusal::kNone);
  ASSERT_EQ(Refer("c", b, 2)->refusal, ReferralRefusal::kNone);
  const std::string unknown = (a == "ZZZZZZZZ" || b == "ZZZZZZZZ" || c == "ZZZZZZZZ") ? "YYYYYYYY" : "ZZZZZZZZ";

  EXPECT_EQ(Refer("a", unknown, 3)->refusal, ReferralRefusal::kUnknownCode);
  EXPECT_EQ(Refer("ghost", a, 3)->refusal, ReferralRefusal::kUnknownReferee) << "never registered as a node";
  EXPECT_EQ(Refer("a", a, 3)->refusal, ReferralRefusal::kSelfReferral);
  const auto again = Refer("b", c, 3);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->refusal, ReferralRefusal::kAlreadyReferred);
  EXPECT_EQ(again->record.referrer_l1, "a");
  EXPECT_EQ(Refer("a", c, 3)->refusal, ReferralRefusal::kCycle) << "c -> b -> a";
  EXPECT_EQ(Refer("a", b, 3)->refusal, ReferralRefusal::kCycle) << "b -> a";
  const auto malformed = Refer("a", "bad code", 3);
  ASSERT_FALSE(malformed.has_value());
  EXPECT_EQ(malformed.error().code(), Code::kInvalidArgument);

  EXPECT_FALSE(Referral("a")->has_value());
  EXPECT_FALSE(Referral("ghost")->has_value());
  EXPECT_EQ(Get("a")->value().total_referral, 1u);
  EXPECT_EQ(Get("b")->value().total_referral, 1u);
  EXPECT_EQ(Get("c")->value().total_referral, 0u);
}

TEST_P(LedgerContractTest, TheInstallationBonusNeedsUptimeMeasuredAfterSignupAndIsPaidOnce) {
  const std::string a = CodeOf("a");
  CodeOf("b");
  // b ran for 30 hours before it signed up: that does not count.
  ASSERT_TRUE(AddUptime({OnlineDelta("b", "2024-03-01", 20 * kHour), OnlineDelta("b", "2024-03-02", 10 * kHour)},
                        StoreTimeZeroMs())
                  .ok());
  ASSERT_EQ(Refer("b", a, 5)->refusal, ReferralRefusal::kNone);
  EXPECT_EQ(Referral("b")->value().uptime_base_ms, 30 * kHour);
  InstallationClaim claim{.min_uptime_ms = 24 * kHour, .amount_units = 500 * kSp, .day = "2024-03-05",
                          .now_ms = 9'000, .run_id = "", .limit = 10};
  const auto none = ClaimInstallations(claim);
  ASSERT_TRUE(none.has_value()) << none.error().ToString();
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(AddUptime({OnlineDelta("b", "2024-03-03", 23 * kHour)}, StoreTimeZeroMs()).ok());
  EXPECT_TRUE(ClaimInstallations(claim)->empty()) << "23 h after signup";
  ASSERT_TRUE(AddUptime({OnlineDelta("b", "2024-03-04", kHour)}, StoreTimeZeroMs()).ok());
  const auto paid = ClaimInstallations(claim);
  ASSERT_TRUE(paid.has_value());
  ASSERT_EQ(paid->size(), 1u);
  EXPECT_EQ((*paid)[0].transfer.id, "referral:installation:b");
  EXPECT_EQ((*paid)[0].transfer.principal, "a");
  EXPECT_EQ((*paid)[0].credited_units, 500 * kSp);
  EXPECT_EQ(BalanceOf("a"), 500 * kSp);
  const auto record = Referral("b");
  EXPECT_TRUE(record->value().installation_claimed);
  EXPECT_EQ(record->value().installation_claimed_ms, 9'000);
  EXPECT_TRUE(ClaimInstallations(claim)->empty());
  EXPECT_EQ(RefereeCounts("a")->level1_pending, 0);
  ExpectBalanced(1);
}

TEST_P(LedgerContractTest, InstallationClaimsStopAtTheirLimit) {
  const std::string a = CodeOf("a");
  for (const char* p : {"p1", "p2", "p3"}) {
    CodeOf(p);
    ASSERT_EQ(Refer(p, a, 1)->refusal, ReferralRefusal::kNone);
    ASSERT_TRUE(AddUptime({OnlineDelta(p, "2024-03-01", 24 * kHour)}, StoreTimeZeroMs()).ok());
  }
  InstallationClaim claim{.min_uptime_ms = 24 * kHour, .amount_units = 500 * kSp, .day = "2024-03-02",
                          .now_ms = 10, .run_id = "", .limit = 2};
  EXPECT_EQ(ClaimInstallations(claim)->size(), 2u);
  EXPECT_EQ(ClaimInstallations(claim)->size(), 1u);
  EXPECT_EQ(BalanceOf("a"), 1500 * kSp);
}

TEST_P(LedgerContractTest, RefereeWeeksSumWholeMinutesAndPaidUptimeOfTheWindow) {
  const std::string a = CodeOf("a");
  const std::string b = CodeOf("b");
  CodeOf("c");
  ASSERT_EQ(Refer("b", a, 1)->refusal, ReferralRefusal::kNone);
  ASSERT_EQ(Refer("c", b, 1)->refusal, ReferralRefusal::kNone);
  ASSERT_TRUE(AddUptime({OnlineDelta("c", "2024-03-02", 90'000), OnlineDelta("c", "2024-03-03", 90'000),
                         OnlineDelta("c", "2024-03-09", 60'000), OnlineDelta("c", "2024-03-10", 60'000)},
                        StoreTimeZeroMs())
                  .ok());
  ASSERT_TRUE(Apply({MakeTransfer("u:c:1", "c", 3 * kSp, RewardKind::kUptime, "2024-03-03"),
                     MakeTransfer("u:c:2", "c", 9 * kSp, RewardKind::kUptime, "2024-03-10"),
                     MakeTransfer("j:c", "c", 9 * kSp, RewardKind::kJob, "2024-03-03")})
                  .has_value());
  const auto weeks = Weeks("2024-03-03", "2024-03-09");
  ASSERT_TRUE(weeks.has_value()) << weeks.error().ToString();
  ASSERT_EQ(weeks->size(), 2u);
  EXPECT_EQ((*weeks)[0].referee, "b");
  EXPECT_EQ((*weeks)[0].minutes, 0);
  EXPECT_EQ((*weeks)[1].referee, "c");
  EXPECT_EQ((*weeks)[1].referrer_l1, "b");
  EXPECT_EQ((*weeks)[1].referrer_l2, "a");
  EXPECT_EQ((*weeks)[1].minutes, 2) << "1 (of 1.5) on the 3rd, 1 on the 9th";
  EXPECT_EQ((*weeks)[1].uptime_units, 3 * kSp);
  const auto after_b = Weeks("2024-03-03", "2024-03-09", "b", 10);
  ASSERT_TRUE(after_b.has_value());
  ASSERT_EQ(after_b->size(), 1u);
  EXPECT_EQ((*after_b)[0].referee, "c");
}

}  // namespace
}  // namespace sela::store::testing
