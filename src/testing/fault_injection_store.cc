#include "testing/fault_injection_store.h"

#include <utility>

namespace sela::testing {

void FaultInjectionStore::FailNth(uint64_t n, Status status) {
  nth_left_ = n;
  nth_status_ = std::move(status);
}

void FaultInjectionStore::FailOp(StoreOp op, Status status, uint32_t times) {
  op_faults_[static_cast<size_t>(op)] = OpFault{std::move(status), times};
}

void FaultInjectionStore::Heal() {
  nth_left_ = 0;
  for (auto& fault : op_faults_) fault.reset();
}

std::optional<Status> FaultInjectionStore::Pick(StoreOp op) {
  ++issued_[static_cast<size_t>(op)];
  std::optional<Status> fail;
  if (nth_left_ > 0 && --nth_left_ == 0) fail = nth_status_;
  if (std::optional<OpFault>& fault = op_faults_[static_cast<size_t>(op)]) {
    if (!fail) fail = fault->status;
    if (fault->left > 0 && --fault->left == 0) fault.reset();
  }
  if (fail) ++refused_;
  return fail;
}

void FaultInjectionStore::ReserveSessionIds(uint64_t count, Callback<uint64_t> done) {
  if (auto fault = Pick(StoreOp::kReserveSessionIds)) return Refuse(std::move(done), std::move(*fault));
  inner_.ReserveSessionIds(count, std::move(done));
}

void FaultInjectionStore::RegisterNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
                                       Callback<store::NodeRecord> done) {
  if (auto fault = Pick(StoreOp::kRegisterNode)) return Refuse(std::move(done), std::move(*fault));
  inner_.RegisterNode(principal, client_id, now_ms, std::move(done));
}

void FaultInjectionStore::RegisterSignedNode(const std::string& principal, const std::string& client_id,
                                             int64_t now_ms, Callback<store::NodeRecord> done) {
  if (auto fault = Pick(StoreOp::kRegisterSignedNode)) return Refuse(std::move(done), std::move(*fault));
  inner_.RegisterSignedNode(principal, client_id, now_ms, std::move(done));
}

void FaultInjectionStore::MarkNodeDisconnected(const std::string& principal, int64_t now_ms, Done done) {
  if (auto fault = Pick(StoreOp::kMarkNodeDisconnected)) return Refuse(std::move(done), std::move(*fault));
  inner_.MarkNodeDisconnected(principal, now_ms, std::move(done));
}

void FaultInjectionStore::UpdateNodeMetrics(const std::string& principal, const store::NodeMetricsUpdate& update,
                                            int64_t now_ms, Done done) {
  if (auto fault = Pick(StoreOp::kUpdateNodeMetrics)) return Refuse(std::move(done), std::move(*fault));
  inner_.UpdateNodeMetrics(principal, update, now_ms, std::move(done));
}

void FaultInjectionStore::SetNodeStatus(const std::string& principal, store::NodeStatus status, int64_t now_ms,
                                        Done done) {
  if (auto fault = Pick(StoreOp::kSetNodeStatus)) return Refuse(std::move(done), std::move(*fault));
  inner_.SetNodeStatus(principal, status, now_ms, std::move(done));
}

void FaultInjectionStore::SetNodeCapacity(const std::string& principal, uint32_t max_concurrent_jobs, Done done) {
  if (auto fault = Pick(StoreOp::kSetNodeCapacity)) return Refuse(std::move(done), std::move(*fault));
  inner_.SetNodeCapacity(principal, max_concurrent_jobs, std::move(done));
}

void FaultInjectionStore::AddUptime(std::vector<store::UptimeDelta> deltas, int64_t now_ms, Done done) {
  if (auto fault = Pick(StoreOp::kAddUptime)) return Refuse(std::move(done), std::move(*fault));
  inner_.AddUptime(std::move(deltas), now_ms, std::move(done));
}

void FaultInjectionStore::GetNode(const std::string& principal, Callback<std::optional<store::NodeRecord>> done) {
  if (auto fault = Pick(StoreOp::kGetNode)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetNode(principal, std::move(done));
}

void FaultInjectionStore::ListNodes(bool only_active, Callback<std::vector<store::NodeRecord>> done) {
  if (auto fault = Pick(StoreOp::kListNodes)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListNodes(only_active, std::move(done));
}

void FaultInjectionStore::ListNodesPage(int64_t after_numeric_id, uint32_t limit,
                                        Callback<std::vector<store::NodeRecord>> done) {
  if (auto fault = Pick(StoreOp::kListNodesPage)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListNodesPage(after_numeric_id, limit, std::move(done));
}

void FaultInjectionStore::ExpireNodeRecords(int64_t disconnected_before_ms, uint32_t limit, Callback<uint32_t> done) {
  if (auto fault = Pick(StoreOp::kExpireNodeRecords)) return Refuse(std::move(done), std::move(*fault));
  inner_.ExpireNodeRecords(disconnected_before_ms, limit, std::move(done));
}

void FaultInjectionStore::GetUptimeDays(const std::string& principal, const std::string& from_day,
                                        const std::string& to_day, Callback<std::vector<store::UptimeDay>> done) {
  if (auto fault = Pick(StoreOp::kGetUptimeDays)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetUptimeDays(principal, from_day, to_day, std::move(done));
}

void FaultInjectionStore::GetTotalUptimeMs(const std::string& principal, Callback<int64_t> done) {
  if (auto fault = Pick(StoreOp::kGetTotalUptimeMs)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetTotalUptimeMs(principal, std::move(done));
}

void FaultInjectionStore::RegisterApiClient(const store::ApiClient& client, Callback<store::ApiClient> done) {
  if (auto fault = Pick(StoreOp::kRegisterApiClient)) return Refuse(std::move(done), std::move(*fault));
  inner_.RegisterApiClient(client, std::move(done));
}

void FaultInjectionStore::GetApiClient(const std::string& uuid, Callback<std::optional<store::ApiClient>> done) {
  if (auto fault = Pick(StoreOp::kGetApiClient)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetApiClient(uuid, std::move(done));
}

void FaultInjectionStore::FindApiClientByKeyHash(const std::string& key_hash,
                                                 Callback<std::optional<store::ApiClient>> done) {
  if (auto fault = Pick(StoreOp::kFindApiClientByKeyHash)) return Refuse(std::move(done), std::move(*fault));
  inner_.FindApiClientByKeyHash(key_hash, std::move(done));
}

void FaultInjectionStore::GetUsageLog(const std::string& uuid, int64_t from_ms, int64_t to_ms,
                                      Callback<std::vector<int64_t>> done) {
  if (auto fault = Pick(StoreOp::kGetUsageLog)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetUsageLog(uuid, from_ms, to_ms, std::move(done));
}

void FaultInjectionStore::CreateJob(const store::CreateJobRequest& request, Callback<store::CreateJobOutcome> done) {
  if (auto fault = Pick(StoreOp::kCreateJob)) return Refuse(std::move(done), std::move(*fault));
  inner_.CreateJob(request, std::move(done));
}

void FaultInjectionStore::LeaseJob(const std::string& job_id, const store::JobLease& lease, int64_t now_ms,
                                   Done done) {
  if (auto fault = Pick(StoreOp::kLeaseJob)) return Refuse(std::move(done), std::move(*fault));
  inner_.LeaseJob(job_id, lease, now_ms, std::move(done));
}

void FaultInjectionStore::CompleteJob(const std::string& job_id, const store::JobCompletion& completion,
                                      int64_t now_ms, Callback<store::CompletedJob> done) {
  if (auto fault = Pick(StoreOp::kCompleteJob)) return Refuse(std::move(done), std::move(*fault));
  inner_.CompleteJob(job_id, completion, now_ms, std::move(done));
}

void FaultInjectionStore::ReleaseJob(const std::string& job_id, uint32_t attempt, int64_t now_ms, Done done) {
  if (auto fault = Pick(StoreOp::kReleaseJob)) return Refuse(std::move(done), std::move(*fault));
  inner_.ReleaseJob(job_id, attempt, now_ms, std::move(done));
}

void FaultInjectionStore::FailJob(const std::string& job_id, const store::JobFailure& failure, int64_t now_ms,
                                  Done done) {
  if (auto fault = Pick(StoreOp::kFailJob)) return Refuse(std::move(done), std::move(*fault));
  inner_.FailJob(job_id, failure, now_ms, std::move(done));
}

void FaultInjectionStore::GetJob(const std::string& job_id, Callback<std::optional<store::JobRecord>> done) {
  if (auto fault = Pick(StoreOp::kGetJob)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetJob(job_id, std::move(done));
}

void FaultInjectionStore::ListClientJobs(const std::string& client_uuid, std::optional<store::JobState> state,
                                         uint32_t limit, Callback<std::vector<store::JobRecord>> done) {
  if (auto fault = Pick(StoreOp::kListClientJobs)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListClientJobs(client_uuid, state, limit, std::move(done));
}

void FaultInjectionStore::ListOpenJobs(Callback<std::vector<store::JobRecord>> done) {
  if (auto fault = Pick(StoreOp::kListOpenJobs)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListOpenJobs(std::move(done));
}

void FaultInjectionStore::GetBlob(const std::string& hash, Callback<std::optional<std::string>> done) {
  if (auto fault = Pick(StoreOp::kGetBlob)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetBlob(hash, std::move(done));
}

void FaultInjectionStore::Ping(Done done) {
  if (auto fault = Pick(StoreOp::kPing)) return Refuse(std::move(done), std::move(*fault));
  inner_.Ping(std::move(done));
}

void FaultInjectionStore::CreateFile(const store::FileRecord& file, const store::FileQuota& quota,
                                     Callback<store::FileRecord> done) {
  if (auto fault = Pick(StoreOp::kCreateFile)) return Refuse(std::move(done), std::move(*fault));
  inner_.CreateFile(file, quota, std::move(done));
}

void FaultInjectionStore::GetFile(const std::string& file_id, Callback<std::optional<store::FileRecord>> done) {
  if (auto fault = Pick(StoreOp::kGetFile)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetFile(file_id, std::move(done));
}

void FaultInjectionStore::GetFileChunk(const std::string& file_id, uint32_t index,
                                       Callback<std::optional<store::FileChunk>> done) {
  if (auto fault = Pick(StoreOp::kGetFileChunk)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetFileChunk(file_id, index, std::move(done));
}

void FaultInjectionStore::PutFileChunk(const std::string& file_id, const std::string& owner,
                                       const store::FileChunk& chunk, int64_t now_ms, int64_t ttl_ms,
                                       Callback<store::ChunkOutcome> done) {
  if (auto fault = Pick(StoreOp::kPutFileChunk)) return Refuse(std::move(done), std::move(*fault));
  inner_.PutFileChunk(file_id, owner, chunk, now_ms, ttl_ms, std::move(done));
}

void FaultInjectionStore::ListFileChunks(const std::string& file_id,
                                         Callback<std::vector<store::FileChunk>> done) {
  if (auto fault = Pick(StoreOp::kListFileChunks)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListFileChunks(file_id, std::move(done));
}

void FaultInjectionStore::CompleteFile(const std::string& file_id, const std::string& owner,
                                       const std::string& sha256, int64_t now_ms,
                                       Callback<store::FileCompleteOutcome> done) {
  if (auto fault = Pick(StoreOp::kCompleteFile)) return Refuse(std::move(done), std::move(*fault));
  inner_.CompleteFile(file_id, owner, sha256, now_ms, std::move(done));
}

void FaultInjectionStore::ListFiles(const store::FileListQuery& query,
                                    Callback<std::vector<store::FileRecord>> done) {
  if (auto fault = Pick(StoreOp::kListFiles)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListFiles(query, std::move(done));
}

void FaultInjectionStore::ListJobFiles(const std::string& job_id, uint32_t limit,
                                       Callback<std::vector<store::FileRecord>> done) {
  if (auto fault = Pick(StoreOp::kListJobFiles)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListJobFiles(job_id, limit, std::move(done));
}

void FaultInjectionStore::DeleteFile(const std::string& file_id, const std::string& owner,
                                     Callback<store::DeletedFile> done) {
  if (auto fault = Pick(StoreOp::kDeleteFile)) return Refuse(std::move(done), std::move(*fault));
  inner_.DeleteFile(file_id, owner, std::move(done));
}

void FaultInjectionStore::ExpireUploads(int64_t now_ms, uint32_t limit,
                                        Callback<std::vector<store::FileRecord>> done) {
  if (auto fault = Pick(StoreOp::kExpireUploads)) return Refuse(std::move(done), std::move(*fault));
  inner_.ExpireUploads(now_ms, limit, std::move(done));
}

void FaultInjectionStore::IsBlobUsed(const std::string& sha256, Callback<bool> done) {
  if (auto fault = Pick(StoreOp::kIsBlobUsed)) return Refuse(std::move(done), std::move(*fault));
  inner_.IsBlobUsed(sha256, std::move(done));
}

void FaultInjectionStore::SetListingDefault(const std::string& client_uuid, bool listed, Done done) {
  if (auto fault = Pick(StoreOp::kSetListingDefault)) return Refuse(std::move(done), std::move(*fault));
  inner_.SetListingDefault(client_uuid, listed, std::move(done));
}

void FaultInjectionStore::SetJobListed(const std::string& job_id, const std::string& client_uuid, bool listed,
                                       Done done) {
  if (auto fault = Pick(StoreOp::kSetJobListed)) return Refuse(std::move(done), std::move(*fault));
  inner_.SetJobListed(job_id, client_uuid, listed, std::move(done));
}

void FaultInjectionStore::ListMarketJobs(const store::MarketQuery& query, Callback<store::MarketPage> done) {
  if (auto fault = Pick(StoreOp::kListMarketJobs)) return Refuse(std::move(done), std::move(*fault));
  inner_.ListMarketJobs(query, std::move(done));
}

void FaultInjectionStore::GetMarketJob(const std::string& job_id,
                                       Callback<std::optional<store::MarketJob>> done) {
  if (auto fault = Pick(StoreOp::kGetMarketJob)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetMarketJob(job_id, std::move(done));
}

void FaultInjectionStore::GetMarketStats(int64_t since_ms, Callback<store::MarketStats> done) {
  if (auto fault = Pick(StoreOp::kGetMarketStats)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetMarketStats(since_ms, std::move(done));
}

void FaultInjectionStore::CountMarketEvent(const std::string& job_id, store::MarketCounter counter, Done done) {
  if (auto fault = Pick(StoreOp::kCountMarketEvent)) return Refuse(std::move(done), std::move(*fault));
  inner_.CountMarketEvent(job_id, counter, std::move(done));
}

void FaultInjectionStore::RecordPurchase(const std::string& client_uuid, const std::string& job_id,
                                         int64_t now_ms, Callback<store::PurchaseOutcome> done) {
  if (auto fault = Pick(StoreOp::kRecordPurchase)) return Refuse(std::move(done), std::move(*fault));
  inner_.RecordPurchase(client_uuid, job_id, now_ms, std::move(done));
}

void FaultInjectionStore::GetPurchase(const std::string& client_uuid, const std::string& job_id,
                                      Callback<std::optional<store::Purchase>> done) {
  if (auto fault = Pick(StoreOp::kGetPurchase)) return Refuse(std::move(done), std::move(*fault));
  inner_.GetPurchase(client_uuid, job_id, std::move(done));
}

}  // namespace sela::testing
