// How the Redis store writes its records: one hash per record, one field
// per member, numbers as decimal text (doubles in their shortest exact
// form), booleans "1"/absent, states and statuses by name. Field names are
// the member names, so that an operator reading Redis sees what the code
// calls them (docs/STORAGE.md, "Redis backend").
//
// The field lists below are the order in which scripts and HMGET return a
// record's values; the Lua scripts get the same lists (LuaList()).
//
// Pure; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/redis/resp.h"
#include "store/store.h"

namespace sela::store::redis {

std::span<const std::string_view> JobFields();
std::span<const std::string_view> NodeFields();
std::span<const std::string_view> ClientFields();
std::span<const std::string_view> DayFields();
std::span<const std::string_view> FileFields();

// "{'a','b',...}": a list for the scripts' prologue.
std::string LuaList(std::span<const std::string_view> fields);

// Appends field/value pairs for every member of the job that is not empty,
// zero or false (what HMGET then reads back as absent means exactly that).
void AppendJobPairs(Command& command, const JobRecord& job);
void AppendFilePairs(Command& command, const FileRecord& file);
// Appends every field name of the list (for HMGET).
void AppendFieldNames(Command& command, std::span<const std::string_view> fields);

// An array of values in JobFields() order (HMGET or a script). nullopt when
// the record does not exist (its id is absent); Internal when a value does
// not parse.
Result<std::optional<JobRecord>> DecodeJob(const redisReply* values);
Result<std::optional<NodeRecord>> DecodeNode(const redisReply* values);
Result<std::optional<ApiClient>> DecodeClient(const redisReply* values);
Result<std::optional<FileRecord>> DecodeFile(const redisReply* values);
// A job's values (JobFields()) then its views and downloads, in one array
// (HMGET), or as {values, views, downloads} (a marketplace page).
Result<std::optional<MarketJob>> DecodeMarketJobFlat(const redisReply* values);
Result<std::optional<MarketJob>> DecodeMarketJob(const redisReply* entry);
// Days have no id field: `principal` and `day` come from the query.
Result<UptimeDay> DecodeDay(const redisReply* values, std::string principal, std::string day);

}  // namespace sela::store::redis
