#include "api/blob_download.h"

#include <memory>
#include <utility>

#include "net/http_stream.h"

namespace sela::api {
namespace {

// Pulls [offset, offset + length) of a blob through its reader.
class BlobSource final : public net::BodySource {
 public:
  BlobSource(std::shared_ptr<files::BlobReader> reader, int64_t offset)
      : reader_(std::move(reader)), offset_(offset) {}
  void Pull(size_t max, std::function<void(Result<std::string>)> deliver) override {
    const int64_t at = offset_;
    offset_ += static_cast<int64_t>(max);
    reader_->Read(at, max, [max, deliver = std::move(deliver)](Result<std::string> piece) {
      // A blob shorter than its record says: the response cannot be finished.
      if (piece && piece->size() != max) return deliver(Err(Internal("the blob is shorter than recorded")));
      deliver(std::move(piece));
    });
  }

 private:
  std::shared_ptr<files::BlobReader> reader_;
  int64_t offset_;
};

bool IsVisibleAscii(unsigned char c) { return c >= 0x20 && c < 0x7f; }

// The blob is gone here: its copy on the file canister, checked against
// its SHA-256 off the loop.
void ServeRemote(files::FileService* files, const std::string& sha256, net::HttpResponse r, net::ByteRange range,
                 RestRespond respond) {
  files->FetchRemote(sha256, [r = std::move(r), range, respond = std::move(respond)](Result<std::string> bytes) mutable {
    if (bytes && bytes->size() >= range.first + range.length) {
      r.body = bytes->substr(range.first, range.length);
      return respond(std::move(r));
    }
    if (!bytes && bytes.error().code() == Code::kNotFound) {
      return respond(ErrorResponse(404, "File not found: missing here and on the file canister"));
    }
    respond(ErrorResponse(503, "File missing here, and its copy on the file canister cannot be read now; retry later"));
  });
}

}  // namespace

std::string ContentDisposition(std::string_view filename) {
  std::string ascii;
  std::string encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : filename) {
    ascii += IsVisibleAscii(c) && c != '"' && c != '\\' ? static_cast<char>(c) : '_';
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                       c == '-' || c == '_';
    if (plain) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  // A plain name is written as the original did; another one gets an
  // ASCII stand-in and its exact form in filename* (RFC 6266).
  if (ascii == filename) return "attachment; filename=\"" + ascii + "\"";
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

void ServeDownload(files::FileService* files, const net::HttpRequest& request, DownloadTarget target,
                   RestRespond respond, std::string_view failure_message) {
  const std::string etag = "\"" + target.sha256 + "\"";
  net::HttpResponse r;
  r.content_type = target.content_type.empty() ? "application/octet-stream" : target.content_type;
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Accept-Ranges", "bytes");
  if (!target.filename.empty()) r.headers.emplace_back("Content-Disposition", ContentDisposition(target.filename));
  if (request.HasHeader("If-None-Match") && net::IfNoneMatch(request.Header("If-None-Match"), etag)) {
    r.status = 304;
    r.content_type.clear();
    return respond(std::move(r));
  }
  const uint64_t size = static_cast<uint64_t>(target.size);
  net::ByteRange range{0, size};
  net::RangeOutcome outcome = net::RangeOutcome::kWhole;
  if (request.HasHeader("Range") &&
      (!request.HasHeader("If-Range") || net::IfRangeAllows(request.Header("If-Range"), etag))) {
    outcome = net::ParseRange(request.Header("Range"), size, &range);
  }
  if (outcome == net::RangeOutcome::kUnsatisfiable) {
    net::HttpResponse refused = ErrorResponse(416, "Range Not Satisfiable: the file has " + std::to_string(size) + " bytes");
    refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    refused.headers.emplace_back("ETag", etag);
    return respond(std::move(refused));
  }
  if (outcome == net::RangeOutcome::kWhole) range = {0, size};
  r.status = outcome == net::RangeOutcome::kPartial ? 206 : 200;
  if (outcome == net::RangeOutcome::kPartial) r.headers.emplace_back("Content-Range", net::ContentRange(range, size));
  if (target.bytes) {
    r.body = target.bytes->substr(range.first, range.length);
    return respond(std::move(r));
  }
  if (range.length == 0) return respond(std::move(r));  // An empty file.
  files->OpenBlob(target.sha256, target.size,
                  [files, sha256 = target.sha256, r = std::move(r), range, respond = std::move(respond),
                   failure = std::string(failure_message)](Result<std::shared_ptr<files::BlobReader>> reader) mutable {
                    if (!reader) {
                      if (reader.error().code() == Code::kNotFound && files->has_remote()) {
                        return ServeRemote(files, sha256, std::move(r), range, std::move(respond));
                      }
                      if (reader.error().code() == Code::kNotFound) return respond(ErrorResponse(404, "File not found"));
                      return respond(StoreFailure(reader.error(), failure));
                    }
                    r.body_source = std::make_shared<BlobSource>(std::move(*reader), static_cast<int64_t>(range.first));
                    r.body_length = range.length;
                    respond(std::move(r));
                  });
}

}  // namespace sela::api
