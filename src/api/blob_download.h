// Downloads of stored bytes, shared by the file route (F6) and the job and
// marketplace downloads (R10, R16): the bytes stream from the file's blob
// (never whole in memory), with what clients of large downloads need:
// - ETag: the content's SHA-256, strong (content-addressed, so it never
//   changes); If-None-Match with it → 304;
// - one Range (bytes=a-b, a-, -n) → 206 with Content-Range; past the end →
//   416 with Content-Range: bytes */size; several ranges or one we do not
//   read → the whole body, as RFC 9110 allows; If-Range that is not the
//   ETag → the whole body;
// - Accept-Ranges: bytes; Content-Disposition: attachment with the name
//   (its quotes and bytes outside visible ASCII escaped, so a name cannot
//   break the header, D-29).
//
// Threading: the event loop's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/rest_table.h"
#include "files/file_service.h"
#include "net/http_types.h"

namespace sela::api {

struct DownloadTarget {
  std::string sha256;         // Lowercase hex: the ETag, and where the blob is.
  int64_t size = 0;
  std::string content_type;   // "" → application/octet-stream.
  std::string filename;       // For Content-Disposition; "" for none.
  // Set: the bytes themselves (a result kept in the store); else they are
  // read from the blob on disk.
  std::optional<std::string> bytes;
};

// Answers `request` with the target's bytes (see above). A blob that cannot
// be opened is answered 404 (missing) or through StoreFailure with
// `failure_message`.
void ServeDownload(files::FileService* files, const net::HttpRequest& request, DownloadTarget target,
                   RestRespond respond, std::string_view failure_message);

// attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>
std::string ContentDisposition(std::string_view filename);

}  // namespace sela::api
