// The in-memory store of the node route tests (node_routes_test.cc): it
// answers at once, holds what a test puts in it, and fails every operation
// with `fail` when set. Operations the routes never call answer Internal.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/api_test_util.h"
#include "store/store.h"

namespace sela::api::node_test {

inline store::NodeRecord Node(std::string principal, store::NodeStatus status = store::NodeStatus::kActive,
                       uint32_t max_concurrent_jobs = 10, std::string client_id = "") {
  store::NodeRecord r;
  // Numeric ids in the order records are made, from 1 (as the store's counter).
  static int64_t next_numeric_id = 0;
  r.principal = std::move(principal);
  r.numeric_id = ++next_numeric_id;
  r.status = status;
  r.max_concurrent_jobs = max_concurrent_jobs;
  r.client_id = std::move(client_id);
  return r;
}

// The entries of `all` whose principal is among `ps` (reads by principal).
template <typename T>
inline std::vector<T> Only(std::vector<T> all, const std::vector<std::string>& ps) {
  std::erase_if(all, [&](const T& e) { return std::ranges::find(ps, e.principal) == ps.end(); });
  return all;
}

// Answers at once; `fail` makes every operation fail with that status.
class FakeStore final : public store::Store {
 public:
  std::map<std::string, store::NodeRecord> nodes;
  std::vector<store::UptimeDay> days;
  std::optional<Status> fail;

  void ReserveSessionIds(uint64_t, Callback<uint64_t> done) override { done(1); }
  void RegisterNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
                    Callback<store::NodeRecord> done) override {
    store::NodeRecord& r = nodes[principal];
    r.principal = principal;
    r.client_id = client_id;
    r.status = store::NodeStatus::kActive;
    r.ws_connect_ms = now_ms;
    done(r);
  }
  void RegisterSignedNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
                          Callback<store::NodeRecord> done) override {
    RegisterNode(principal, client_id, now_ms, [&](Result<store::NodeRecord> r) {
      nodes[principal].signed_identity = true;
      r->signed_identity = true;
      done(std::move(r));
    });
  }
  void MarkNodeDisconnected(const std::string&, int64_t, Done done) override { done(Status()); }
  void UpdateNodeMetrics(const std::string&, const store::NodeMetricsUpdate&, int64_t, Done done) override {
    done(Status());
  }
  void SetNodeStatus(const std::string& p, store::NodeStatus status, int64_t, Done done) override {
    nodes[p].status = status;
    done(Status());
  }
  void SetNodeCapacity(const std::string& p, uint32_t max, Done done) override {
    if (fail) return done(*fail);
    auto it = nodes.find(p);
    if (it == nodes.end()) return done(NotFound("no node"));
    it->second.max_concurrent_jobs = max;
    done(Status());
  }
  void AddUptime(std::vector<store::UptimeDelta>, int64_t, Done done) override { done(Status()); }
  void GetNode(const std::string& p, Callback<std::optional<store::NodeRecord>> done) override {
    if (fail) return done(Err(*fail));
    auto it = nodes.find(p);
    done(it == nodes.end() ? std::optional<store::NodeRecord>() : it->second);
  }
  std::vector<store::Balance> balances;
  std::string balances_day;
  std::vector<store::SettledTotal> settled;
  void ListNodes(bool, Callback<std::vector<store::NodeRecord>> done) override {
    if (fail) return done(Err(*fail));
    std::vector<store::NodeRecord> out;
    for (auto& [k, v] : nodes) out.push_back(v);
    done(out);
  }
  void ListNodesPage(int64_t after, uint32_t limit, Callback<std::vector<store::NodeRecord>> done) override {
    if (fail) return done(Err(*fail));
    std::vector<store::NodeRecord> out;
    for (auto& [k, v] : nodes) {
      if (v.numeric_id > after) out.push_back(v);
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.numeric_id < b.numeric_id; });
    if (out.size() > limit) out.resize(limit);
    done(out);
  }
  void ExpireNodeRecords(int64_t, uint32_t, Callback<uint32_t> done) override { done(0u); }
  void GetUptimeDays(const std::string& p, const std::string& from, const std::string& to,
                     Callback<std::vector<store::UptimeDay>> done) override {
    if (fail) return done(Err(*fail));
    std::vector<store::UptimeDay> out;
    for (auto& d : days) {
      if (d.principal == p && d.day >= from && d.day <= to) out.push_back(d);
    }
    done(out);
  }
  void GetTotalUptimeMs(const std::string& p, Callback<int64_t> done) override {
    if (fail) return done(Err(*fail));
    int64_t sum = 0;
    for (auto& d : days) {
      if (d.principal == p) sum += d.online_ms;
    }
    done(sum);
  }
  // API clients and jobs: not used by these tests.
  void RegisterApiClient(const store::ApiClient&, Callback<store::ApiClient> done) override {
    done(Err(NotUsed()));
  }
  void GetApiClient(const std::string&, Callback<std::optional<store::ApiClient>> done) override {
    done(Err(NotUsed()));
  }
  void FindApiClientByKeyHash(const std::string&,
                              Callback<std::optional<store::ApiClient>> done) override {
    done(Err(NotUsed()));
  }
  void GetUsageLog(const std::string&, int64_t, int64_t,
                   Callback<std::vector<int64_t>> done) override {
    done(Err(NotUsed()));
  }
  void CreateJob(const store::CreateJobRequest&,
                 Callback<store::CreateJobOutcome> done) override {
    done(Err(NotUsed()));
  }
  void LeaseJob(const std::string&, const store::JobLease&, int64_t, Done done) override {
    done(NotUsed());
  }
  void CompleteJob(const std::string&, const store::JobCompletion&, int64_t,
                   Callback<store::CompletedJob> done) override {
    done(Err(NotUsed()));
  }
  void ReleaseJob(const std::string&, uint32_t, int64_t, Done done) override { done(NotUsed()); }
  void FailJob(const std::string&, const store::JobFailure&, int64_t, Done done) override {
    done(NotUsed());
  }
  void GetJob(const std::string&, Callback<std::optional<store::JobRecord>> done) override {
    done(Err(NotUsed()));
  }
  void ListClientJobs(const std::string&, std::optional<store::JobState>, uint32_t,
                      Callback<std::vector<store::JobRecord>> done) override {
    done(Err(NotUsed()));
  }
  void ListOpenJobs(Callback<std::vector<store::JobRecord>> done) override {
    done(Err(NotUsed()));
  }
  void GetBlob(const std::string&, Callback<std::optional<std::string>> done) override {
    done(Err(NotUsed()));
  }
  // Files and marketplace: not used by these tests.
  void CreateFile(const store::FileRecord&, const store::FileQuota&, Callback<store::FileRecord> done) override {
    done(Err(NotUsed()));
  }
  void GetFile(const std::string&, Callback<std::optional<store::FileRecord>> done) override { done(Err(NotUsed())); }
  void GetFileChunk(const std::string&, uint32_t, Callback<std::optional<store::FileChunk>> done) override {
    done(Err(NotUsed()));
  }
  void PutFileChunk(const std::string&, const std::string&, const store::FileChunk&, int64_t, int64_t,
                    Callback<store::ChunkOutcome> done) override {
    done(Err(NotUsed()));
  }
  void ListFileChunks(const std::string&, Callback<std::vector<store::FileChunk>> done) override {
    done(Err(NotUsed()));
  }
  void CompleteFile(const std::string&, const std::string&, const std::string&, int64_t,
                    Callback<store::FileCompleteOutcome> done) override {
    done(Err(NotUsed()));
  }
  void ListFiles(const store::FileListQuery&, Callback<std::vector<store::FileRecord>> done) override {
    done(Err(NotUsed()));
  }
  void ListJobFiles(const std::string&, uint32_t, Callback<std::vector<store::FileRecord>> done) override {
    done(Err(NotUsed()));
  }
  void DeleteFile(const std::string&, const std::string&, Callback<store::DeletedFile> done) override {
    done(Err(NotUsed()));
  }
  void ExpireUploads(int64_t, uint32_t, Callback<std::vector<store::FileRecord>> done) override {
    done(Err(NotUsed()));
  }
  void IsBlobUsed(const std::string&, Callback<bool> done) override { done(Err(NotUsed())); }
  void SetListingDefault(const std::string&, bool, Done done) override { done(NotUsed()); }
  void SetJobListed(const std::string&, const std::string&, bool, Done done) override { done(NotUsed()); }
  void ListMarketJobs(const store::MarketQuery&, Callback<store::MarketPage> done) override { done(Err(NotUsed())); }
  void GetMarketJob(const std::string&, Callback<std::optional<store::MarketJob>> done) override {
    done(Err(NotUsed()));
  }
  void GetMarketStats(int64_t, Callback<store::MarketStats> done) override { done(Err(NotUsed())); }
  void CountMarketEvent(const std::string&, store::MarketCounter, Done done) override { done(NotUsed()); }
  void RecordPurchase(const std::string&, const std::string&, int64_t,
                      Callback<store::PurchaseOutcome> done) override {
    done(Err(NotUsed()));
  }
  void GetPurchase(const std::string&, const std::string&, Callback<std::optional<store::Purchase>> done) override {
    done(Err(NotUsed()));
  }
  // The rewards ledger: not used by these tests.
  void ApplyTransfers(std::vector<store::Transfer>, const std::string&, Callback<std::vector<store::AppliedTransfer>> done) override { done(Err(NotUsed())); }
  void PayUptime(std::vector<store::UptimePayment>, const std::string&, Callback<std::vector<store::PaymentOutcome>> done) override { done(Err(NotUsed())); }
  void ListUnpaidUptime(const std::string&, const std::string&, uint32_t, Callback<std::vector<store::UptimeDay>> done) override { done(Err(NotUsed())); }
  void CountUptimeDays(Callback<store::UptimeDayCounts> done) override { done(Err(NotUsed())); }
  void GetAccount(const std::string&, Callback<store::AccountSummary> done) override { done(Err(NotUsed())); }
  void GetEarningsDays(const std::string&, const std::string&, const std::string&, Callback<std::vector<store::EarningsDay>> done) override { done(Err(NotUsed())); }
  void ListTransfers(const store::TransferQuery&, Callback<store::TransferPage> done) override { done(Err(NotUsed())); }
  void GetTransfer(const std::string&, Callback<std::optional<store::TransferRecord>> done) override { done(Err(NotUsed())); }
  void ListBalances(const std::string& day, Callback<std::vector<store::Balance>> done) override {
    if (fail) return done(Err(*fail));
    balances_day = day;
    done(balances);
  }
  void ListBalancesOf(std::vector<std::string> ps, const std::string& day, Callback<std::vector<store::Balance>> done) override {
    if (fail) return done(Err(*fail));
    balances_day = day;
    done(Only(balances, ps));
  }
  void AuditLedger(Callback<store::LedgerAudit> done) override { done(Err(NotUsed())); }
  void FindNodeByReferralCode(const std::string&, Callback<std::optional<store::NodeRecord>> done) override { done(Err(NotUsed())); }
  void RegisterReferral(const std::string&, const std::string&, int64_t, Callback<store::ReferralOutcome> done) override { done(Err(NotUsed())); }
  void GetReferral(const std::string&, Callback<std::optional<store::ReferralRecord>> done) override { done(Err(NotUsed())); }
  void ListReferees(const std::string&, uint32_t, Callback<std::vector<store::RefereeEntry>> done) override { done(Err(NotUsed())); }
  void CountReferees(const std::string&, Callback<store::ReferralCounts> done) override { done(Err(NotUsed())); }
  void ClaimInstallationBonuses(const store::InstallationClaim&, const std::string&, Callback<std::vector<store::TransferRecord>> done) override { done(Err(NotUsed())); }
  void ListRefereeWeeks(const std::string&, const std::string&, const std::string&, uint32_t, Callback<std::vector<store::RefereeWeek>> done) override { done(Err(NotUsed())); }
  void StartRun(const store::RunStart&, Callback<store::RunStartResult> done) override { done(Err(NotUsed())); }
  void FinishRun(const store::RunFinish&, Callback<store::RunRecord> done) override { done(Err(NotUsed())); }
  void GetRun(const std::string&, Callback<std::optional<store::RunRecord>> done) override { done(Err(NotUsed())); }
  void ListRuns(uint32_t, uint64_t, uint32_t, Callback<store::RunPage> done) override { done(Err(NotUsed())); }
  void CreateSettlements(const store::SettlementBatch&, Callback<store::SettlementBatchResult> done) override { done(Err(NotUsed())); }
  void ListDueSettlements(int64_t, uint32_t, Callback<std::vector<store::SettlementRecord>> done) override { done(Err(NotUsed())); }
  void UpdateSettlement(const store::SettlementRecord&, Callback<store::SettlementRecord> done) override { done(Err(NotUsed())); }
  void GetSettlement(const std::string&, Callback<std::optional<store::SettlementRecord>> done) override { done(Err(NotUsed())); }
  void ListSettlements(const store::SettlementQuery&, Callback<std::vector<store::SettlementRecord>> done) override { done(Err(NotUsed())); }
  void GetSettlementSummary(Callback<store::SettlementSummary> done) override { done(Err(NotUsed())); }
  void GetSettledTotal(const std::string&, Callback<store::SettledTotal> done) override { done(Err(NotUsed())); }
  void EnqueueSync(const store::SyncRecord&, Callback<bool> done) override { done(Err(NotUsed())); }
  void ListDueSyncs(int64_t, uint32_t, Callback<std::vector<store::SyncRecord>> done) override { done(Err(NotUsed())); }
  void UpdateSync(const store::SyncRecord&, Done done) override { done(NotUsed()); }
  void GetSyncSummary(Callback<store::SyncSummary> done) override { done(Err(NotUsed())); }
  void ListSyncs(const store::SyncQuery&, Callback<std::vector<store::SyncRecord>> done) override {
    done(Err(NotUsed()));
  }
  void BackfillSyncs(const std::string&, uint32_t, int64_t, Callback<store::SyncBackfillPage> done) override {
    done(Err(NotUsed()));
  }
  void ListSettledTotals(Callback<std::vector<store::SettledTotal>> done) override {
    if (fail) return done(Err(*fail));
    done(settled);
  }
  void ListSettledTotalsOf(std::vector<std::string> ps, Callback<std::vector<store::SettledTotal>> done) override {
    if (fail) return done(Err(*fail));
    done(Only(settled, ps));
  }
  void Ping(Done done) override { done(Status()); }
  void Flush() override {}

 private:
  static Status NotUsed() { return Internal("not used by node route tests"); }
};

}  // namespace sela::api::node_test
