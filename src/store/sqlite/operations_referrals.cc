// Referral relationships and the bonuses that depend on them (see
// ledger.h "Referrals").
#include <algorithm>
#include <tuple>
#include <utility>

#include "store/sqlite/ledger_sql.h"
#include "store/sqlite/operations.h"

namespace sela::store::sqlite {
namespace {

#define SELA_REFERRAL_COLUMNS                                                              \
  "referee, referrer_l1, referrer_l2, code_used, signup_ms, uptime_base_ms, "              \
  "installation_claimed, installation_claimed_ms"

constexpr char kOwnerOfCode[] = "SELECT principal FROM nodes WHERE referral_code = ?1";
constexpr char kNodeExists[] = "SELECT 1 FROM nodes WHERE principal = ?1";
constexpr char kSelectReferral[] =
    "SELECT " SELA_REFERRAL_COLUMNS " FROM referrals WHERE referee = ?1";
constexpr char kReferrerOf[] = "SELECT referrer_l1 FROM referrals WHERE referee = ?1";
constexpr char kInsertReferral[] =
    "INSERT INTO referrals (" SELA_REFERRAL_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0)";
constexpr char kCountReferral[] =
    "UPDATE nodes SET total_referral = total_referral + 1 WHERE principal = ?1";
constexpr char kLevel1[] =
    "SELECT referee, '', signup_ms, installation_claimed FROM referrals WHERE referrer_l1 = ?1 "
    "ORDER BY signup_ms DESC, referee LIMIT ?2";
constexpr char kLevel2[] =
    "SELECT referee, referrer_l1, signup_ms, installation_claimed FROM referrals "
    "WHERE referrer_l2 = ?1 AND referrer_l2 <> '' ORDER BY signup_ms DESC, referee LIMIT ?2";
constexpr char kCountLevel1[] =
    "SELECT COUNT(*), COALESCE(SUM(installation_claimed = 0), 0) FROM referrals WHERE referrer_l1 = ?1";
constexpr char kCountLevel2[] =
    "SELECT COUNT(*), COALESCE(SUM(installation_claimed = 0), 0) FROM referrals "
    "WHERE referrer_l2 = ?1 AND referrer_l2 <> ''";
// Covered by ledger_transfers_by_referee.
constexpr char kEarnedFor[] =
    "SELECT COALESCE(SUM(credited_units), 0) FROM ledger_transfers WHERE principal = ?1 AND referee = ?2 "
    "AND referee <> ''";
constexpr char kUnclaimedPage[] =
    "SELECT referee, referrer_l1, uptime_base_ms FROM referrals INDEXED BY referrals_unclaimed "
    "WHERE installation_claimed = 0 AND referee > ?1 ORDER BY referee LIMIT ?2";
constexpr char kMarkClaimed[] =
    "UPDATE referrals SET installation_claimed = 1, installation_claimed_ms = ?2 "
    "WHERE referee = ?1 AND installation_claimed = 0";
constexpr char kReferralPage[] =
    "SELECT referee, referrer_l1, referrer_l2 FROM referrals WHERE referee > ?1 "
    "ORDER BY referee LIMIT ?2";
constexpr char kWeekMinutes[] =
    "SELECT COALESCE(SUM(online_ms / 60000), 0) FROM uptime_days "
    "WHERE principal = ?1 AND day BETWEEN ?2 AND ?3";
constexpr char kWeekUptimeUnits[] =
    "SELECT COALESCE(SUM(units), 0) FROM ledger_days "
    "WHERE principal = ?1 AND day BETWEEN ?2 AND ?3 AND kind = 1";

#undef SELA_REFERRAL_COLUMNS

constexpr uint32_t kClaimPageRows = 1000;

ReferralRecord ReadReferral(const Query& q) {
  return ReferralRecord{.referee = q.Text(0),
                        .referrer_l1 = q.Text(1),
                        .referrer_l2 = q.Text(2),
                        .code_used = q.Text(3),
                        .signup_ms = q.Int64(4),
                        .uptime_base_ms = q.Int64(5),
                        .installation_claimed = q.Int64(6) != 0,
                        .installation_claimed_ms = q.Int64(7)};
}

// The first column of the query's first row as text, or nullopt.
Result<std::optional<std::string>> FirstText(Query& query) {
  ASSIGN_OR_RETURN(const bool row, query.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(query.Text(0));
}

Status ReadReferees(Query& query, uint32_t level, std::vector<RefereeEntry>& out) {
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return Status::Ok();
    out.push_back(RefereeEntry{.referee = query.Text(0),
                               .level = level,
                               .via = query.Text(1),
                               .signup_ms = query.Int64(2),
                               .installation_claimed = query.Int64(3) != 0});
  }
}

}  // namespace

Result<std::optional<NodeRecord>> Operations::FindNodeByReferralCode(const std::string& code) {
  RETURN_IF_ERROR(ValidateReferralCode(code));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kOwnerOfCode));
  ASSIGN_OR_RETURN(std::optional<std::string> owner, FirstText(query.BindText(1, code)));
  if (!owner.has_value()) return std::optional<NodeRecord>();
  return GetNode(*owner);
}

Result<std::optional<ReferralRecord>> Operations::GetReferral(const std::string& referee) {
  RETURN_IF_ERROR(ValidatePrincipal(referee));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectReferral));
  ASSIGN_OR_RETURN(const bool row, query.BindText(1, referee).Step());
  if (!row) return std::optional<ReferralRecord>();
  return std::optional<ReferralRecord>(ReadReferral(query));
}

Result<ReferralOutcome> Operations::RegisterReferral(const std::string& referee, const std::string& code,
                                                     int64_t now_ms) {
  RETURN_IF_ERROR(ValidatePrincipal(referee));
  RETURN_IF_ERROR(ValidateReferralCode(code));
  RETURN_IF_ERROR(ValidateNowMs(now_ms));
  std::optional<std::string> owner;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kOwnerOfCode));
    ASSIGN_OR_RETURN(owner, FirstText(query.BindText(1, code)));
  }
  if (!owner.has_value()) return ReferralOutcome{ReferralRefusal::kUnknownCode, {}};
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kNodeExists));
    ASSIGN_OR_RETURN(const bool exists, query.BindText(1, referee).Step());
    if (!exists) return ReferralOutcome{ReferralRefusal::kUnknownReferee, {}};
  }
  if (*owner == referee) return ReferralOutcome{ReferralRefusal::kSelfReferral, {}};
  ASSIGN_OR_RETURN(std::optional<ReferralRecord> existing, GetReferral(referee));
  if (existing.has_value()) return ReferralOutcome{ReferralRefusal::kAlreadyReferred, std::move(*existing)};
  // The referee has no referrer, so it is the root of its tree: the new
  // link makes a cycle exactly when the referee is an ancestor of the owner.
  std::string l2;
  std::string ancestor = *owner;
  for (uint32_t depth = 0;; ++depth) {
    if (depth >= limits_.referral_depth_max) return ReferralOutcome{ReferralRefusal::kChainTooDeep, {}};
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kReferrerOf));
    ASSIGN_OR_RETURN(std::optional<std::string> up, FirstText(query.BindText(1, ancestor)));
    if (!up.has_value()) break;
    if (*up == referee) return ReferralOutcome{ReferralRefusal::kCycle, {}};
    if (depth == 0) l2 = *up;
    ancestor = std::move(*up);
  }
  ASSIGN_OR_RETURN(const int64_t base_ms, SumOnlineMs(referee));
  ReferralRecord record{.referee = referee,
                        .referrer_l1 = *owner,
                        .referrer_l2 = l2,
                        .code_used = code,
                        .signup_ms = now_ms,
                        .uptime_base_ms = base_ms};
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kInsertReferral));
    query.BindText(1, referee).BindText(2, record.referrer_l1).BindText(3, l2).BindText(4, code);
    RETURN_IF_ERROR(query.BindInt(5, now_ms).BindInt(6, base_ms).Run());
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kCountReferral));
  RETURN_IF_ERROR(query.BindText(1, *owner).Run());
  return ReferralOutcome{ReferralRefusal::kNone, std::move(record)};
}

Result<std::vector<RefereeEntry>> Operations::ListReferees(const std::string& referrer, uint32_t limit) {
  RETURN_IF_ERROR(ValidatePrincipal(referrer));
  RETURN_IF_ERROR(CheckRows(limit, "ListReferees limit"));
  std::vector<RefereeEntry> entries;
  for (const auto& [sql, level] : {std::pair{kLevel1, 1u}, std::pair{kLevel2, 2u}}) {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(sql));
    RETURN_IF_ERROR(ReadReferees(query.BindText(1, referrer).BindInt(2, limit), level, entries));
  }
  std::sort(entries.begin(), entries.end(), [](const RefereeEntry& a, const RefereeEntry& b) {
    return std::tie(b.signup_ms, a.referee) < std::tie(a.signup_ms, b.referee);
  });
  if (entries.size() > limit) entries.resize(limit);
  for (RefereeEntry& e : entries) {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kEarnedFor));
    ASSIGN_OR_RETURN(const bool row, query.BindText(1, referrer).BindText(2, e.referee).Step());
    e.earned_units = row ? query.Int64(0) : 0;
  }
  return entries;
}

Result<ReferralCounts> Operations::CountReferees(const std::string& referrer) {
  RETURN_IF_ERROR(ValidatePrincipal(referrer));
  ReferralCounts counts;
  for (const auto& [sql, total, pending] :
       {std::tuple{kCountLevel1, &counts.level1, &counts.level1_pending},
        std::tuple{kCountLevel2, &counts.level2, &counts.level2_pending}}) {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(sql));
    ASSIGN_OR_RETURN(const bool row, query.BindText(1, referrer).Step());
    if (row) {
      *total = query.Int64(0);
      *pending = query.Int64(1);
    }
  }
  return counts;
}

Result<std::vector<TransferRecord>> Operations::ClaimInstallationBonuses(const InstallationClaim& claim,
                                                                         const std::string& run_owner) {
  RETURN_IF_ERROR(CheckRows(claim.limit, "ClaimInstallationBonuses limit"));
  RETURN_IF_ERROR(ValidateNowMs(claim.now_ms));
  if (claim.min_uptime_ms < 0) return Err(InvalidArgument("min_uptime_ms is negative"));
  struct Candidate {
    std::string referee, l1;
    int64_t base_ms;
  };
  std::vector<TransferRecord> paid;
  std::string after;
  while (paid.size() < claim.limit) {
    std::vector<Candidate> page;
    {
      ASSIGN_OR_RETURN(Query query, db_.Prepare(kUnclaimedPage));
      query.BindText(1, after).BindInt(2, kClaimPageRows);
      while (true) {
        ASSIGN_OR_RETURN(const bool row, query.Step());
        if (!row) break;
        page.push_back(Candidate{query.Text(0), query.Text(1), query.Int64(2)});
      }
    }
    for (const Candidate& c : page) {
      if (paid.size() >= claim.limit) break;
      ASSIGN_OR_RETURN(const int64_t online_ms, SumOnlineMs(c.referee));
      if (online_ms - c.base_ms < claim.min_uptime_ms) continue;
      Transfer t;
      t.id = "referral:installation:" + c.referee;
      t.kind = RewardKind::kReferralInstallation;
      t.principal = c.l1;
      t.amount_units = claim.amount_units;
      t.day = claim.day;
      t.created_ms = claim.now_ms;
      t.run_id = claim.run_id;
      t.referee = c.referee;
      t.base_units = claim.amount_units;
      t.share_bp = 10'000;
      RETURN_IF_ERROR(ValidateTransfer(t, limits_.ledger));
      ASSIGN_OR_RETURN(const AppliedTransfer applied, ApplyTransfer(t, run_owner));
      ASSIGN_OR_RETURN(Query mark, db_.Prepare(kMarkClaimed));
      RETURN_IF_ERROR(mark.BindText(1, c.referee).BindInt(2, claim.now_ms).Run());
      paid.push_back(TransferRecord{std::move(t), applied.credited_units, 0});
    }
    if (page.size() < kClaimPageRows) break;
    after = page.back().referee;
  }
  return paid;
}

Result<std::vector<RefereeWeek>> Operations::ListRefereeWeeks(const std::string& from_day,
                                                              const std::string& to_day,
                                                              const std::string& after_referee,
                                                              uint32_t limit) {
  RETURN_IF_ERROR(ValidateDay(from_day, "from_day"));
  RETURN_IF_ERROR(ValidateDay(to_day, "to_day"));
  RETURN_IF_ERROR(ValidateText(after_referee, "after_referee", limits_.principal_bytes_max));
  RETURN_IF_ERROR(CheckRows(limit, "ListRefereeWeeks limit"));
  std::vector<RefereeWeek> weeks;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kReferralPage));
    query.BindText(1, after_referee).BindInt(2, limit);
    while (true) {
      ASSIGN_OR_RETURN(const bool row, query.Step());
      if (!row) break;
      weeks.push_back(RefereeWeek{.referee = query.Text(0),
                                  .referrer_l1 = query.Text(1),
                                  .referrer_l2 = query.Text(2)});
    }
  }
  for (RefereeWeek& w : weeks) {
    for (const auto& [sql, out] : {std::pair{kWeekMinutes, &w.minutes}, std::pair{kWeekUptimeUnits, &w.uptime_units}}) {
      ASSIGN_OR_RETURN(Query query, db_.Prepare(sql));
      ASSIGN_OR_RETURN(const bool row, query.BindText(1, w.referee).BindText(2, from_day).BindText(3, to_day).Step());
      *out = row ? query.Int64(0) : 0;
    }
  }
  return weeks;
}

}  // namespace sela::store::sqlite
