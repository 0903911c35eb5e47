// Operations: the Store's operations as synchronous SQL against an open
// Database. Each call runs inside a transaction (and savepoint) that the
// batch writer opened, so a call that returns an error may leave partial
// writes behind for the writer to roll back; callers must not commit them.
//
// Thread-safety: used only by the writer thread that owns the Database.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/sqlite/database.h"
#include "store/store.h"

namespace sela::store::sqlite {

struct OperationLimits {
  uint32_t principal_bytes_max = 256;
  uint32_t client_id_bytes_max = 64;
  // Fresh codes drawn before registration gives up; with 36^8 codes a
  // second collision in a row means the random source is broken.
  uint32_t referral_code_attempts_max = 16;
  uint64_t session_ids_per_reserve_max = 1'000'000;
};

class Operations {
 public:
  // `random` is the seeded source of referral codes; it is called only from
  // the thread that runs the operations.
  Operations(Database& db, std::function<uint64_t()> random, OperationLimits limits)
      : db_(db), random_(std::move(random)), limits_(limits) {}

  Result<uint64_t> ReserveSessionIds(uint64_t count);
  Result<NodeRecord> RegisterNode(const std::string& principal, const std::string& client_id,
                                  int64_t now_ms);
  Status MarkNodeDisconnected(const std::string& principal, int64_t now_ms);
  Status UpdateNodeMetrics(const std::string& principal, const NodeMetricsUpdate& update,
                           int64_t now_ms);
  Status SetNodeStatus(const std::string& principal, NodeStatus status, int64_t now_ms);
  Status SetNodeCapacity(const std::string& principal, uint32_t max_concurrent_jobs);
  Status AddUptime(const std::vector<UptimeDelta>& deltas, int64_t now_ms);
  Result<std::optional<NodeRecord>> GetNode(const std::string& principal);
  Result<std::vector<NodeRecord>> ListNodes(bool only_active);
  Result<std::vector<UptimeDay>> GetUptimeDays(const std::string& principal,
                                               const std::string& from_day,
                                               const std::string& to_day);
  Result<int64_t> GetTotalUptimeMs(const std::string& principal);
  Status Ping();

 private:
  // Adds `amount` to the named counter and returns the new value.
  Result<int64_t> AddToCounter(std::string_view name, int64_t amount);
  Result<std::string> FreshReferralCode();
  Result<NodeRecord> InsertNode(const std::string& principal, const std::string& client_id,
                                int64_t now_ms);
  // Runs an UPDATE of one node; NotFound when it matched no row.
  Status UpdateNode(Query& query, const std::string& principal);
  Status ValidatePrincipal(std::string_view principal) const;

  Database& db_;
  std::function<uint64_t()> random_;
  OperationLimits limits_;
};

// Eight characters from [A-Z0-9], taken from the low digits of `random` in
// base 36.
std::string ReferralCodeFrom(uint64_t random);

}  // namespace sela::store::sqlite
