// A job's reward and its referral task shares, recorded by CompleteJob in
// the transaction that completes the job (ledger.h JobRewardSpec has the
// rule every backend follows; this is it in SQL).
#include <string>

#include "store/sqlite/operations.h"

namespace sela::store::sqlite {
namespace {

constexpr char kSetReward[] = "UPDATE jobs SET reward_units = ?2 WHERE job_id = ?1";
constexpr char kReferrersOf[] = "SELECT referrer_l1, referrer_l2 FROM referrals WHERE referee = ?1";

// floor(units * bp / 10000), exact for any units and bp <= 10000.
int64_t Share(int64_t units, uint32_t bp) {
  return static_cast<int64_t>(static_cast<__int128>(units) * bp / 10'000);
}

Transfer JobTransfer(const std::string& job_id, const JobCompletion& completion, int64_t now_ms) {
  const JobRewardSpec& spec = completion.reward;
  Transfer t;
  t.id = "job:" + job_id;
  t.kind = RewardKind::kJob;
  t.principal = completion.node_principal;
  t.amount_units = spec.amount_units;
  if (spec.daily_cap_units > 0) {
    t.cap = {TransferCap::Window::kDay, KindBit(RewardKind::kJob), spec.daily_cap_units};
  }
  t.day = spec.day;
  t.created_ms = now_ms;
  t.job_id = job_id;
  return t;
}

Transfer ShareTransfer(const Transfer& job, uint32_t level, const std::string& referrer, int64_t credited,
                       uint32_t bp) {
  Transfer t;
  t.id = "referral:task:" + job.job_id + ":" + std::to_string(level);
  t.kind = level == 1 ? RewardKind::kReferralTask1 : RewardKind::kReferralTask2;
  t.principal = referrer;
  t.amount_units = Share(credited, bp);
  t.day = job.day;
  t.created_ms = job.created_ms;
  t.job_id = job.job_id;
  t.referee = job.principal;
  t.base_units = credited;
  t.share_bp = bp;
  return t;
}

}  // namespace

Result<AppliedTransfer> Operations::ApplyBuiltTransfer(const Transfer& transfer) {
  RETURN_IF_ERROR(ValidateTransfer(transfer, limits_.ledger));
  return ApplyTransfer(transfer, "");
}

Result<CompletedJob> Operations::PayJob(const std::string& job_id, const JobCompletion& completion,
                                        int64_t now_ms) {
  CompletedJob done;
  const JobRewardSpec& spec = completion.reward;
  if (spec.amount_units == 0) return done;
  const Transfer job = JobTransfer(job_id, completion, now_ms);
  ASSIGN_OR_RETURN(const AppliedTransfer paid, ApplyBuiltTransfer(job));
  done.reward_units = paid.credited_units;
  if (done.reward_units == 0) return done;
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kSetReward));
    RETURN_IF_ERROR(query.BindText(1, job_id).BindInt(2, done.reward_units).Run());
  }
  std::string referrers[2];
  {
    ASSIGN_OR_RETURN(Query query, db_.Prepare(kReferrersOf));
    ASSIGN_OR_RETURN(const bool row, query.BindText(1, completion.node_principal).Step());
    if (!row) return done;
    referrers[0] = query.Text(0);
    referrers[1] = query.Text(1);
  }
  const uint32_t bps[2] = {spec.referral_l1_bp, spec.referral_l2_bp};
  int64_t* shares[2] = {&done.referral_l1_units, &done.referral_l2_units};
  for (uint32_t level = 1; level <= 2; ++level) {
    const std::string& referrer = referrers[level - 1];
    const uint32_t bp = bps[level - 1];
    if (referrer.empty() || Share(done.reward_units, bp) == 0) continue;
    ASSIGN_OR_RETURN(const AppliedTransfer share,
                     ApplyBuiltTransfer(ShareTransfer(job, level, referrer, done.reward_units, bp)));
    *shares[level - 1] = share.credited_units;
  }
  return done;
}

}  // namespace sela::store::sqlite
