// How the Redis store writes the rewards ledger's records (see records.h
// for the others): one hash per transfer, account, day, referral and run,
// numbers as decimal text; a run's kind and state by name. The field lists
// are the order in which scripts and HMGET return a record's values.
//
// Pure; thread-safe.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/redis/resp.h"
#include "store/store.h"

namespace sela::store::redis {

std::span<const std::string_view> TransferFields();     // ..., credited_units, seq
std::span<const std::string_view> RunFields();
std::span<const std::string_view> ReferralFields();
std::span<const std::string_view> DayTotalFields();     // u0..u7, n0..n7, m
std::span<const std::string_view> AccountFields();      // balance_units, credited_units, transfers, updated_ms, then DayTotalFields

// The transfer's fields in TransferFields() order without credited_units
// and seq: what the write scripts take per transfer.
void AppendTransfer(Command& command, const Transfer& t);

// A whole number written by a script or HINCRBY; nil reads as 0. Internal
// when it does not parse (ResourceExhausted when it is beyond int64).
Result<int64_t> ReadInt(const redisReply* r, std::string_view what);

// Values in TransferFields() order; nullopt when the record does not exist.
Result<std::optional<TransferRecord>> DecodeTransfer(const redisReply* values);
Result<std::optional<RunRecord>> DecodeRun(const redisReply* values);
Result<std::optional<ReferralRecord>> DecodeReferral(const redisReply* values);
// Values in DayTotalFields() order from `from` on: units, transfers by kind
// and minutes.
Status DecodeKindTotals(const redisReply* values, size_t from, std::array<int64_t, kRewardKinds>& units,
                        std::array<int64_t, kRewardKinds>& transfers, int64_t& minutes);


}  // namespace sela::store::redis
