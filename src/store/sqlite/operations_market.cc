// Marketplace operations (see operations.h and store.h): listing flags,
// the listing itself, counters and purchases. Only completed jobs that their
// customer listed are ever returned by a query that does not name a client.
#include <string>
#include <utility>

#include "store/sqlite/operations.h"
#include "store/validate.h"

namespace sela::store::sqlite {
namespace {

constexpr char kSetDefault[] = "UPDATE api_clients SET list_by_default = ?2 WHERE uuid = ?1";
constexpr char kJobOwner[] = "SELECT client_uuid, state, price_cents, listed FROM jobs WHERE job_id = ?1";
constexpr char kSetListed[] = "UPDATE jobs SET listed = ?2 WHERE job_id = ?1";
// ?1 is the lowercased search, '' for all. The WHERE clause repeats the
// partial index jobs_market's, so the index is used.
constexpr char kMarketWhere[] =
    " FROM jobs WHERE listed = 1 AND state = 'completed' AND (?1 = '' OR "
    "instr(lower(job_id), ?1) > 0 OR instr(lower(job_type), ?1) > 0 OR "
    "instr(lower(target), ?1) > 0)";
constexpr char kCounters[] =
    ", COALESCE((SELECT views FROM market_counters AS m WHERE m.job_id = jobs.job_id), 0), "
    "COALESCE((SELECT downloads FROM market_counters AS m WHERE m.job_id = jobs.job_id), 0)";
constexpr char kStatsByType[] =
    "SELECT job_type, count(*) FROM jobs WHERE listed = 1 AND state = 'completed' "
    "GROUP BY job_type ORDER BY job_type";
constexpr char kStatsRecent[] =
    "SELECT count(*) FROM jobs WHERE listed = 1 AND state = 'completed' AND complete_ms >= ?1";
constexpr char kCount[] =
    "INSERT INTO market_counters (job_id, views, downloads) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (job_id) DO UPDATE SET views = views + ?2, downloads = downloads + ?3";
constexpr char kJobExists[] = "SELECT 1 FROM jobs WHERE job_id = ?1";
constexpr char kClientExists[] = "SELECT 1 FROM api_clients WHERE uuid = ?1";
constexpr char kSelectPurchase[] =
    "SELECT client_uuid, job_id, price_cents, purchased_ms FROM purchases "
    "WHERE client_uuid = ?1 AND job_id = ?2";
constexpr char kInsertPurchase[] =
    "INSERT INTO purchases (client_uuid, job_id, price_cents, purchased_ms) VALUES (?1, ?2, ?3, ?4)";

// The job columns then views and downloads.
constexpr int kJobColumnCount = 32;

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

MarketJob ReadMarketJob(const Query& q) {
  return MarketJob{.job = ReadJobRow(q),
                   .views = q.Int64(kJobColumnCount),
                   .downloads = q.Int64(kJobColumnCount + 1)};
}

}  // namespace

Status Operations::SetListingDefault(const std::string& client_uuid, bool listed) {
  RETURN_IF_ERROR(ValidateId(client_uuid, "API client uuid", limits_.jobs.id_bytes_max));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSetDefault));
  RETURN_IF_ERROR(query.BindText(1, client_uuid).BindInt(2, listed ? 1 : 0).Run());
  if (db_.Changes() == 0) return NotFound("no API client with uuid " + client_uuid);
  return Status::Ok();
}

Status Operations::SetJobListed(const std::string& job_id, const std::string& client_uuid,
                                bool listed) {
  RETURN_IF_ERROR(ValidateJobId(job_id));
  RETURN_IF_ERROR(ValidateId(client_uuid, "API client uuid", limits_.jobs.id_bytes_max));
  {
    ASSIGN_OR_RETURN(Query owner, db_.Prepare(kJobOwner));
    ASSIGN_OR_RETURN(const bool row, owner.BindText(1, job_id).Step());
    if (!row) return NotFound("no job with id " + job_id);
    if (owner.Text(0) != client_uuid) return PermissionDenied("job " + job_id + " is not " + client_uuid + "'s");
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSetListed));
  return query.BindText(1, job_id).BindInt(2, listed ? 1 : 0).Run();
}

Result<MarketPage> Operations::ListMarketJobs(const MarketQuery& q) {
  RETURN_IF_ERROR(ValidateMarketQuery(q, limits_.jobs));
  const std::string search = AsciiLower(q.search);
  MarketPage page;
  {
    ASSIGN_OR_RETURN(Query count, db_.Prepare(std::string("SELECT count(*)") + kMarketWhere));
    ASSIGN_OR_RETURN(const bool row, count.BindText(1, search).Step());
    page.total_count = row ? count.Int64(0) : 0;
  }
  const std::string sql = std::string("SELECT ") + kJobColumns + kCounters + kMarketWhere +
                          (q.ascending ? " ORDER BY complete_ms, job_id" : " ORDER BY complete_ms DESC, job_id DESC") +
                          " LIMIT ?2 OFFSET ?3";
  ASSIGN_OR_RETURN(Query query, db_.Prepare(sql));
  query.BindText(1, search).BindInt(2, q.limit);
  query.BindInt(3, static_cast<int64_t>(std::min<uint64_t>(q.offset, INT64_MAX)));
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return page;
    page.jobs.push_back(ReadMarketJob(query));
  }
}

Result<std::optional<MarketJob>> Operations::GetMarketJob(const std::string& job_id) {
  RETURN_IF_ERROR(ValidateJobId(job_id));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(std::string("SELECT ") + kJobColumns + kCounters +
                                            " FROM jobs WHERE job_id = ?1"));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, job_id).Step());
  if (!row) return std::optional<MarketJob>();
  return std::optional<MarketJob>(ReadMarketJob(query));
}

Result<MarketStats> Operations::GetMarketStats(int64_t since_ms) {
  RETURN_IF_ERROR(ValidateNowMs(since_ms));
  MarketStats stats;
  {
    ASSIGN_OR_RETURN(Query by_type, db_.Prepare(kStatsByType));
    while (true) {
      ASSIGN_OR_RETURN(const bool row, by_type.Step());
      if (!row) break;
      stats.by_type.emplace_back(by_type.Text(0), by_type.Int64(1));
      stats.total_completed += by_type.Int64(1);
    }
  }
  ASSIGN_OR_RETURN(Query recent, db_.Prepare(kStatsRecent));
  ASSIGN_OR_RETURN(const bool row, recent.BindInt(1, since_ms).Step());
  stats.recent = row ? recent.Int64(0) : 0;
  return stats;
}

Status Operations::CountMarketEvent(const std::string& job_id, MarketCounter counter) {
  RETURN_IF_ERROR(ValidateJobId(job_id));
  if (counter != MarketCounter::kView && counter != MarketCounter::kDownload) {
    return InvalidArgument("unknown marketplace counter");
  }
  {
    ASSIGN_OR_RETURN(Query exists, db_.Prepare(kJobExists));
    ASSIGN_OR_RETURN(const bool row, exists.BindText(1, job_id).Step());
    if (!row) return NotFound("no job with id " + job_id);
  }
  const bool view = counter == MarketCounter::kView;
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kCount));
  return query.BindText(1, job_id).BindInt(2, view ? 1 : 0).BindInt(3, view ? 0 : 1).Run();
}

Result<std::optional<Purchase>> Operations::GetPurchase(const std::string& client_uuid,
                                                        const std::string& job_id) {
  RETURN_IF_ERROR(ValidateId(client_uuid, "API client uuid", limits_.jobs.id_bytes_max));
  RETURN_IF_ERROR(ValidateJobId(job_id));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectPurchase));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, client_uuid).BindText(2, job_id).Step());
  if (!row) return std::optional<Purchase>();
  return std::optional<Purchase>(Purchase{.client_uuid = query.Text(0),
                                          .job_id = query.Text(1),
                                          .price_cents = query.Int64(2),
                                          .purchased_ms = query.Int64(3)});
}

Result<PurchaseOutcome> Operations::RecordPurchase(const std::string& client_uuid,
                                                   const std::string& job_id, int64_t now_ms) {
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  ASSIGN_OR_RETURN(std::optional<Purchase> earlier, GetPurchase(client_uuid, job_id));
  if (earlier.has_value()) return PurchaseOutcome{std::move(*earlier), false};
  {
    ASSIGN_OR_RETURN(Query client, db_.Prepare(kClientExists));
    ASSIGN_OR_RETURN(const bool row, client.BindText(1, client_uuid).Step());
    if (!row) return Err(InvalidArgument("no API client with uuid " + client_uuid));
  }
  int64_t price_cents = 0;
  {
    ASSIGN_OR_RETURN(Query job, db_.Prepare(kJobOwner));
    ASSIGN_OR_RETURN(const bool row, job.BindText(1, job_id).Step());
    // Another client's unlisted job is answered as a missing one.
    if (!row || (job.Text(0) != client_uuid && job.Int64(3) == 0)) {
      return Err(NotFound("no job with id " + job_id));
    }
    if (job.Text(1) != "completed") return Err(FailedPrecondition("job " + job_id + " is not completed"));
    price_cents = job.Int64(2);
  }
  Purchase purchase{.client_uuid = client_uuid, .job_id = job_id, .price_cents = price_cents,
                    .purchased_ms = now_ms};
  ASSIGN_OR_RETURN(Query insert, db_.Prepare(kInsertPurchase));
  insert.BindText(1, client_uuid).BindText(2, job_id).BindInt(3, price_cents);
  RETURN_IF_ERROR(insert.BindInt(4, now_ms).Run());
  return PurchaseOutcome{std::move(purchase), true};
}

}  // namespace sela::store::sqlite
