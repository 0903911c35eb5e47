#include "store/sqlite/operations.h"

#include <limits>
#include <utility>

#include "store/validate.h"

namespace sela::store::sqlite {
namespace {

// The columns of a NodeRecord, in the order ReadNode() reads them.
#define SELA_NODE_COLUMNS                                                                \
  "principal, numeric_id, client_id, referral_code, status, max_concurrent_jobs, "       \
  "download_speed, upload_speed, ping_ms, created_ms, ws_connect_ms, ws_disconnect_ms, " \
  "ping_timestamp_ms, total_referral, signed, registrations"

constexpr char kSelectNode[] = "SELECT " SELA_NODE_COLUMNS " FROM nodes WHERE principal = ?1";
constexpr char kSelectAllNodes[] = "SELECT " SELA_NODE_COLUMNS " FROM nodes ORDER BY numeric_id";
constexpr char kSelectActiveNodes[] =
    "SELECT " SELA_NODE_COLUMNS " FROM nodes WHERE status = 'active' ORDER BY numeric_id";
constexpr char kInsertNode[] = "INSERT INTO nodes (" SELA_NODE_COLUMNS
                               ") VALUES (?1, ?2, ?3, ?4, 'active', ?5, 0, 0, 0, ?6, ?6, 0, ?6, 0, ?7, 1) "
                               "RETURNING " SELA_NODE_COLUMNS;
// ?4: 1 for a signed registration. A legacy one matches no signed row.
constexpr char kReconnectNode[] =
    "UPDATE nodes SET client_id = ?2, status = 'active', ws_connect_ms = ?3, ws_disconnect_ms = 0, "
    "ping_timestamp_ms = ?3, signed = MAX(signed, ?4), registrations = MIN(registrations + 1, 4294967295) "
    "WHERE principal = ?1 AND (signed = 0 OR ?4 = 1) RETURNING " SELA_NODE_COLUMNS;
constexpr char kNodeExists[] = "SELECT 1 FROM nodes WHERE principal = ?1";
constexpr char kSelectNodesPage[] =
    "SELECT " SELA_NODE_COLUMNS " FROM nodes WHERE numeric_id > ?1 ORDER BY numeric_id LIMIT ?2";
constexpr char kExpireNodes[] =
    "DELETE FROM nodes WHERE principal IN (SELECT principal FROM nodes "
    "WHERE registrations = 1 AND signed = 0 AND total_referral = 0 "
    "AND ws_disconnect_ms > 0 AND ws_disconnect_ms < ?1 LIMIT ?2)";
constexpr char kDisconnectNode[] = "UPDATE nodes SET ws_disconnect_ms = ?2 WHERE principal = ?1";
constexpr char kUpdateMetrics[] =
    "UPDATE nodes SET download_speed = COALESCE(?2, download_speed), "
    "upload_speed = COALESCE(?3, upload_speed), ping_ms = COALESCE(?4, ping_ms), "
    "ping_timestamp_ms = ?5 WHERE principal = ?1";
constexpr char kSetStatus[] =
    "UPDATE nodes SET status = ?2, ping_timestamp_ms = ?3 WHERE principal = ?1";
constexpr char kSetCapacity[] = "UPDATE nodes SET max_concurrent_jobs = ?2 WHERE principal = ?1";
constexpr char kReferralCodeTaken[] = "SELECT 1 FROM nodes WHERE referral_code = ?1";
constexpr char kCounterValue[] = "SELECT value FROM counters WHERE name = ?1";
constexpr char kAddToCounter[] = "UPDATE counters SET value = value + ?2 WHERE name = ?1";
constexpr char kAddUptime[] =
    "INSERT INTO uptime_days (principal, day, online_ms, sessions, speed_sum, speed_count, "
    "ping_sum, ping_count, paid_minutes, updated_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9) "
    "ON CONFLICT (principal, day) DO UPDATE SET online_ms = online_ms + excluded.online_ms, "
    "sessions = sessions + excluded.sessions, speed_sum = speed_sum + excluded.speed_sum, "
    "speed_count = speed_count + excluded.speed_count, ping_sum = ping_sum + excluded.ping_sum, "
    "ping_count = ping_count + excluded.ping_count, updated_ms = excluded.updated_ms";
constexpr char kSelectUptimeDays[] =
    "SELECT principal, day, online_ms, sessions, speed_sum, speed_count, ping_sum, ping_count, "
    "paid_minutes, updated_ms FROM uptime_days WHERE principal = ?1 AND day BETWEEN ?2 AND ?3 "
    "ORDER BY day";
constexpr char kTotalUptime[] =
    "SELECT COALESCE(SUM(online_ms), 0) FROM uptime_days WHERE principal = ?1";

#undef SELA_NODE_COLUMNS

constexpr char kActive[] = "active";
constexpr char kInactive[] = "inactive";

const char* StatusText(NodeStatus status) {
  return status == NodeStatus::kActive ? kActive : kInactive;
}

uint32_t ToUint32(int64_t v) { return static_cast<uint32_t>(v); }

NodeRecord ReadNode(const Query& q) {
  NodeRecord node;
  node.principal = q.Text(0);
  node.numeric_id = q.Int64(1);
  node.client_id = q.Text(2);
  node.referral_code = q.Text(3);
  node.status = q.Text(4) == kActive ? NodeStatus::kActive : NodeStatus::kInactive;
  node.max_concurrent_jobs = ToUint32(q.Int64(5));
  node.download_speed = q.Double(6);
  node.upload_speed = q.Double(7);
  node.ping_ms = q.Double(8);
  node.created_ms = q.Int64(9);
  node.ws_connect_ms = q.Int64(10);
  node.ws_disconnect_ms = q.Int64(11);
  node.ping_timestamp_ms = q.Int64(12);
  node.total_referral = ToUint32(q.Int64(13));
  node.signed_identity = q.Int64(14) != 0;
  node.registrations = ToUint32(q.Int64(15));
  return node;
}

UptimeDay ReadUptimeDay(const Query& q) {
  UptimeDay day;
  day.principal = q.Text(0);
  day.day = q.Text(1);
  day.online_ms = q.Int64(2);
  day.sessions = ToUint32(q.Int64(3));
  day.speed_sum = q.Double(4);
  day.speed_count = ToUint32(q.Int64(5));
  day.ping_sum = q.Double(6);
  day.ping_count = ToUint32(q.Int64(7));
  day.paid_minutes = q.Int64(8);
  day.updated_ms = q.Int64(9);
  return day;
}

// Steps a query that must return exactly one row.
Status StepOneRow(Query& query, std::string_view what) {
  ASSIGN_OR_RETURN(const bool row, query.Step());
  if (!row) return Internal(std::string(what) + " returned no row");
  return Status::Ok();
}

Result<std::vector<NodeRecord>> ReadNodes(Query& query) {
  std::vector<NodeRecord> nodes;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return nodes;
    nodes.push_back(ReadNode(query));
  }
}

}  // namespace

Status Operations::ValidatePrincipal(std::string_view principal) const {
  return store::ValidatePrincipal(principal, limits_.principal_bytes_max);
}

Result<int64_t> Operations::AddToCounter(std::string_view name, int64_t amount) {
  int64_t value = 0;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kCounterValue));
    query.BindText(1, name);
    RETURN_IF_ERROR(StepOneRow(query, "counter " + std::string(name)));
    value = query.Int64(0);
  }
  // Checked here because SQLite turns an overflowing integer sum into a REAL.
  if (value > std::numeric_limits<int64_t>::max() - amount) {
    return Err(ResourceExhausted("counter " + std::string(name) + " is exhausted"));
  }
  ASSIGN_OR_RETURN(Query update, db_.Prepare(kAddToCounter));
  RETURN_IF_ERROR(update.BindText(1, name).BindInt(2, amount).Run());
  return value + amount;
}

Result<uint64_t> Operations::ReserveSessionIds(uint64_t count) {
  if (count == 0 || count > limits_.session_ids_per_reserve_max) {
    return Err(InvalidArgument("session id count " + std::to_string(count) + " is outside 1.." +
                               std::to_string(limits_.session_ids_per_reserve_max)));
  }
  const auto amount = static_cast<int64_t>(count);
  ASSIGN_OR_RETURN(const int64_t last, AddToCounter("session_id", amount));
  return static_cast<uint64_t>(last - amount + 1);
}

Result<std::string> Operations::FreshReferralCode() {
  for (uint32_t attempt = 0; attempt < limits_.referral_code_attempts_max; ++attempt) {
    std::string code = ReferralCodeFrom(random_());
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kReferralCodeTaken));
    ASSIGN_OR_RETURN(const bool taken, query.BindText(1, code).Step());
    if (!taken) return code;
  }
  return Err(Internal("no free referral code after " +
                      std::to_string(limits_.referral_code_attempts_max) +
                      " draws; is the random source broken?"));
}

Result<NodeRecord> Operations::InsertNode(const std::string& principal,
                                          const std::string& client_id, int64_t now_ms, bool is_signed) {
  ASSIGN_OR_RETURN(const int64_t numeric_id, AddToCounter("client_id", 1));
  ASSIGN_OR_RETURN(const std::string code, FreshReferralCode());
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kInsertNode));
  query.BindText(1, principal).BindInt(2, numeric_id).BindText(3, client_id).BindText(4, code);
  query.BindInt(5, NodeRecord{}.max_concurrent_jobs).BindInt(6, now_ms).BindInt(7, is_signed ? 1 : 0);
  RETURN_IF_ERROR(StepOneRow(query, "insert node"));
  return ReadNode(query);
}

Result<NodeRecord> Operations::RegisterNode(const std::string& principal,
                                            const std::string& client_id, int64_t now_ms, bool is_signed) {
  RETURN_IF_ERROR(ValidatePrincipal(principal));
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  if (client_id.size() > limits_.client_id_bytes_max) {
    return Err(InvalidArgument("client_id is longer than " +
                               std::to_string(limits_.client_id_bytes_max) + " bytes"));
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kReconnectNode));
  query.BindText(1, principal).BindText(2, client_id).BindInt(3, now_ms).BindInt(4, is_signed ? 1 : 0);
  ASSIGN_OR_RETURN(const bool updated, query.Step());
  if (updated) return ReadNode(query);
  if (!is_signed) {
    ASSIGN_OR_RETURN(Query exists, db_.Prepare(kNodeExists));
    ASSIGN_OR_RETURN(const bool signed_row, exists.BindText(1, principal).Step());
    if (signed_row) {
      return Err(FailedPrecondition("principal " + principal +
                                    " has signed in with protocol v2; v1 registrations of it are refused"));
    }
  }
  return InsertNode(principal, client_id, now_ms, is_signed);
}

Result<std::vector<NodeRecord>> Operations::ListNodesPage(int64_t after_numeric_id, uint32_t limit) {
  if (limit == 0 || limit > limits_.nodes_per_page_max) {
    return Err(InvalidArgument("page limit " + std::to_string(limit) + " is outside 1.." +
                               std::to_string(limits_.nodes_per_page_max)));
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectNodesPage));
  query.BindInt(1, after_numeric_id).BindInt(2, limit);
  return ReadNodes(query);
}

Result<uint32_t> Operations::ExpireNodeRecords(int64_t disconnected_before_ms, uint32_t limit) {
  RETURN_IF_ERROR(ValidateNowMs(disconnected_before_ms));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kExpireNodes));
  query.BindInt(1, disconnected_before_ms).BindInt(2, limit);
  RETURN_IF_ERROR(query.Run());
  return static_cast<uint32_t>(db_.Changes());
}

Status Operations::UpdateNode(Query& query, const std::string& principal) {
  RETURN_IF_ERROR(query.Run());
  if (db_.Changes() == 0) return NotFound("no node with principal " + principal);
  return Status::Ok();
}

Status Operations::MarkNodeDisconnected(const std::string& principal, int64_t now_ms) {
  RETURN_IF_ERROR(ValidatePrincipal(principal));
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kDisconnectNode));
  query.BindText(1, principal).BindInt(2, now_ms);
  return UpdateNode(query, principal);
}

Status Operations::UpdateNodeMetrics(const std::string& principal, const NodeMetricsUpdate& update,
                                     int64_t now_ms) {
  RETURN_IF_ERROR(ValidatePrincipal(principal));
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  RETURN_IF_ERROR(ValidateMetrics(update));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kUpdateMetrics));
  query.BindText(1, principal).BindOptionalDouble(2, update.download_speed);
  query.BindOptionalDouble(3, update.upload_speed).BindOptionalDouble(4, update.ping_ms);
  query.BindInt(5, now_ms);
  return UpdateNode(query, principal);
}

Status Operations::SetNodeStatus(const std::string& principal, NodeStatus status, int64_t now_ms) {
  RETURN_IF_ERROR(ValidatePrincipal(principal));
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  RETURN_IF_ERROR(ValidateStatus(status));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSetStatus));
  query.BindText(1, principal).BindText(2, StatusText(status)).BindInt(3, now_ms);
  return UpdateNode(query, principal);
}

Status Operations::SetNodeCapacity(const std::string& principal, uint32_t max_concurrent_jobs) {
  RETURN_IF_ERROR(ValidatePrincipal(principal));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSetCapacity));
  query.BindText(1, principal).BindInt(2, max_concurrent_jobs);
  return UpdateNode(query, principal);
}

Status Operations::AddUptime(const std::vector<UptimeDelta>& deltas, int64_t now_ms) {
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  // Every delta is checked before any is written, so that a bad one is
  // reported as such rather than as a half-applied batch.
  for (const UptimeDelta& delta : deltas) {
    RETURN_IF_ERROR(ValidateUptimeDelta(delta, limits_.principal_bytes_max));
  }
  for (const UptimeDelta& d : deltas) {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kAddUptime));
    query.BindText(1, d.principal).BindText(2, d.day).BindInt(3, d.online_ms);
    query.BindInt(4, d.sessions).BindDouble(5, d.speed_sum).BindInt(6, d.speed_count);
    query.BindDouble(7, d.ping_sum).BindInt(8, d.ping_count).BindInt(9, now_ms);
    RETURN_IF_ERROR(query.Run());
  }
  return Status::Ok();
}

Result<std::optional<NodeRecord>> Operations::GetNode(const std::string& principal) {
  RETURN_IF_ERROR(ValidatePrincipal(principal));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectNode));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, principal).Step());
  if (!row) return std::optional<NodeRecord>();
  return std::optional<NodeRecord>(ReadNode(query));
}

Result<std::vector<NodeRecord>> Operations::ListNodes(bool only_active) {
  ASSIGN_OR_RETURN(Query query, db_.Prepare(only_active ? kSelectActiveNodes : kSelectAllNodes));
  return ReadNodes(query);
}

Result<std::vector<UptimeDay>> Operations::GetUptimeDays(const std::string& principal,
                                                         const std::string& from_day,
                                                         const std::string& to_day) {
  RETURN_IF_ERROR(ValidatePrincipal(principal));
  RETURN_IF_ERROR(ValidateDay(from_day, "from_day"));
  RETURN_IF_ERROR(ValidateDay(to_day, "to_day"));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectUptimeDays));
  query.BindText(1, principal).BindText(2, from_day).BindText(3, to_day);
  std::vector<UptimeDay> days;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return days;
    days.push_back(ReadUptimeDay(query));
  }
}

Result<int64_t> Operations::GetTotalUptimeMs(const std::string& principal) {
  RETURN_IF_ERROR(ValidatePrincipal(principal));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kTotalUptime));
  query.BindText(1, principal);
  RETURN_IF_ERROR(StepOneRow(query, "total uptime"));
  return query.Int64(0);
}

Status Operations::Ping() { return db_.Run("SELECT 1"); }

}  // namespace sela::store::sqlite
