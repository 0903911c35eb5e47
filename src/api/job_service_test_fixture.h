// The JobService test fixture (job_service_test.cc, job_service_rewards_test.cc):
// JobService on a real SqliteStore behind a FaultInjectionStore, with a fake
// clock and a recording node sender.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <string>
#include <vector>

#include "api/api_test_util.h"
#include "api/job_service.h"
#include "api/rpc_routes.h"
#include "auth/api_key.h"
#include "core/points.h"
#include "protocol/v1_encode.h"
#include "protocol/v1_messages.h"
#include "store/sqlite/sqlite_test_util.h"
#include "store/store_contract_test.h"
#include "testing/fake_clock.h"
#include "testing/fault_injection_store.h"
#include "testing/recording_node_sender.h"

namespace sela::api::job_service_testing {

namespace v1 = protocol::v1;
using sela::testing::FaultInjectionStore;
using sela::testing::StoreOp;

constexpr int64_t kLeaseMs = 60'000;
constexpr int64_t kTypicalMs = 20'000;
// Per node and UTC day: two jobs held kTypicalMs (0.24 SP each) and a bit.
constexpr int64_t kDailyCapUnits = 50'000'000;
constexpr char kClient[] = "acme";
constexpr char kKey[] = "key-of-acme";
constexpr char kResult[] = R"([{"text":"hello"}])";

class JobServiceTest : public ::testing::Test {
 protected:
  JobServiceTest() {
    sqlite_ = store::testing::OpenTestSqlite(dir_, posts_);
    faults_ = std::make_unique<FaultInjectionStore>(*sqlite_);
    JobServiceOptions service_options;
    service_options.lease_ms = kLeaseMs;
    service_options.max_attempts = 2;
    service_options.open_jobs_max = 3;
    // Shorter than the lease, so that holding a job past it can be tried.
    service_options.rewards.job_typical_ms["TWITTER_POST"] = kTypicalMs;
    service_options.rewards.job_daily_cap_units = kDailyCapUnits;
    jobs_ = std::make_unique<JobService>(service_options, clock_, *faults_, registry_, metrics_);
    jobs_->Attach(&sender_);
    store::ApiClient client{kClient, auth::Sha256Hex(kKey), 0, 1000, clock_.WallMs()};
    sqlite_->RegisterApiClient(client, [](Result<store::ApiClient> r) { ASSERT_TRUE(r.has_value()); });
    Settle();
  }

  ~JobServiceTest() override {
    Settle();
    jobs_.reset();
    sqlite_.reset();
  }

  // Runs store callbacks (and what they issue) until nothing is left.
  void Settle() {
    do {
      sqlite_->Flush();
    } while (posts_.RunAll() > 0);
  }

  nodes::NodeIndex Online(std::string principal) {
    const nodes::NodeIndex node = registry_.Connect(principal, clock_.WallMs(), clock_.WallMs());
    jobs_->NodeOnline(node);
    Settle();
    return node;
  }

  // Submits a scrapeUrl-like job and waits for it; returns its id.
  std::string Submit(int64_t timeout_ms = 0) {
    Result<store::CreateJobOutcome> outcome = TrySubmit(timeout_ms);
    EXPECT_TRUE(outcome.has_value()) << outcome.error().ToString();
    if (!outcome) return "";
    const std::string id = outcome->job.job_id;
    EXPECT_TRUE(jobs_->Wait(id, [this](const JobOutcome& o) { outcomes_.push_back(o); }));
    return id;
  }

  Result<store::CreateJobOutcome> TrySubmit(int64_t timeout_ms = 0) {
    store::CreateJobRequest request;
    request.job.client_uuid = kClient;
    request.job.job_type = "TWITTER_POST";
    request.job.target = "https://x.com/a/status/1";
    request.job.sync = true;
    std::optional<Result<store::CreateJobOutcome>> got;
    jobs_->Submit(std::move(request), timeout_ms, [&got](Result<store::CreateJobOutcome> r) { got = std::move(r); });
    Settle();
    if (!got) {
      ADD_FAILURE() << "Submit never answered";
      return Err(Internal("no answer"));
    }
    return std::move(*got);
  }

  // Issues a node's result; Settle() delivers its reply to replies_.
  // The session is the node's one session (RecordingNodeSender names it).
  void IssueResult(const std::string& principal, const std::string& job_id, const char* content_json) {
    std::optional<boost::json::value> content;
    if (content_json) content = boost::json::parse(content_json);
    const std::string client_id = sender_.LeaseClientId(registry_.Find(principal));
    const bool has_content = content.has_value();
    jobs_->OnResult(principal, client_id, job_id, std::move(content), [this, job_id, has_content](ResultOutcome o) {
      replies_.push_back(EncodeV1ResultReply(o, job_id, has_content, clock_.WallMs()));
    });
  }
  // The reply to one result, issued and settled.
  std::string ReplyTo(const std::string& principal, const std::string& job_id, const char* content_json) {
    replies_.clear();
    IssueResult(principal, job_id, content_json);
    Settle();
    EXPECT_EQ(replies_.size(), 1u);
    return replies_.empty() ? "" : replies_.back();
  }

  store::JobRecord Stored(const std::string& job_id) {
    std::optional<store::JobRecord> job;
    sqlite_->GetJob(job_id, [&job](Result<std::optional<store::JobRecord>> r) {
      ASSERT_TRUE(r.has_value() && r->has_value());
      job = **r;
    });
    Settle();
    return job.value_or(store::JobRecord{});
  }

  // The principal's balance in the ledger.
  int64_t Balance(const std::string& principal) {
    int64_t balance = -1;
    sqlite_->GetAccount(principal, [&balance](Result<store::AccountSummary> r) {
      ASSERT_TRUE(r.has_value());
      balance = r->balance_units;
    });
    Settle();
    return balance;
  }
  // Registers both as nodes, then referee under the referrer's code.
  void Refer(const std::string& referee, const std::string& referrer) {
    std::string code;
    for (const std::string& p : {referee, referrer}) {
      sqlite_->RegisterNode(p, "1", clock_.WallMs(), [&code](Result<store::NodeRecord> r) {
        ASSERT_TRUE(r.has_value());
        code = r->referral_code;
      });
      Settle();
    }
    sqlite_->RegisterReferral(referee, code, clock_.WallMs(), [](Result<store::ReferralOutcome> r) {
      ASSERT_TRUE(r.has_value());
      ASSERT_EQ(r->refusal, store::ReferralRefusal::kNone);
    });
    Settle();
  }

  uint64_t Count(std::string_view counter) { return metrics_.GetCounter(counter, "").value(); }

  store::testing::TempDir dir_;
  store::testing::PostQueue posts_;
  sela::testing::FakeClock clock_;
  MetricsRegistry metrics_;
  nodes::NodeRegistry registry_;
  sela::testing::RecordingNodeSender sender_;
  std::unique_ptr<store::Store> sqlite_;
  std::unique_ptr<FaultInjectionStore> faults_;
  std::unique_ptr<JobService> jobs_;
  std::vector<JobOutcome> outcomes_;
  std::vector<std::string> replies_;
};

}  // namespace sela::api::job_service_testing
