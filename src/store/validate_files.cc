// Input checks for files and the marketplace (see validate.h).
#include <string>
#include <utility>

#include "store/validate.h"

namespace sela::store {

Status ValidateNewFile(const FileRecord& file, const JobLimits& limits) {
  RETURN_IF_ERROR(ValidateId(file.file_id, "file_id", limits.id_bytes_max));
  RETURN_IF_ERROR(ValidateId(file.owner, "file owner", limits.principal_bytes_max));
  RETURN_IF_ERROR(ValidateText(file.job_id, "file job_id", limits.id_bytes_max));
  RETURN_IF_ERROR(ValidateText(file.name, "file name", limits.text_bytes_max));
  RETURN_IF_ERROR(ValidateText(file.content_type, "file content_type", limits.text_bytes_max));
  if (!file.declared_sha256.empty()) {
    RETURN_IF_ERROR(ValidateSha256Hex(file.declared_sha256, "declared sha256"));
  }
  if (file.state != FileState::kUploading) return InvalidArgument("a new file must be uploading");
  const std::pair<const char*, int64_t> fields[] = {
      {"size", file.size},           {"chunk_bytes", file.chunk_bytes},
      {"created_ms", file.created_ms}, {"expires_ms", file.expires_ms},
  };
  for (const auto& [name, value] : fields) {
    if (value < 0) return InvalidArgument(std::string("file ") + name + " is negative");
  }
  if (file.size > 0 && file.chunk_bytes > file.size) {
    return InvalidArgument("chunk_bytes " + std::to_string(file.chunk_bytes) +
                           " is more than the file's size " + std::to_string(file.size));
  }
  return Status::Ok();
}

Status ValidateChunk(const FileChunk& chunk) {
  if (chunk.offset < 0) return InvalidArgument("chunk offset is negative");
  if (chunk.bytes < 1) return InvalidArgument("a chunk has at least one byte");
  if (chunk.sha256.empty()) return Status::Ok();  // Not hashed.
  return ValidateSha256Hex(chunk.sha256, "chunk sha256");
}

Status ValidateFileQuota(const FileQuota& quota) {
  if (quota.open_uploads_max < 1 || quota.owner_bytes_max < 1) {
    return InvalidArgument("file quota limits must be at least 1");
  }
  return Status::Ok();
}

Status ValidateListLimit(uint32_t limit, uint32_t max) {
  if (limit < 1 || limit > max) {
    return InvalidArgument("list limit " + std::to_string(limit) + " is outside 1.." +
                           std::to_string(max));
  }
  return Status::Ok();
}

Status ValidateMarketQuery(const MarketQuery& query, const JobLimits& limits) {
  RETURN_IF_ERROR(ValidateText(query.search, "marketplace search", limits.text_bytes_max));
  constexpr uint32_t kMarketPageMax = 100;
  return ValidateListLimit(query.limit, kMarketPageMax);
}

}  // namespace sela::store
