// FileCanisterClient: binary-safe files on the deployed Motoko file canister
// (file_types.h), whose only content type is Candid `text`.
//
// The original converted bytes to text and corrupted every binary file
// (storage-chain-files.md D-7) and could not store anything near the 2 MiB
// ingress limit. Here a file is stored as chunks of at most chunk_bytes raw
// bytes, each base64 text under `<key>#<index>` (so a chunk's call stays
// well under the ingress limit), then a manifest under `<key>` naming the
// size, the chunk count and the SHA-256 of the whole file:
//   {"format":"sela-chunked-v1","size":N,"chunks":K,"chunk_bytes":C,"sha256":"<hex>","content_type":"..."}
// The manifest is written last, so a reader never finds a manifest whose
// chunks are missing; Get checks every chunk, the size and the SHA-256, and
// refuses a mismatch. A key the original stored as plain text (no manifest)
// is returned as it is.
//
// Keys: 1..200 bytes of [A-Za-z0-9._/-] (no '#', which marks chunks).
// Callers namespace them, e.g. `<principal>/<job>/<file id>` (D-6).
//
// Blocking (runs on the Executor); thread-safe as Agent.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "chain/agent.h"
#include "chain/file_types.h"

namespace sela::chain {

struct FileClientOptions {
  size_t chunk_bytes = 1 << 20;      // 1.33 MiB as base64: under the 2 MiB ingress limit.
  size_t file_bytes_max = 64 << 20;
};

struct FileInfo {
  std::string name;
  std::string content_type;
  std::string user_principal_id;
  std::string job_id;
  int64_t created_at_ms = 0;
  std::string original_file_id;
};

struct StoredFile {
  size_t size = 0;
  size_t chunks = 0;
  std::string sha256_hex;
};

class FileCanisterClient {
 public:
  FileCanisterClient(Agent& agent, codec::Principal canister, FileClientOptions options = {})
      : agent_(agent), canister_(canister), options_(options) {}

  Result<StoredFile> Put(std::string_view key, std::string_view bytes, const FileInfo& info);
  // Streamed form: `size` bytes, chunk by chunk through read(offset,
  // bytes) (which must deliver exactly that many), so that only one chunk
  // is held at a time. The SHA-256 is computed on the way; when
  // expected_sha256_hex is not "" and differs, Conflict and no
  // manifest is written (the key stays as it was).
  using ChunkReader = std::function<Result<std::string>(size_t offset, size_t bytes)>;
  Result<StoredFile> PutFrom(std::string_view key, size_t size, const ChunkReader& read,
                             std::string_view expected_sha256_hex, const FileInfo& info);
  // NotFound when the key holds nothing; FailedPrecondition when what it holds
  // fails its integrity checks.
  Result<std::string> Get(std::string_view key);

  static Status CheckKey(std::string_view key);

 private:
  Status Store(const std::string& key, std::string content, files::FileMetadata metadata);
  Result<files::GetFileResult> Fetch(const std::string& key);

  Agent& agent_;
  const codec::Principal canister_;
  const FileClientOptions options_;
};

}  // namespace sela::chain
