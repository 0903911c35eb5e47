// The Store contract for the marketplace (store.h "Marketplace"), part of
// JobContractTest (store_contract_test.h). What a client did not list is
// never shown to anyone but that client.
#include <string>
#include <vector>

#include "store/store_contract_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = StoreTimeZeroMs();

std::vector<std::string> MarketIds(const MarketPage& page) {
  std::vector<std::string> ids;
  for (const MarketJob& j : page.jobs) ids.push_back(j.job.job_id);
  return ids;
}

TEST_P(JobContractTest, JobsAreUnlistedUnlessTheRequestOrTheClientsDefaultSaysSo) {
  EXPECT_FALSE(MustCompleteJob("job_default", "acme", std::nullopt, kT0 + 10).listed);
  EXPECT_TRUE(MustCompleteJob("job_yes", "acme", true, kT0 + 20).listed);
  ASSERT_TRUE(SetListingDefault("acme", true).ok());
  EXPECT_TRUE(GetClient("acme").value()->list_by_default);
  EXPECT_TRUE(MustCompleteJob("job_default2", "acme", std::nullopt, kT0 + 30).listed);
  EXPECT_FALSE(MustCompleteJob("job_no", "acme", false, kT0 + 40).listed);
  EXPECT_EQ(SetListingDefault("nobody", true).code(), Code::kNotFound);
  EXPECT_EQ(MarketIds(Market({}).value()), (std::vector<std::string>{"job_default2", "job_yes"}));
}

TEST_P(JobContractTest, OnlyCompletedListedJobsAreOnTheMarketNewestFirst) {
  ASSERT_TRUE(RegisterClient(Client("beta", 100, 2)).has_value());
  MustCompleteJob("job_a", "acme", true, kT0 + 300);
  MustCompleteJob("job_b", "beta", true, kT0 + 100);
  MustCompleteJob("job_c", "beta", false, kT0 + 200);  // Unlisted.
  JobRecord open = NewJob("job_open", "acme", kT0);
  CreateJobRequest open_request = NewJobRequest(open);
  open_request.listed = true;
  ASSERT_TRUE(Create(open_request).has_value());        // Listed but not completed.
  Ongoing("job_failed");
  ASSERT_TRUE(SetListed("job_failed", "acme", true).ok());
  ASSERT_TRUE(Fail("job_failed", 1, "gone", kT0 + 400).ok());
  const MarketPage page = Market({}).value();
  EXPECT_EQ(MarketIds(page), (std::vector<std::string>{"job_a", "job_b"}));
  EXPECT_EQ(page.total_count, 2);
  EXPECT_EQ(MarketIds(Market({.ascending = true}).value()), (std::vector<std::string>{"job_b", "job_a"}));
  EXPECT_EQ(page.jobs[0].job, MustGet("job_a"));
}

TEST_P(JobContractTest, MarketSearchIsACaseInsensitiveSubstringOfIdTypeOrTarget) {
  MustCompleteJob("job_1", "acme", true, kT0 + 10, "TWITTER_POST", "https://x.com/Alice/status/1");
  MustCompleteJob("job_2", "acme", true, kT0 + 20, "HTML", "https://example.org/page");
  MustCompleteJob("job_3", "acme", true, kT0 + 30, "TWITTER_PROFILE", "https://x.com/bob");
  MustCompleteJob("job_4", "acme", false, kT0 + 40, "HTML", "https://x.com/alice/secret");
  EXPECT_EQ(MarketIds(Market({.search = "ALICE"}).value()), std::vector<std::string>{"job_1"});
  EXPECT_EQ(MarketIds(Market({.search = "twitter"}).value()), (std::vector<std::string>{"job_3", "job_1"}));
  EXPECT_EQ(MarketIds(Market({.search = "JOB_2"}).value()), std::vector<std::string>{"job_2"});
  EXPECT_EQ(Market({.search = "x.com"}).value().total_count, 2);
  // LIKE wildcards are plain characters.
  EXPECT_TRUE(Market({.search = "%"}).value().jobs.empty());
  EXPECT_TRUE(Market({.search = "_"}).value().jobs.size() == 3);
}

TEST_P(JobContractTest, MarketPagesWithLimitAndOffsetAndCountsEveryMatch) {
  for (int i = 0; i < 5; ++i) MustCompleteJob("job_" + std::to_string(i), "acme", true, kT0 + 10 * i);
  const MarketPage page = Market({.limit = 2, .offset = 1}).value();
  EXPECT_EQ(MarketIds(page), (std::vector<std::string>{"job_3", "job_2"}));
  EXPECT_EQ(page.total_count, 5);
  EXPECT_TRUE(Market({.limit = 2, .offset = 5}).value().jobs.empty());
  EXPECT_EQ(Market({.limit = 0}).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Market({.limit = 101}).error().code(), Code::kInvalidArgument);
}

TEST_P(JobContractTest, SetJobListedIsTheOwnersAlone) {
  ASSERT_TRUE(RegisterClient(Client("beta", 100, 2)).has_value());
  MustCompleteJob("job_1", "acme", false, kT0 + 10);
  EXPECT_EQ(SetListed("job_1", "beta", true).code(), Code::kPermissionDenied);
  EXPECT_EQ(SetListed("job_none", "acme", true).code(), Code::kNotFound);
  EXPECT_TRUE(Market({}).value().jobs.empty());
  ASSERT_TRUE(SetListed("job_1", "acme", true).ok());
  EXPECT_EQ(MarketIds(Market({}).value()), std::vector<std::string>{"job_1"});
  ASSERT_TRUE(SetListed("job_1", "acme", false).ok());
  EXPECT_TRUE(Market({}).value().jobs.empty());
}

TEST_P(JobContractTest, MarketCountersAddUpAndGetMarketJobReadsAnyJob) {
  MustCompleteJob("job_1", "acme", false, kT0 + 10);
  EXPECT_EQ(MarketJobOf("job_1").value()->views, 0);
  ASSERT_TRUE(Count("job_1", MarketCounter::kView).ok());
  ASSERT_TRUE(Count("job_1", MarketCounter::kView).ok());
  ASSERT_TRUE(Count("job_1", MarketCounter::kDownload).ok());
  const MarketJob j = MarketJobOf("job_1").value().value();
  EXPECT_EQ(j.views, 2);
  EXPECT_EQ(j.downloads, 1);
  EXPECT_EQ(j.job, MustGet("job_1"));
  EXPECT_EQ(Count("job_none", MarketCounter::kView).code(), Code::kNotFound);
  EXPECT_FALSE(MarketJobOf("job_none").value().has_value());
}

TEST_P(JobContractTest, MarketStatsCountListedCompletedJobsByTypeAndRecency) {
  MustCompleteJob("job_1", "acme", true, kT0 + 10, "HTML");
  MustCompleteJob("job_2", "acme", true, kT0 + 20, "TWITTER_POST");
  MustCompleteJob("job_3", "acme", true, kT0 + 30, "HTML");
  MustCompleteJob("job_4", "acme", false, kT0 + 40, "HTML");
  const MarketStats stats = Stats(kT0 + 20).value();
  EXPECT_EQ(stats.total_completed, 3);
  EXPECT_EQ(stats.by_type, (std::vector<std::pair<std::string, int64_t>>{{"HTML", 2}, {"TWITTER_POST", 1}}));
  EXPECT_EQ(stats.recent, 2);
  EXPECT_EQ(Stats(-1).error().code(), Code::kInvalidArgument);
}

TEST_P(JobContractTest, APurchaseIsRecordedOnceAtTheJobsPrice) {
  ASSERT_TRUE(RegisterClient(Client("beta", 100, 2)).has_value());
  const JobRecord job = MustCompleteJob("job_1", "acme", true, kT0 + 10);
  const Result<PurchaseOutcome> first = Buy("beta", "job_1", kT0 + 100);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_TRUE(first->created);
  const Purchase expected{.client_uuid = "beta", .job_id = "job_1", .price_cents = job.price_cents,
                          .purchased_ms = kT0 + 100};
  EXPECT_EQ(first->purchase, expected);
  const Result<PurchaseOutcome> again = Buy("beta", "job_1", kT0 + 200);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->purchase, expected);
  EXPECT_EQ(PurchaseOf("beta", "job_1").value(), std::optional<Purchase>(expected));
  EXPECT_FALSE(PurchaseOf("acme", "job_1").value().has_value());
  // The owner may record one of its own jobs too.
  EXPECT_TRUE(Buy("acme", "job_1", kT0 + 300).value().created);
}

TEST_P(JobContractTest, AnotherClientsUnlistedJobCannotBeBoughtAndLooksMissing) {
  ASSERT_TRUE(RegisterClient(Client("beta", 100, 2)).has_value());
  MustCompleteJob("job_private", "acme", false, kT0 + 10);
  Ongoing("job_open");
  ASSERT_TRUE(SetListed("job_open", "acme", true).ok());
  EXPECT_EQ(Buy("beta", "job_private", kT0 + 100).error().code(), Code::kNotFound);
  EXPECT_EQ(Buy("beta", "job_none", kT0 + 100).error().code(), Code::kNotFound);
  EXPECT_EQ(Buy("beta", "job_open", kT0 + 100).error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Buy("nobody", "job_private", kT0 + 100).error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(PurchaseOf("beta", "job_private").value().has_value());
  EXPECT_FALSE(PurchaseOf("beta", "job_open").value().has_value());
}

}  // namespace
}  // namespace sela::store::testing
