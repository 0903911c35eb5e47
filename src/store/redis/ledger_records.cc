#include "store/redis/ledger_records.h"

#include <array>
#include <charconv>

namespace sela::store::redis {
namespace {

constexpr std::array<std::string_view, 19> kTransferFields = {
    "id",        "kind",       "principal", "amount_units", "cap_window",  "cap_kinds", "cap_units",
    "day",       "created_ms", "run_id",    "job_id",       "referee",     "minutes",   "tier",
    "base_units", "bonus_units", "share_bp", "credited_units", "seq"};
constexpr std::array<std::string_view, 13> kRunFields = {
    "id",           "kind",  "state",       "trigger", "day",     "owner", "started_ms",
    "heartbeat_ms", "completed_ms", "users", "total_units", "resumes", "error"};
constexpr std::array<std::string_view, 8> kReferralFields = {
    "referee",   "referrer_l1",    "referrer_l2",          "code_used",
    "signup_ms", "uptime_base_ms", "installation_claimed", "installation_claimed_ms"};
constexpr std::array<std::string_view, 17> kDayTotalFields = {"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "n0",
                                                              "n1", "n2", "n3", "n4", "n5", "n6", "n7", "m"};
constexpr std::array<std::string_view, 21> kAccountFields = {
    "balance_units", "credited_units", "transfers", "updated_ms", "u0", "u1", "u2", "u3", "u4", "u5", "u6",
    "u7",            "n0",             "n1",        "n2",         "n3", "n4", "n5", "n6", "n7", "m"};

std::string Text(const redisReply* r, size_t i) { return std::string(redis::Text(Element(r, i))); }

template <typename T>
Status ReadAs(const redisReply* values, size_t i, T& out, std::string_view what) {
  ASSIGN_OR_RETURN(const int64_t v, ReadInt(Element(values, i), what));
  out = static_cast<T>(v);
  return Status::Ok();
}

Status CheckArray(const redisReply* values, size_t n, std::string_view what) {
  if (!IsArray(values) || values->elements != n) {
    return Internal("Redis returned a malformed " + std::string(what) + " record");
  }
  return Status::Ok();
}

template <typename E>
Result<E> ByName(std::string_view name, std::string_view (*name_of)(E), size_t count, std::string_view what) {
  for (size_t i = 0; i < count; ++i) {
    if (name_of(static_cast<E>(i)) == name) return static_cast<E>(i);
  }
  return Err(Internal("stored " + std::string(what) + " \"" + std::string(name) + "\" is unknown"));
}

}  // namespace

std::span<const std::string_view> TransferFields() { return kTransferFields; }
std::span<const std::string_view> RunFields() { return kRunFields; }
std::span<const std::string_view> ReferralFields() { return kReferralFields; }
std::span<const std::string_view> DayTotalFields() { return kDayTotalFields; }
std::span<const std::string_view> AccountFields() { return kAccountFields; }

void AppendTransfer(Command& c, const Transfer& t) {
  c.Arg(t.id).Int(static_cast<int64_t>(t.kind)).Arg(t.principal).Int(t.amount_units);
  c.Int(static_cast<int64_t>(t.cap.window)).Uint(t.cap.kinds).Int(t.cap.limit_units).Arg(t.day).Int(t.created_ms);
  c.Arg(t.run_id).Arg(t.job_id).Arg(t.referee).Int(t.minutes).Uint(t.tier).Int(t.base_units).Int(t.bonus_units);
  c.Uint(t.share_bp);
}

Result<int64_t> ReadInt(const redisReply* r, std::string_view what) {
  if (IsNil(r)) return int64_t{0};
  if (IsInteger(r)) return static_cast<int64_t>(r->integer);
  const std::string_view text = redis::Text(r);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return Err(ResourceExhausted(std::string(what) + " " + std::string(text) + " is beyond int64"));
  }
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Err(Internal("stored " + std::string(what) + " holds \"" + std::string(text) + "\", not a whole number"));
  }
  return value;
}

Result<std::optional<TransferRecord>> DecodeTransfer(const redisReply* v) {
  RETURN_IF_ERROR(CheckArray(v, kTransferFields.size(), "transfer"));
  if (IsNil(Element(v, 0))) return std::optional<TransferRecord>();
  TransferRecord r;
  Transfer& t = r.transfer;
  t.id = Text(v, 0);
  t.principal = Text(v, 2);
  t.day = Text(v, 7);
  t.run_id = Text(v, 9);
  t.job_id = Text(v, 10);
  t.referee = Text(v, 11);
  RETURN_IF_ERROR(ReadAs(v, 1, t.kind, "transfer kind"));
  RETURN_IF_ERROR(ReadAs(v, 3, t.amount_units, "amount_units"));
  RETURN_IF_ERROR(ReadAs(v, 4, t.cap.window, "cap_window"));
  RETURN_IF_ERROR(ReadAs(v, 5, t.cap.kinds, "cap_kinds"));
  RETURN_IF_ERROR(ReadAs(v, 6, t.cap.limit_units, "cap_units"));
  RETURN_IF_ERROR(ReadAs(v, 8, t.created_ms, "created_ms"));
  RETURN_IF_ERROR(ReadAs(v, 12, t.minutes, "minutes"));
  RETURN_IF_ERROR(ReadAs(v, 13, t.tier, "tier"));
  RETURN_IF_ERROR(ReadAs(v, 14, t.base_units, "base_units"));
  RETURN_IF_ERROR(ReadAs(v, 15, t.bonus_units, "bonus_units"));
  RETURN_IF_ERROR(ReadAs(v, 16, t.share_bp, "share_bp"));
  RETURN_IF_ERROR(ReadAs(v, 17, r.credited_units, "credited_units"));
  RETURN_IF_ERROR(ReadAs(v, 18, r.seq, "seq"));
  return std::optional<TransferRecord>(std::move(r));
}

Result<std::optional<RunRecord>> DecodeRun(const redisReply* v) {
  RETURN_IF_ERROR(CheckArray(v, kRunFields.size(), "run"));
  if (IsNil(Element(v, 0))) return std::optional<RunRecord>();
  RunRecord r;
  r.id = Text(v, 0);
  ASSIGN_OR_RETURN(r.kind, ByName<RunKind>(redis::Text(Element(v, 1)), RunKindName, 2, "run kind"));
  ASSIGN_OR_RETURN(r.state, ByName<RunState>(redis::Text(Element(v, 2)), RunStateName, 3, "run state"));
  r.trigger = Text(v, 3);
  r.day = Text(v, 4);
  r.owner = Text(v, 5);
  RETURN_IF_ERROR(ReadAs(v, 6, r.started_ms, "started_ms"));
  RETURN_IF_ERROR(ReadAs(v, 7, r.heartbeat_ms, "heartbeat_ms"));
  RETURN_IF_ERROR(ReadAs(v, 8, r.completed_ms, "completed_ms"));
  RETURN_IF_ERROR(ReadAs(v, 9, r.users, "users"));
  RETURN_IF_ERROR(ReadAs(v, 10, r.total_units, "total_units"));
  RETURN_IF_ERROR(ReadAs(v, 11, r.resumes, "resumes"));
  r.error = Text(v, 12);
  return std::optional<RunRecord>(std::move(r));
}

Result<std::optional<ReferralRecord>> DecodeReferral(const redisReply* v) {
  RETURN_IF_ERROR(CheckArray(v, kReferralFields.size(), "referral"));
  if (IsNil(Element(v, 0))) return std::optional<ReferralRecord>();
  ReferralRecord r;
  r.referee = Text(v, 0);
  r.referrer_l1 = Text(v, 1);
  r.referrer_l2 = Text(v, 2);
  r.code_used = Text(v, 3);
  RETURN_IF_ERROR(ReadAs(v, 4, r.signup_ms, "signup_ms"));
  RETURN_IF_ERROR(ReadAs(v, 5, r.uptime_base_ms, "uptime_base_ms"));
  int64_t claimed = 0;
  RETURN_IF_ERROR(ReadAs(v, 6, claimed, "installation_claimed"));
  r.installation_claimed = claimed != 0;
  RETURN_IF_ERROR(ReadAs(v, 7, r.installation_claimed_ms, "installation_claimed_ms"));
  return std::optional<ReferralRecord>(std::move(r));
}

Status DecodeKindTotals(const redisReply* v, size_t from, std::array<int64_t, kRewardKinds>& units,
                        std::array<int64_t, kRewardKinds>& transfers, int64_t& minutes) {
  if (!IsArray(v) || v->elements != from + kDayTotalFields.size()) {
    return Internal("Redis returned malformed ledger totals");
  }
  for (size_t k = 0; k < kRewardKinds; ++k) {
    RETURN_IF_ERROR(ReadAs(v, from + k, units[k], "units by kind"));
    RETURN_IF_ERROR(ReadAs(v, from + kRewardKinds + k, transfers[k], "transfers by kind"));
  }
  return ReadAs(v, from + 2 * kRewardKinds, minutes, "minutes");
}

}  // namespace sela::store::redis
