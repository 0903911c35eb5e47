#include "store/redis/records.h"

#include <array>
#include <cstdint>
#include <type_traits>
#include <variant>

namespace sela::store::redis {
namespace {

// A member of a record and how it is written: pointers to members of the
// types a record holds.
template <typename R>
using Member = std::variant<std::string R::*, int64_t R::*, uint32_t R::*, double R::*, bool R::*>;

template <typename R>
struct Field {
  std::string_view name;
  Member<R> member;
};

constexpr std::array<Field<JobRecord>, 30> kJobMembers = {{
    {"job_id", &JobRecord::job_id},
    {"client_uuid", &JobRecord::client_uuid},
    {"job_type", &JobRecord::job_type},
    {"target", &JobRecord::target},
    // "state" is written by name; see the job functions below.
    {"node_principal", &JobRecord::node_principal},
    {"node_client_id", &JobRecord::node_client_id},
    {"attempt", &JobRecord::attempt},
    {"max_attempts", &JobRecord::max_attempts},
    {"created_ms", &JobRecord::created_ms},
    {"assigned_ms", &JobRecord::assigned_ms},
    {"lease_deadline_ms", &JobRecord::lease_deadline_ms},
    {"deadline_ms", &JobRecord::deadline_ms},
    {"complete_ms", &JobRecord::complete_ms},
    {"post_count", &JobRecord::post_count},
    {"replies_count", &JobRecord::replies_count},
    {"scroll_pause_ms", &JobRecord::scroll_pause_ms},
    {"sync", &JobRecord::sync},
    {"usage_charged", &JobRecord::usage_charged},
    {"reward_units", &JobRecord::reward_units},
    {"result_hash", &JobRecord::result_hash},
    {"result_content_type", &JobRecord::result_content_type},
    {"result_bytes", &JobRecord::result_bytes},
    {"price_cents", &JobRecord::price_cents},
    {"objects_count", &JobRecord::objects_count},
    {"file_size_kb", &JobRecord::file_size_kb},
    {"error", &JobRecord::error},
    {"last_failed_node", &JobRecord::last_failed_node},
    {"target_node", &JobRecord::target_node},
    {"result_file_id", &JobRecord::result_file_id},
    {"listed", &JobRecord::listed},
}};
// The job's field list: the members above, then "failure_reason" and
// "state" (by name).
constexpr size_t kJobReasonIndex = kJobMembers.size();
constexpr size_t kJobStateIndex = kJobMembers.size() + 1;

constexpr std::array<Field<NodeRecord>, 15> kNodeMembers = {{
    {"principal", &NodeRecord::principal},
    {"numeric_id", &NodeRecord::numeric_id},
    {"client_id", &NodeRecord::client_id},
    {"referral_code", &NodeRecord::referral_code},
    // "status" by name, after these.
    {"max_concurrent_jobs", &NodeRecord::max_concurrent_jobs},
    {"download_speed", &NodeRecord::download_speed},
    {"upload_speed", &NodeRecord::upload_speed},
    {"ping_ms", &NodeRecord::ping_ms},
    {"created_ms", &NodeRecord::created_ms},
    {"ws_connect_ms", &NodeRecord::ws_connect_ms},
    {"ws_disconnect_ms", &NodeRecord::ws_disconnect_ms},
    {"ping_timestamp_ms", &NodeRecord::ping_timestamp_ms},
    {"total_referral", &NodeRecord::total_referral},
    {"signed_identity", &NodeRecord::signed_identity},
    {"registrations", &NodeRecord::registrations},
}};
constexpr size_t kNodeStatusIndex = kNodeMembers.size();

constexpr std::array<Field<ApiClient>, 6> kClientMembers = {{
    {"uuid", &ApiClient::uuid},
    {"key_hash", &ApiClient::key_hash},
    {"usage_count", &ApiClient::usage_count},
    {"usage_limit", &ApiClient::usage_limit},
    {"created_ms", &ApiClient::created_ms},
    {"list_by_default", &ApiClient::list_by_default},
}};

// "state" by name after these (the 16th field, as scripts_files.cc reads it).
constexpr std::array<Field<FileRecord>, 15> kFileMembers = {{
    {"file_id", &FileRecord::file_id},
    {"owner", &FileRecord::owner},
    {"job_id", &FileRecord::job_id},
    {"name", &FileRecord::name},
    {"content_type", &FileRecord::content_type},
    {"size", &FileRecord::size},
    {"chunk_bytes", &FileRecord::chunk_bytes},
    {"declared_sha256", &FileRecord::declared_sha256},
    {"sha256", &FileRecord::sha256},
    {"received_bytes", &FileRecord::received_bytes},
    {"chunks", &FileRecord::chunks},
    {"created_ms", &FileRecord::created_ms},
    {"updated_ms", &FileRecord::updated_ms},
    {"expires_ms", &FileRecord::expires_ms},
    {"result_of", &FileRecord::result_of},
}};
constexpr size_t kFileStateIndex = kFileMembers.size();

constexpr std::array<Field<UptimeDay>, 8> kDayMembers = {{
    {"online_ms", &UptimeDay::online_ms},
    {"sessions", &UptimeDay::sessions},
    {"speed_sum", &UptimeDay::speed_sum},
    {"speed_count", &UptimeDay::speed_count},
    {"ping_sum", &UptimeDay::ping_sum},
    {"ping_count", &UptimeDay::ping_count},
    {"paid_minutes", &UptimeDay::paid_minutes},
    {"updated_ms", &UptimeDay::updated_ms},
}};

template <typename R, size_t N>
constexpr std::array<std::string_view, N> Names(const std::array<Field<R>, N>& members) {
  std::array<std::string_view, N> names{};
  for (size_t i = 0; i < N; ++i) names[i] = members[i].name;
  return names;
}

template <typename R, size_t N>
constexpr std::array<std::string_view, N + 1> NamesPlus(const std::array<Field<R>, N>& members,
                                                        std::string_view last) {
  std::array<std::string_view, N + 1> names{};
  for (size_t i = 0; i < N; ++i) names[i] = members[i].name;
  names[N] = last;
  return names;
}

template <typename R, size_t N>
constexpr std::array<std::string_view, N + 2> NamesPlusTwo(const std::array<Field<R>, N>& members,
                                                           std::string_view a, std::string_view b) {
  std::array<std::string_view, N + 2> names{};
  for (size_t i = 0; i < N; ++i) names[i] = members[i].name;
  names[N] = a;
  names[N + 1] = b;
  return names;
}

constexpr auto kJobFieldNames = NamesPlusTwo(kJobMembers, "failure_reason", "state");
constexpr auto kNodeFieldNames = NamesPlus(kNodeMembers, "status");
constexpr auto kClientFieldNames = Names(kClientMembers);
constexpr auto kDayFieldNames = Names(kDayMembers);
constexpr auto kFileFieldNames = NamesPlus(kFileMembers, "state");

template <typename R>
Status ReadMember(R& record, const Field<R>& field, const redisReply* value) {
  if (IsNil(value)) return Status::Ok();  // Absent: the member's zero.
  const auto bad = [&] {
    return Internal("stored field " + std::string(field.name) + " holds \"" + std::string(Text(value)) +
                    "\", which does not parse");
  };
  return std::visit(
      [&](auto member) -> Status {
        using T = std::remove_cvref_t<decltype(record.*member)>;
        if constexpr (std::is_same_v<T, std::string>) {
          record.*member = std::string(Text(value));
        } else if constexpr (std::is_same_v<T, double>) {
          const auto v = ToDouble(value);
          if (!v) return bad();
          record.*member = *v;
        } else if constexpr (std::is_same_v<T, bool>) {
          record.*member = Text(value) == "1";
        } else {
          const auto v = ToInt(value);
          if (!v) return bad();
          if constexpr (std::is_same_v<T, uint32_t>) {
            if (*v < 0 || *v > int64_t{UINT32_MAX}) return bad();
          }
          record.*member = static_cast<T>(*v);
        }
        return Status::Ok();
      },
      field.member);
}

template <typename R, size_t N>
Status ReadMembers(R& record, const std::array<Field<R>, N>& members, const redisReply* values) {
  for (size_t i = 0; i < N; ++i) RETURN_IF_ERROR(ReadMember(record, members[i], Element(values, i)));
  return Status::Ok();
}

Status CheckArray(const redisReply* values, size_t n, std::string_view what) {
  if (!IsArray(values) || values->elements != n) {
    return Internal("Redis returned a malformed " + std::string(what) + " record");
  }
  return Status::Ok();
}

}  // namespace

std::span<const std::string_view> JobFields() { return kJobFieldNames; }
std::span<const std::string_view> NodeFields() { return kNodeFieldNames; }
std::span<const std::string_view> ClientFields() { return kClientFieldNames; }
std::span<const std::string_view> DayFields() { return kDayFieldNames; }
std::span<const std::string_view> FileFields() { return kFileFieldNames; }

std::string LuaList(std::span<const std::string_view> fields) {
  std::string out = "{";
  for (std::string_view f : fields) {
    if (out.size() > 1) out += ',';
    out += '\'';
    out += f;
    out += '\'';
  }
  return out + "}";
}

void AppendFieldNames(Command& command, std::span<const std::string_view> fields) {
  for (std::string_view f : fields) command.Arg(f);
}

namespace {

template <typename R, size_t N>
void AppendPairs(Command& command, const R& record, const std::array<Field<R>, N>& members) {
  for (const Field<R>& field : members) {
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(record.*member)>;
          const T& value = record.*member;
          if constexpr (std::is_same_v<T, std::string>) {
            if (!value.empty()) command.Arg(field.name).Arg(value);
          } else if constexpr (std::is_same_v<T, bool>) {
            if (value) command.Arg(field.name).Arg("1");
          } else if constexpr (std::is_same_v<T, double>) {
            if (value != 0) command.Arg(field.name).Double(value);
          } else {
            if (value != 0) command.Arg(field.name).Int(static_cast<int64_t>(value));
          }
        },
        field.member);
  }
}

}  // namespace

void AppendJobPairs(Command& command, const JobRecord& job) {
  AppendPairs(command, job, kJobMembers);
  if (job.failure_reason != FailureReason::kNone) command.Arg("failure_reason").Arg(FailureReasonName(job.failure_reason));
  command.Arg("state").Arg(JobStateName(job.state));
}

void AppendFilePairs(Command& command, const FileRecord& file) {
  AppendPairs(command, file, kFileMembers);
  command.Arg("state").Arg(FileStateName(file.state));
}

Result<std::optional<JobRecord>> DecodeJob(const redisReply* values) {
  RETURN_IF_ERROR(CheckArray(values, kJobFieldNames.size(), "job"));
  if (IsNil(Element(values, 0))) return std::optional<JobRecord>();
  JobRecord job;
  job.max_attempts = 0;  // Always stored; read back below.
  RETURN_IF_ERROR(ReadMembers(job, kJobMembers, values));
  const std::string_view state = Text(Element(values, kJobStateIndex));
  bool known = false;
  for (JobState s : {JobState::kPending, JobState::kOngoing, JobState::kCompleted, JobState::kFailed}) {
    if (JobStateName(s) == state) {
      job.state = s;
      known = true;
    }
  }
  if (!known) return Err(Internal("job " + job.job_id + " has the unknown state \"" + std::string(state) + "\""));
  const std::string_view reason = Text(Element(values, kJobReasonIndex));
  known = reason.empty();
  for (FailureReason r : {FailureReason::kNoData, FailureReason::kDeadline, FailureReason::kAttemptsExhausted,
                          FailureReason::kRestart, FailureReason::kTooLarge, FailureReason::kCancelled}) {
    if (!reason.empty() && FailureReasonName(r) == reason) {
      job.failure_reason = r;
      known = true;
    }
  }
  if (!known) {
    return Err(Internal("job " + job.job_id + " has the unknown failure reason \"" + std::string(reason) + "\""));
  }
  return std::optional<JobRecord>(std::move(job));
}

Result<std::optional<NodeRecord>> DecodeNode(const redisReply* values) {
  RETURN_IF_ERROR(CheckArray(values, kNodeFieldNames.size(), "node"));
  if (IsNil(Element(values, 0))) return std::optional<NodeRecord>();
  NodeRecord node;
  RETURN_IF_ERROR(ReadMembers(node, kNodeMembers, values));
  node.status = Text(Element(values, kNodeStatusIndex)) == "active" ? NodeStatus::kActive : NodeStatus::kInactive;
  return std::optional<NodeRecord>(std::move(node));
}

Result<std::optional<ApiClient>> DecodeClient(const redisReply* values) {
  RETURN_IF_ERROR(CheckArray(values, kClientFieldNames.size(), "API client"));
  if (IsNil(Element(values, 0))) return std::optional<ApiClient>();
  ApiClient client;
  RETURN_IF_ERROR(ReadMembers(client, kClientMembers, values));
  return std::optional<ApiClient>(std::move(client));
}

Result<std::optional<FileRecord>> DecodeFile(const redisReply* values) {
  RETURN_IF_ERROR(CheckArray(values, kFileFieldNames.size(), "file"));
  if (IsNil(Element(values, 0))) return std::optional<FileRecord>();
  FileRecord file;
  RETURN_IF_ERROR(ReadMembers(file, kFileMembers, values));
  const std::string_view state = Text(Element(values, kFileStateIndex));
  if (state == FileStateName(FileState::kComplete)) {
    file.state = FileState::kComplete;
  } else if (state != FileStateName(FileState::kUploading)) {
    return Err(Internal("file " + file.file_id + " has the unknown state \"" + std::string(state) + "\""));
  }
  return std::optional<FileRecord>(std::move(file));
}

Result<std::optional<MarketJob>> DecodeMarketJobFlat(const redisReply* values) {
  if (!IsArray(values) || values->elements != kJobFieldNames.size() + 2) {
    return Err(Internal("Redis returned a malformed marketplace job"));
  }
  // The job's values are the first ones: decode them as an array of their own.
  redisReply job_values = *values;
  job_values.elements = kJobFieldNames.size();
  ASSIGN_OR_RETURN(std::optional<JobRecord> job, DecodeJob(&job_values));
  if (!job) return std::optional<MarketJob>();
  const redisReply* views = Element(values, kJobFieldNames.size());
  const redisReply* downloads = Element(values, kJobFieldNames.size() + 1);
  const auto v = IsNil(views) ? std::optional<int64_t>(0) : ToInt(views);
  const auto d = IsNil(downloads) ? std::optional<int64_t>(0) : ToInt(downloads);
  if (!v || !d) return Err(Internal("job " + job->job_id + " has counters that do not parse"));
  return std::optional<MarketJob>(MarketJob{std::move(*job), *v, *d});
}

Result<std::optional<MarketJob>> DecodeMarketJob(const redisReply* entry) {
  if (!IsArray(entry) || entry->elements != 3) return Err(Internal("Redis returned a malformed marketplace entry"));
  ASSIGN_OR_RETURN(std::optional<JobRecord> job, DecodeJob(Element(entry, 0)));
  if (!job) return std::optional<MarketJob>();
  const auto v = ToInt(Element(entry, 1));
  const auto d = ToInt(Element(entry, 2));
  if (!v || !d) return Err(Internal("job " + job->job_id + " has counters that do not parse"));
  return std::optional<MarketJob>(MarketJob{std::move(*job), *v, *d});
}

Result<UptimeDay> DecodeDay(const redisReply* values, std::string principal, std::string day) {
  RETURN_IF_ERROR(CheckArray(values, kDayFieldNames.size(), "uptime day"));
  UptimeDay out;
  out.principal = std::move(principal);
  out.day = std::move(day);
  RETURN_IF_ERROR(ReadMembers(out, kDayMembers, values));
  return out;
}

}  // namespace sela::store::redis
