// Distribution runs: at most one running (a partial unique index on
// state = running backs the check made here), taken over when its owner
// stops making progress (see ledger.h RunStart).
#include <utility>

#include "store/sqlite/operations.h"

namespace sela::store::sqlite {
namespace {

#define SELA_RUN_COLUMNS                                                                        \
  "id, kind, state, trigger, day, owner, started_ms, heartbeat_ms, completed_ms, users, "       \
  "total_units, resumes, error"

constexpr char kSelectRunning[] = "SELECT " SELA_RUN_COLUMNS " FROM reward_runs WHERE state = 0";
constexpr char kTakeOver[] =
    "UPDATE reward_runs SET owner = ?2, heartbeat_ms = max(heartbeat_ms, ?3), "
    "resumes = resumes + (owner <> ?2) WHERE id = ?1 AND state = 0 RETURNING " SELA_RUN_COLUMNS;
constexpr char kInsertRun[] =
    "INSERT INTO reward_runs (id, kind, state, trigger, day, owner, started_ms, heartbeat_ms, "
    "completed_ms, users, total_units, resumes, error) "
    "VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?6, 0, 0, 0, 0, '') ON CONFLICT (id) DO NOTHING "
    "RETURNING " SELA_RUN_COLUMNS;
constexpr char kFinishRun[] =
    "UPDATE reward_runs SET state = ?3, completed_ms = ?4, error = ?5 "
    "WHERE id = ?1 AND owner = ?2 AND state = 0 RETURNING " SELA_RUN_COLUMNS;
constexpr char kDeleteRun[] = "DELETE FROM reward_runs WHERE id = ?1";
constexpr char kSelectRun[] = "SELECT " SELA_RUN_COLUMNS " FROM reward_runs WHERE id = ?1";
constexpr char kListRuns[] =
    "SELECT " SELA_RUN_COLUMNS " FROM reward_runs WHERE ((1 << kind) & ?1) <> 0 "
    "ORDER BY seq DESC LIMIT ?2 OFFSET ?3";
constexpr char kCountRuns[] = "SELECT COUNT(*) FROM reward_runs WHERE ((1 << kind) & ?1) <> 0";

#undef SELA_RUN_COLUMNS

RunRecord ReadRun(const Query& q) {
  return RunRecord{.id = q.Text(0),
                   .kind = static_cast<RunKind>(q.Int64(1)),
                   .state = static_cast<RunState>(q.Int64(2)),
                   .trigger = q.Text(3),
                   .day = q.Text(4),
                   .owner = q.Text(5),
                   .started_ms = q.Int64(6),
                   .heartbeat_ms = q.Int64(7),
                   .completed_ms = q.Int64(8),
                   .users = q.Int64(9),
                   .total_units = q.Int64(10),
                   .resumes = q.Int64(11),
                   .error = q.Text(12)};
}

Result<std::optional<RunRecord>> OneRun(Query& query) {
  ASSIGN_OR_RETURN(const bool row, query.Step());
  if (!row) return std::optional<RunRecord>();
  std::optional<RunRecord> run(ReadRun(query));
  RETURN_IF_ERROR(query.Run());  // Finishes a RETURNING statement.
  return run;
}

}  // namespace

Result<RunStartResult> Operations::StartRun(const RunStart& start) {
  RETURN_IF_ERROR(ValidateRunStart(start, limits_.ledger));
  std::optional<RunRecord> running;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectRunning));
    ASSIGN_OR_RETURN(running, OneRun(query));
  }
  if (running.has_value()) {
    const bool own = running->owner == start.run.owner;
    const bool stale = start.now_ms - running->heartbeat_ms >= start.stale_after_ms;
    if (!own && !stale) return RunStartResult{RunStartOutcome::kBusy, std::move(*running)};
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kTakeOver));
    query.BindText(1, running->id).BindText(2, start.run.owner).BindInt(3, start.now_ms);
    ASSIGN_OR_RETURN(std::optional<RunRecord> taken, OneRun(query));
    if (!taken.has_value()) return Err(Internal("running run " + running->id + " vanished"));
    return RunStartResult{RunStartOutcome::kResumed, std::move(*taken)};
  }
  if (start.resume_only) return RunStartResult{RunStartOutcome::kIdle, {}};
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kInsertRun));
  query.BindText(1, start.run.id).BindInt(2, static_cast<int64_t>(start.run.kind));
  query.BindText(3, start.run.trigger).BindText(4, start.run.day).BindText(5, start.run.owner);
  query.BindInt(6, start.now_ms);
  ASSIGN_OR_RETURN(std::optional<RunRecord> inserted, OneRun(query));
  if (!inserted.has_value()) return Err(AlreadyExists("run id " + start.run.id + " is taken"));
  return RunStartResult{RunStartOutcome::kStarted, std::move(*inserted)};
}

Result<RunRecord> Operations::FinishRun(const RunFinish& finish) {
  RETURN_IF_ERROR(ValidateId(finish.id, "run id", limits_.ledger.id_bytes_max));
  RETURN_IF_ERROR(ValidateId(finish.owner, "run owner", limits_.ledger.id_bytes_max));
  RETURN_IF_ERROR(ValidateText(finish.error, "run error", limits_.jobs.text_bytes_max));
  RETURN_IF_ERROR(ValidateNowMs(finish.now_ms));
  if (finish.state != RunState::kCompleted && finish.state != RunState::kFailed) {
    return Err(InvalidArgument("a run finishes completed or failed"));
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kFinishRun));
  query.BindText(1, finish.id).BindText(2, finish.owner).BindInt(3, static_cast<int64_t>(finish.state));
  query.BindInt(4, finish.now_ms).BindText(5, finish.error);
  ASSIGN_OR_RETURN(std::optional<RunRecord> done, OneRun(query));
  if (!done.has_value()) {
    ASSIGN_OR_RETURN(std::optional<RunRecord> run, GetRun(finish.id));
    if (!run.has_value()) return Err(NotFound("no run with id " + finish.id));
    return Err(FailedPrecondition("run " + finish.id + " is " + std::string(RunStateName(run->state)) +
                                  " under owner " + run->owner + ", not running under " + finish.owner));
  }
  if (finish.discard_if_empty && done->users == 0) {
    ASSIGN_OR_RETURN(Query del, db_.Prepare(kDeleteRun));
    RETURN_IF_ERROR(del.BindText(1, finish.id).Run());
  }
  return std::move(*done);
}

Result<std::optional<RunRecord>> Operations::GetRun(const std::string& id) {
  RETURN_IF_ERROR(ValidateId(id, "run id", limits_.ledger.id_bytes_max));
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kSelectRun));
  query.BindText(1, id);
  return OneRun(query);
}

Result<RunPage> Operations::ListRuns(uint32_t kinds, uint64_t offset, uint32_t limit) {
  RETURN_IF_ERROR(CheckRows(limit, "ListRuns limit"));
  if (offset > static_cast<uint64_t>(INT64_MAX)) return Err(InvalidArgument("ListRuns offset is too large"));
  RunPage page;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kCountRuns));
    ASSIGN_OR_RETURN(const bool row, query.BindInt(1, kinds).Step());
    page.total = row ? query.Int64(0) : 0;
  }
  ASSIGN_OR_RETURN(Query query, db_.Prepare(kListRuns));
  query.BindInt(1, kinds).BindInt(2, limit).BindInt(3, static_cast<int64_t>(offset));
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return page;
    page.runs.push_back(ReadRun(query));
  }
}

}  // namespace sela::store::sqlite
