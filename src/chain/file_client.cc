#include "chain/file_client.h"

#include <boost/json.hpp>

#include <algorithm>

#include "chain/sha256.h"
#include "codec/base64.h"
#include "codec/hex.h"
#include "codec/json.h"

namespace sela::chain {
namespace {

constexpr std::string_view kFormat = "sela-chunked-v1";
constexpr std::string_view kManifestType = "application/vnd.sela.manifest+json";
constexpr std::string_view kChunkType = "application/vnd.sela.chunk+base64";
constexpr size_t kKeyMax = 200;

std::string ChunkKey(std::string_view key, size_t index) { return std::string(key) + "#" + std::to_string(index); }

files::FileMetadata Metadata(const FileInfo& info, std::string_view content_type, size_t size) {
  files::FileMetadata m;
  m.name = info.name;
  m.content_type = std::string(content_type);
  m.size = size;
  m.user_principal_id = info.user_principal_id;
  m.job_id = info.job_id;
  m.created_at = info.created_at_ms;
  m.original_file_id = info.original_file_id;
  return m;
}

struct Manifest {
  size_t size = 0;
  size_t chunks = 0;
  std::string sha256_hex;
};

Result<Manifest> ParseManifest(std::string_view text, size_t file_bytes_max) {
  codec::JsonLimits limits;
  limits.bytes_max = 4096;
  ASSIGN_OR_RETURN(const boost::json::value v, codec::ParseJson(text, limits));
  const boost::json::object* o = v.if_object();
  if (o == nullptr) return Err(FailedPrecondition("file manifest is not an object"));
  const auto* format = o->if_contains("format");
  const auto* size = o->if_contains("size");
  const auto* chunks = o->if_contains("chunks");
  const auto* sha = o->if_contains("sha256");
  if (!format || !format->is_string() || format->as_string() != kFormat || !size || !size->is_int64() ||
      !chunks || !chunks->is_int64() || !sha || !sha->is_string() || sha->as_string().size() != 64) {
    return Err(FailedPrecondition("file manifest is malformed"));
  }
  Manifest m;
  if (size->as_int64() < 0 || static_cast<uint64_t>(size->as_int64()) > file_bytes_max || chunks->as_int64() < 0 ||
      chunks->as_int64() > 100'000) {
    return Err(FailedPrecondition("file manifest is out of range"));
  }
  m.size = static_cast<size_t>(size->as_int64());
  m.chunks = static_cast<size_t>(chunks->as_int64());
  m.sha256_hex = std::string(sha->as_string());
  return m;
}

}  // namespace

Status FileCanisterClient::CheckKey(std::string_view key) {
  if (key.empty() || key.size() > kKeyMax) return InvalidArgument("file key must be 1..200 bytes");
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '/' || c == '-';
    if (!ok) return InvalidArgument("file key may hold only A-Z a-z 0-9 . _ / -");
  }
  return Status::Ok();
}

Status FileCanisterClient::Store(const std::string& key, std::string content, files::FileMetadata metadata) {
  ASSIGN_OR_RETURN(const std::string arg, files::EncodeStoreFileArgs({key, std::move(content), std::move(metadata)}));
  ASSIGN_OR_RETURN(const CanisterResponse r, agent_.Call(canister_, "store_file", arg));
  if (!r.replied) return Unavailable("store_file rejected (" + std::string(RejectCodeName(r.reject.code)) + "): " + r.reject.message);
  ASSIGN_OR_RETURN(const files::StoreFileResult result, files::DecodeStoreFileResult(r.reply));
  if (!result.success) return Unavailable("store_file answered success = false for " + key);
  return Status::Ok();
}

Result<StoredFile> FileCanisterClient::Put(std::string_view key, std::string_view bytes, const FileInfo& info) {
  return PutFrom(
      key, bytes.size(), [bytes](size_t offset, size_t n) -> Result<std::string> { return std::string(bytes.substr(offset, n)); },
      "", info);
}

Result<StoredFile> FileCanisterClient::PutFrom(std::string_view key, size_t size, const ChunkReader& read,
                                               std::string_view expected_sha256_hex, const FileInfo& info) {
  RETURN_IF_ERROR(CheckKey(key));
  if (size > options_.file_bytes_max) {
    return Err(ResourceExhausted("file of " + std::to_string(size) + " bytes is over the limit"));
  }
  StoredFile out;
  out.size = size;
  out.chunks = (size + options_.chunk_bytes - 1) / options_.chunk_bytes;
  Sha256Hasher hasher;
  for (size_t i = 0; i < out.chunks; ++i) {
    const size_t offset = i * options_.chunk_bytes;
    const size_t n = std::min(options_.chunk_bytes, size - offset);
    ASSIGN_OR_RETURN(const std::string part, read(offset, n));
    if (part.size() != n) return Err(Internal("read " + std::to_string(part.size()) + " bytes of a chunk of " + std::to_string(n)));
    hasher.Update(part);
    RETURN_IF_ERROR(Store(ChunkKey(key, i), codec::Base64Encode(part), Metadata(info, kChunkType, part.size())));
  }
  out.sha256_hex = codec::HexEncode(hasher.Finish());
  if (!expected_sha256_hex.empty() && out.sha256_hex != expected_sha256_hex) {
    return Err(Conflict("the bytes read do not match their SHA-256: no manifest written"));
  }
  boost::json::object manifest;
  manifest["format"] = kFormat;
  manifest["size"] = static_cast<int64_t>(out.size);
  manifest["chunks"] = static_cast<int64_t>(out.chunks);
  manifest["chunk_bytes"] = static_cast<int64_t>(options_.chunk_bytes);
  manifest["sha256"] = out.sha256_hex;
  manifest["content_type"] = info.content_type;
  RETURN_IF_ERROR(Store(std::string(key), boost::json::serialize(manifest), Metadata(info, kManifestType, out.size)));
  return out;
}

Result<files::GetFileResult> FileCanisterClient::Fetch(const std::string& key) {
  ASSIGN_OR_RETURN(const std::string arg, files::EncodeGetFileArgs(key));
  ASSIGN_OR_RETURN(const CanisterResponse r, agent_.Query(canister_, "get_file", arg));
  if (!r.replied) return Err(Unavailable("get_file rejected: " + r.reject.message));
  ASSIGN_OR_RETURN(files::GetFileResult result, files::DecodeGetFileResult(r.reply));
  if (!result.success) return Err(NotFound("no file " + key + " on the canister"));
  return result;
}

Result<std::string> FileCanisterClient::Get(std::string_view key) {
  RETURN_IF_ERROR(CheckKey(key));
  ASSIGN_OR_RETURN(const files::GetFileResult head, Fetch(std::string(key)));
  if (head.metadata.content_type != kManifestType) return head.content;  // Stored as text by the original.
  ASSIGN_OR_RETURN(const Manifest m, ParseManifest(head.content, options_.file_bytes_max));
  std::string bytes;
  bytes.reserve(m.size);
  for (size_t i = 0; i < m.chunks; ++i) {
    ASSIGN_OR_RETURN(const files::GetFileResult chunk, Fetch(ChunkKey(key, i)));
    Result<std::string> part = codec::Base64Decode(chunk.content);
    if (!part.has_value() || bytes.size() + part->size() > m.size) {
      return Err(FailedPrecondition("chunk " + std::to_string(i) + " of " + std::string(key) + " is corrupt"));
    }
    bytes += *part;
  }
  if (bytes.size() != m.size || codec::HexEncode(Sha256(bytes)) != m.sha256_hex) {
    return Err(FailedPrecondition("file " + std::string(key) + " fails its SHA-256 or size check"));
  }
  return bytes;
}

}  // namespace sela::chain
