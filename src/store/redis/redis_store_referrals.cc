// The Redis store's referrals and distribution runs (ledger.h), each one
// script or one read (scripts_ledger_read.cc; the installation bonus in
// scripts_ledger.cc, since it records transfers).
#include <algorithm>
#include <tuple>
#include <utility>

#include "store/redis/ledger_records.h"
#include "store/redis/records.h"
#include "store/redis/redis_store.h"
#include "store/redis/redis_store_impl.h"
#include "store/validate_ledger.h"

namespace sela::store {

using redis::Command;
using redis::Script;

namespace {

Status Malformed(const char* what) { return Internal(std::string(what) + ": malformed Redis reply"); }

Result<RunRecord> RequireRun(const redisReply* values, const char* what) {
  ASSIGN_OR_RETURN(std::optional<RunRecord> run, redis::DecodeRun(values));
  if (!run) return Err(Internal(std::string(what) + ": the run is missing"));
  return std::move(*run);
}

}  // namespace

void RedisStore::FindNodeByReferralCode(const std::string& code, Callback<std::optional<NodeRecord>> done) {
  OnLoop([this, code, done = std::move(done)]() mutable {
    if (Status st = ValidateReferralCode(code); !st.ok()) return Answer(std::move(done), std::move(st));
    Command c = LedgerScript(Script::kNodeByCode, "");
    c.Arg(keys_.nodes() + "node:").Arg(code);
    Send<std::optional<NodeRecord>>(std::move(done), c.Finish(), Kind::kScript, "FindNodeByReferralCode",
                                    [](const redisReply* r) -> Result<std::optional<NodeRecord>> {
                                      const redisReply* v = redis::Element(r, 1);
                                      if (redis::IsNil(v)) return std::optional<NodeRecord>();
                                      return redis::DecodeNode(v);
                                    });
  });
}

void RedisStore::RegisterReferral(const std::string& referee, const std::string& code, int64_t now_ms,
                                  Callback<ReferralOutcome> done) {
  OnLoop([this, referee, code, now_ms, done = std::move(done)]() mutable {
    Status st = ValidatePrincipal(referee, options_.principal_bytes_max);
    if (st.ok()) st = ValidateReferralCode(code);
    if (st.ok()) st = ValidateNowMs(now_ms);
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = LedgerScript(Script::kRegisterReferral, "");
    c.Arg(keys_.nodes() + "node:").Arg(referee).Arg(code).Int(now_ms).Uint(options_.referral_depth_max);
    Send<ReferralOutcome>(std::move(done), c.Finish(), Kind::kScript, "RegisterReferral",
                          [](const redisReply* r) -> Result<ReferralOutcome> {
                            ASSIGN_OR_RETURN(const int64_t refusal, redis::ReadInt(redis::Element(r, 1), "refusal"));
                            if (refusal < 0 || refusal > static_cast<int64_t>(ReferralRefusal::kChainTooDeep)) {
                              return Err(Malformed("RegisterReferral"));
                            }
                            ReferralOutcome out;
                            out.refusal = static_cast<ReferralRefusal>(refusal);
                            const redisReply* v = redis::Element(r, 2);
                            if (!redis::IsNil(v)) {
                              ASSIGN_OR_RETURN(std::optional<ReferralRecord> record, redis::DecodeReferral(v));
                              if (record) out.record = std::move(*record);
                            }
                            return out;
                          });
  });
}

void RedisStore::GetReferral(const std::string& referee, Callback<std::optional<ReferralRecord>> done) {
  OnLoop([this, referee, done = std::move(done)]() mutable {
    if (Status st = ValidatePrincipal(referee, options_.principal_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c("HMGET");
    c.Arg(keys_.ledger() + "ref:" + referee);
    redis::AppendFieldNames(c, redis::ReferralFields());
    Send<std::optional<ReferralRecord>>(std::move(done), c.Finish(), Kind::kRead, "GetReferral",
                                        [](const redisReply* r) { return redis::DecodeReferral(r); });
  });
}

void RedisStore::ListReferees(const std::string& referrer, uint32_t limit, Callback<std::vector<RefereeEntry>> done) {
  OnLoop([this, referrer, limit, done = std::move(done)]() mutable {
    Status st = ValidatePrincipal(referrer, options_.principal_bytes_max);
    if (st.ok()) st = CheckRows(limit, "ListReferees limit");
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = LedgerScript(Script::kListReferees, "");
    c.Arg(referrer).Uint(limit);
    Send<std::vector<RefereeEntry>>(
        std::move(done), c.Finish(), Kind::kScript, "ListReferees",
        [limit](const redisReply* r) -> Result<std::vector<RefereeEntry>> {
          const redisReply* list = redis::Element(r, 1);
          if (!redis::IsArray(list)) return Err(Malformed("ListReferees"));
          std::vector<RefereeEntry> entries;
          for (size_t i = 0; i < list->elements; ++i) {
            const redisReply* e = list->element[i];
            RefereeEntry entry{.referee = std::string(redis::Text(redis::Element(e, 0))),
                               .via = std::string(redis::Text(redis::Element(e, 2)))};
            ASSIGN_OR_RETURN(const int64_t level, redis::ReadInt(redis::Element(e, 1), "level"));
            entry.level = static_cast<uint32_t>(level);
            ASSIGN_OR_RETURN(entry.signup_ms, redis::ReadInt(redis::Element(e, 3), "signup_ms"));
            ASSIGN_OR_RETURN(const int64_t claimed, redis::ReadInt(redis::Element(e, 4), "installation_claimed"));
            entry.installation_claimed = claimed != 0;
            ASSIGN_OR_RETURN(entry.earned_units, redis::ReadInt(redis::Element(e, 5), "earned_units"));
            entries.push_back(std::move(entry));
          }
          std::sort(entries.begin(), entries.end(), [](const RefereeEntry& a, const RefereeEntry& b) {
            return std::tie(b.signup_ms, a.referee) < std::tie(a.signup_ms, b.referee);
          });
          if (entries.size() > limit) entries.resize(limit);
          return entries;
        });
  });
}

void RedisStore::CountReferees(const std::string& referrer, Callback<ReferralCounts> done) {
  OnLoop([this, referrer, done = std::move(done)]() mutable {
    if (Status st = ValidatePrincipal(referrer, options_.principal_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c = LedgerScript(Script::kCountReferees, "");
    c.Arg(referrer);
    Send<ReferralCounts>(std::move(done), c.Finish(), Kind::kScript, "CountReferees",
                         [](const redisReply* r) -> Result<ReferralCounts> {
                           ReferralCounts n;
                           ASSIGN_OR_RETURN(n.level1, redis::ReadInt(redis::Element(r, 1), "level 1"));
                           ASSIGN_OR_RETURN(n.level2, redis::ReadInt(redis::Element(r, 2), "level 2"));
                           ASSIGN_OR_RETURN(n.level1_pending, redis::ReadInt(redis::Element(r, 3), "level 1 pending"));
                           ASSIGN_OR_RETURN(n.level2_pending, redis::ReadInt(redis::Element(r, 4), "level 2 pending"));
                           return n;
                         });
  });
}

void RedisStore::ClaimInstallationBonuses(const InstallationClaim& claim, const std::string& run_owner,
                                          Callback<std::vector<TransferRecord>> done) {
  OnLoop([this, claim, run_owner, done = std::move(done)]() mutable {
    Status st = CheckRows(claim.limit, "ClaimInstallationBonuses limit");
    if (st.ok()) st = ValidateNowMs(claim.now_ms);
    if (st.ok() && claim.min_uptime_ms < 0) st = InvalidArgument("min_uptime_ms is negative");
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    // What every claim's transfer shares (the principals are stored ones):
    // refused only once a referee qualifies, as SQLite checks each.
    Transfer shape;
    shape.id = "referral:installation:x";
    shape.kind = RewardKind::kReferralInstallation;
    shape.principal = shape.referee = "x";
    shape.amount_units = shape.base_units = claim.amount_units;
    shape.day = claim.day;
    shape.created_ms = claim.now_ms;
    shape.run_id = claim.run_id;
    shape.share_bp = 10'000;
    const Status refusal = ValidateTransfer(shape, Limits());
    Command c = LedgerScript(Script::kClaimInstallations, run_owner);
    c.Int(claim.min_uptime_ms).Int(claim.amount_units).Arg(claim.day).Int(claim.now_ms).Arg(claim.run_id);
    c.Uint(claim.limit).Arg(refusal.ok() ? std::string() : refusal.message());
    Send<std::vector<TransferRecord>>(
        std::move(done), c.Finish(), Kind::kScript, "ClaimInstallationBonuses",
        [shape](const redisReply* r) -> Result<std::vector<TransferRecord>> {
          const redisReply* list = redis::Element(r, 1);
          if (!redis::IsArray(list) || list->elements % 3 != 0) return Err(Malformed("ClaimInstallationBonuses"));
          std::vector<TransferRecord> paid;
          for (size_t i = 0; i < list->elements; i += 3) {
            TransferRecord rec{.transfer = shape};
            rec.transfer.referee = std::string(redis::Text(list->element[i]));
            rec.transfer.id = "referral:installation:" + rec.transfer.referee;
            rec.transfer.principal = std::string(redis::Text(list->element[i + 1]));
            ASSIGN_OR_RETURN(rec.credited_units, redis::ReadInt(list->element[i + 2], "credited_units"));
            paid.push_back(std::move(rec));
          }
          return paid;
        });
  });
}

void RedisStore::ListRefereeWeeks(const std::string& from_day, const std::string& to_day,
                                  const std::string& after_referee, uint32_t limit,
                                  Callback<std::vector<RefereeWeek>> done) {
  OnLoop([this, from_day, to_day, after_referee, limit, done = std::move(done)]() mutable {
    Status st = ValidateDay(from_day, "from_day");
    if (st.ok()) st = ValidateDay(to_day, "to_day");
    if (st.ok()) st = ValidateText(after_referee, "after_referee", options_.principal_bytes_max);
    if (st.ok()) st = CheckRows(limit, "ListRefereeWeeks limit");
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = LedgerScript(Script::kRefereeWeeks, "");
    c.Arg(from_day).Arg(to_day).Arg(after_referee).Uint(limit);
    Send<std::vector<RefereeWeek>>(std::move(done), c.Finish(), Kind::kScript, "ListRefereeWeeks",
                                   [](const redisReply* r) -> Result<std::vector<RefereeWeek>> {
                                     const redisReply* list = redis::Element(r, 1);
                                     if (!redis::IsArray(list)) return Err(Malformed("ListRefereeWeeks"));
                                     std::vector<RefereeWeek> weeks;
                                     for (size_t i = 0; i < list->elements; ++i) {
                                       const redisReply* e = list->element[i];
                                       RefereeWeek w{.referee = std::string(redis::Text(redis::Element(e, 0))),
                                                     .referrer_l1 = std::string(redis::Text(redis::Element(e, 1))),
                                                     .referrer_l2 = std::string(redis::Text(redis::Element(e, 2)))};
                                       ASSIGN_OR_RETURN(w.minutes, redis::ReadInt(redis::Element(e, 3), "minutes"));
                                       ASSIGN_OR_RETURN(w.uptime_units, redis::ReadInt(redis::Element(e, 4), "uptime units"));
                                       weeks.push_back(std::move(w));
                                     }
                                     return weeks;
                                   });
  });
}

// ---- distribution runs -------------------------------------------------------

void RedisStore::StartRun(const RunStart& start, Callback<RunStartResult> done) {
  OnLoop([this, start, done = std::move(done)]() mutable {
    if (Status st = ValidateRunStart(start, Limits()); !st.ok()) return Answer(std::move(done), std::move(st));
    Command c = LedgerScript(Script::kStartRun, "");
    c.Arg(start.run.id).Arg(RunKindName(start.run.kind)).Arg(start.run.trigger).Arg(start.run.day);
    c.Arg(start.run.owner).Int(start.now_ms).Int(start.stale_after_ms).Arg(start.resume_only ? "1" : "0");
    Send<RunStartResult>(std::move(done), c.Finish(), Kind::kScript, "StartRun",
                         [](const redisReply* r) -> Result<RunStartResult> {
                           const std::string_view outcome = redis::Text(redis::Element(r, 1));
                           RunStartResult out;
                           if (outcome == "idle") {
                             out.outcome = RunStartOutcome::kIdle;
                             return out;
                           }
                           if (outcome == "started") {
                             out.outcome = RunStartOutcome::kStarted;
                           } else if (outcome == "resumed") {
                             out.outcome = RunStartOutcome::kResumed;
                           } else if (outcome == "busy") {
                             out.outcome = RunStartOutcome::kBusy;
                           } else {
                             return Err(Malformed("StartRun"));
                           }
                           ASSIGN_OR_RETURN(out.run, RequireRun(redis::Element(r, 2), "StartRun"));
                           return out;
                         });
  });
}

void RedisStore::FinishRun(const RunFinish& finish, Callback<RunRecord> done) {
  OnLoop([this, finish, done = std::move(done)]() mutable {
    Status st = ValidateId(finish.id, "run id", options_.id_bytes_max);
    if (st.ok()) st = ValidateId(finish.owner, "run owner", options_.id_bytes_max);
    if (st.ok()) st = ValidateText(finish.error, "run error", options_.text_bytes_max);
    if (st.ok()) st = ValidateNowMs(finish.now_ms);
    if (st.ok() && finish.state != RunState::kCompleted && finish.state != RunState::kFailed) {
      st = InvalidArgument("a run finishes completed or failed");
    }
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = LedgerScript(Script::kFinishRun, "");
    c.Arg(finish.id).Arg(finish.owner).Arg(RunStateName(finish.state)).Int(finish.now_ms).Arg(finish.error);
    c.Arg(finish.discard_if_empty ? "1" : "0");
    Send<RunRecord>(std::move(done), c.Finish(), Kind::kScript, "FinishRun",
                    [](const redisReply* r) { return RequireRun(redis::Element(r, 1), "FinishRun"); });
  });
}

void RedisStore::GetRun(const std::string& id, Callback<std::optional<RunRecord>> done) {
  OnLoop([this, id, done = std::move(done)]() mutable {
    if (Status st = ValidateId(id, "run id", options_.id_bytes_max); !st.ok()) {
      return Answer(std::move(done), std::move(st));
    }
    Command c("HMGET");
    c.Arg(keys_.ledger() + "run:" + id);
    redis::AppendFieldNames(c, redis::RunFields());
    Send<std::optional<RunRecord>>(std::move(done), c.Finish(), Kind::kRead, "GetRun",
                                   [](const redisReply* r) { return redis::DecodeRun(r); });
  });
}

void RedisStore::ListRuns(uint32_t kinds, uint64_t offset, uint32_t limit, Callback<RunPage> done) {
  OnLoop([this, kinds, offset, limit, done = std::move(done)]() mutable {
    Status st = CheckRows(limit, "ListRuns limit");
    if (st.ok() && offset > static_cast<uint64_t>(INT64_MAX)) st = InvalidArgument("ListRuns offset is too large");
    if (!st.ok()) return Answer(std::move(done), std::move(st));
    Command c = LedgerScript(Script::kListRuns, "");
    c.Uint(kinds).Uint(offset).Uint(limit);
    Send<RunPage>(std::move(done), c.Finish(), Kind::kScript, "ListRuns", [](const redisReply* r) -> Result<RunPage> {
      RunPage page;
      ASSIGN_OR_RETURN(page.total, redis::ReadInt(redis::Element(r, 1), "run count"));
      const redisReply* list = redis::Element(r, 2);
      if (!redis::IsArray(list)) return Err(Malformed("ListRuns"));
      for (size_t i = 0; i < list->elements; ++i) {
        ASSIGN_OR_RETURN(RunRecord run, RequireRun(list->element[i], "ListRuns"));
        page.runs.push_back(std::move(run));
      }
      return page;
    });
  });
}

}  // namespace sela::store
