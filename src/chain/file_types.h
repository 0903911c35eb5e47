// The file canister's Candid interface (`can_file_storage`, reference
// original/storage-chain-files.md §4.2.1), as the deployed Motoko canister
// declares it:
//   store_file : (file_key : text, content : text, metadata : FileMetadata)
//                -> (record { file_key : text; success : bool })        update
//   get_file   : (file_key : text)
//                -> (record { content : text; metadata : FileMetadata; success : bool })  query
// Encoders for what we send, decoders for what it answers (by field id, so
// extra fields are ignored), and the reverse directions for the fake.
//
// Thread-safety: free functions on values.
#pragma once

#include <string>
#include <string_view>

#include "chain/candid.h"
#include "core/status.h"

namespace sela::chain::files {

struct FileMetadata {
  std::string name;
  std::string content_type;
  candid::Uint128 size = 0;
  std::string user_principal_id;
  std::string job_id;
  candid::Int128 created_at = 0;  // The original sent epoch milliseconds.
  std::string original_file_id;
  friend bool operator==(const FileMetadata&, const FileMetadata&) = default;
};

struct StoreFileArgs {
  std::string file_key;
  std::string content;  // Candid text: must be UTF-8.
  FileMetadata metadata;
};
// InvalidArgument when a text field is not UTF-8.
Result<std::string> EncodeStoreFileArgs(const StoreFileArgs& args);
Result<StoreFileArgs> DecodeStoreFileArgs(std::string_view candid);

struct StoreFileResult {
  std::string file_key;
  bool success = false;
};
std::string EncodeStoreFileResult(const StoreFileResult& result);
Result<StoreFileResult> DecodeStoreFileResult(std::string_view candid);

Result<std::string> EncodeGetFileArgs(std::string_view file_key);
Result<std::string> DecodeGetFileArgs(std::string_view candid);

struct GetFileResult {
  std::string content;
  FileMetadata metadata;
  bool success = false;
};
Result<std::string> EncodeGetFileResult(const GetFileResult& result);
Result<GetFileResult> DecodeGetFileResult(std::string_view candid);

}  // namespace sela::chain::files
