#include "api/file_routes.h"

#include <charconv>
#include <memory>

#include "api/blob_download.h"
#include "codec/base64_lenient.h"
#include "codec/js_json.h"
#include "codec/json.h"

namespace sela::api {
namespace {

namespace json = boost::json;
using Ctx = FileRoutesContext;

constexpr std::string_view kChunkMessage = "Chunk uploaded successfully";
// Base64 takes 4 bytes for 3, and a JSON or form body a little around it.
constexpr uint64_t kChunkBodySlackBytes = 64 * 1024;
// F2's row of the table, which a streamed (raw) chunk also follows: its
// principal is found before the body is read, outside RunRestRoute.
constexpr RestAuth kChunkAuth = RestAuth::kPrincipalCompat;

// What the file service says, as an answer (file_service.h lists the codes).
net::HttpResponse FileFailure(const Status& st, std::string_view route_message) {
  switch (st.code()) {
    case Code::kInvalidArgument: return ErrorResponse(400, st.message());
    case Code::kNotFound: return ErrorResponse(404, st.message());
    case Code::kPermissionDenied: return ErrorResponse(403, st.message());
    case Code::kConflict:
    case Code::kFailedPrecondition: return ErrorResponse(409, st.message());
    case Code::kResourceExhausted: return ErrorResponse(507, "Insufficient Storage: " + st.message());
    default: return StoreFailure(st, route_message);
  }
}

// Decimal digits, nothing else.
std::optional<int64_t> WholeNumber(std::string_view s) {
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

// A whole number of bytes or an index: a JSON integer or a decimal string
// (form bodies carry strings, and the original parseInt'ed them).
std::optional<int64_t> WholeNumber(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return v->get_uint64() <= INT64_MAX ? std::optional<int64_t>(v->get_uint64()) : std::nullopt;
  if (v->is_double()) {
    const double d = v->get_double();
    if (d >= 0 && d <= 9e15 && d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
    return std::nullopt;
  }
  if (!v->is_string()) return std::nullopt;
  return WholeNumber(std::string_view(v->get_string()));
}

std::string Text(const json::object& body, std::string_view key) {
  const json::value* v = codec::FindField(body, key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string ChunkJson(const files::ChunkReceipt& receipt) {
  return codec::JsonObjectWriter()
      .String("message", kChunkMessage)
      .Integer("chunk_index", receipt.chunk.index)
      .Integer("bytes", receipt.chunk.bytes)
      .String("sha256", receipt.chunk.sha256)
      .Bool("repeat", receipt.outcome == store::ChunkOutcome::kRepeat)
      .Finish();
}

// F1 POST /api/files
void CreateFile(Ctx& ctx, RestCall& call) {
  const json::object& b = call.body;
  const json::value* size_value = codec::FindField(b, "size");
  if (!codec::FindField(b, "name") || !codec::IsTruthy(*codec::FindField(b, "name")) ||
      !codec::FindField(b, "content_type") || !codec::IsTruthy(*codec::FindField(b, "content_type")) ||
      !size_value || !codec::IsTruthy(*size_value)) {
    return call.respond(ErrorResponse(400, "Missing required fields: name, content_type, size"));
  }
  files::NewFile request;
  request.name = Text(b, "name");
  request.content_type = Text(b, "content_type");
  request.job_id = Text(b, "job_id");
  request.sha256 = Text(b, "sha256");
  const auto size = WholeNumber(size_value);
  if (!size || *size < 0) return call.respond(ErrorResponse(400, "size must be a whole number of bytes"));
  request.size = *size;
  if (const json::value* chunk = codec::FindField(b, "chunk_size"); chunk && !chunk->is_null()) {
    const auto n = WholeNumber(chunk);
    if (!n || *n < 1) return call.respond(ErrorResponse(400, "chunk_size must be a whole number of bytes >= 1"));
    request.chunk_bytes = *n;
  }
  const files::FileOptions& fo = ctx.deps.files.options();
  if (request.size > fo.file_bytes_max) {
    // A result too large for this path fails its job at once.
    if (ctx.deps.jobs && !request.job_id.empty()) {
      ctx.deps.jobs->OnResultFileTooLarge(call.principal, request.job_id, request.size, fo.file_bytes_max);
    }
    return call.respond(ErrorResponse(413, "size " + std::to_string(request.size) + " is over FILE_BYTES_MAX (" +
                                         std::to_string(fo.file_bytes_max) + " bytes)"));
  }
  ctx.deps.files.Create(call.principal, std::move(request), [respond = call.respond](Result<store::FileRecord> f) {
    if (!f) {
      const Status& st = f.error();
      if (st.code() == Code::kFailedPrecondition) return respond(ErrorResponse(403, st.message()));
      if (st.code() == Code::kResourceExhausted) return respond(ErrorResponse(429, st.message()));
      return respond(FileFailure(st, "Failed to create file"));
    }
    constexpr std::string_view kMessage = "File created successfully. Upload chunks to complete.";
    net::HttpResponse r = SuccessResponse(kMessage, codec::JsonObjectWriter()
                                                  .String("file_id", f->file_id)
                                                  .String("message", kMessage)
                                                  .Integer("expires_at", f->expires_ms)
                                                  .Finish());
    r.status = 201;
    respond(std::move(r));
  });
}

// F2 with a JSON or form body: {chunk_index, chunk_data (base64), sha256?}.
void PutChunk(Ctx& ctx, RestCall& call) {
  const json::value* index_value = codec::FindField(call.body, "chunk_index");
  if (!index_value || index_value->is_null() || (index_value->is_string() && index_value->get_string().empty())) {
    return call.respond(ErrorResponse(400, "chunk_index is required"));
  }
  const auto index = WholeNumber(index_value);
  if (!index || *index < 0 || *index > UINT32_MAX) {
    return call.respond(ErrorResponse(400, "chunk_index must be a whole number >= 0"));
  }
  const json::value* data = codec::FindField(call.body, "chunk_data");
  if (!data || !data->is_string() || data->get_string().empty()) {
    return call.respond(ErrorResponse(400, "chunk_data is required"));
  }
  auto bytes = codec::Base64DecodeLenient(data->get_string());
  if (!bytes) return call.respond(ErrorResponse(400, "chunk_data is not base64: " + bytes.error().message()));
  if (bytes->empty()) return call.respond(ErrorResponse(400, "chunk_data is required"));
  auto upload = ctx.deps.files.BeginChunk(call.principal, std::string(call.request.Param("fileId")),
                                          static_cast<uint32_t>(*index), static_cast<int64_t>(bytes->size()),
                                          Text(call.body, "sha256"));
  if (!upload) return call.respond(FileFailure(upload.error(), "Failed to upload chunk"));
  (*upload)->Append(*bytes);
  auto held = std::shared_ptr<files::ChunkUpload>(std::move(*upload));
  held->Finish([held, respond = call.respond](Result<files::ChunkReceipt> receipt) {
    if (!receipt) return respond(FileFailure(receipt.error(), "Failed to upload chunk"));
    respond(SuccessResponse(kChunkMessage, ChunkJson(*receipt)));
  });
}

// F2 with a raw application/octet-stream body: streamed as it arrives.
class ChunkSink final : public net::BodySink {
 public:
  explicit ChunkSink(std::unique_ptr<files::ChunkUpload> upload) : upload_(std::move(upload)) {}
  bool OnData(std::string_view bytes) override { return upload_->Append(bytes); }
  void OnEnd(net::HttpReply reply) override {
    auto shared = std::make_shared<net::HttpReply>(std::move(reply));
    upload_->Finish([shared](Result<files::ChunkReceipt> receipt) {
      if (!receipt) return shared->Send(FileFailure(receipt.error(), "Failed to upload chunk"));
      shared->Send(SuccessResponse(kChunkMessage, ChunkJson(*receipt)));
    });
  }

 private:
  std::unique_ptr<files::ChunkUpload> upload_;
};

bool IsOctetStream(std::string_view content_type) {
  return content_type.substr(0, content_type.find(';')) == "application/octet-stream";
}

// The query parameter, else the header (X-Chunk-Index, X-Chunk-Sha256).
std::string QueryOrHeader(const net::HttpRequest& head, std::string_view query, std::string_view header) {
  bool structured = false;
  if (auto q = QueryString(head, query, &structured); q && !structured) return *q;
  return std::string(head.Header(header));
}

std::unique_ptr<net::BodySink> MakeChunkSink(Ctx& ctx, net::HttpRequest& head, net::BodyStream stream) {
  if (!IsOctetStream(head.Header("Content-Type"))) return nullptr;  // Read whole: base64 in JSON or a form.
  net::HttpResponse refusal;
  RestGuard* guard = ctx.options.rest.guard;
  if (guard != nullptr) {
    if (auto limited = guard->AdmitSource(head)) {
      stream.Refuse(std::move(*limited));
      return nullptr;
    }
  }
  // A node token or the bare principal, decided at once (rest_guard.h).
  bool bare = false;
  const bool bare_allowed = kChunkAuth == RestAuth::kPrincipalCompat;
  const auto principal =
      guard != nullptr
          ? guard->ResolvePrincipalAtOnce(head, json::object(), ctx.options.rest, bare_allowed, &refusal, &bare)
          : PrincipalOf(head, json::object(), ctx.options.rest, &refusal);
  if (!principal) {
    stream.Refuse(std::move(refusal));
    return nullptr;
  }
  const std::string index_text = QueryOrHeader(head, "chunk_index", "X-Chunk-Index");
  const auto index = WholeNumber(index_text);
  if (index_text.empty()) {
    stream.Refuse(ErrorResponse(400, "chunk_index is required (query chunk_index or header X-Chunk-Index)"));
    return nullptr;
  }
  if (!index || *index < 0 || *index > UINT32_MAX) {
    stream.Refuse(ErrorResponse(400, "chunk_index must be a whole number >= 0"));
    return nullptr;
  }
  const auto length = WholeNumber(head.Header("Content-Length"));
  if (!length) {
    stream.Refuse(ErrorResponse(400, "Content-Length is required"));
    return nullptr;
  }
  if (*length > ctx.deps.files.options().chunk_bytes_max) {
    stream.Refuse(ErrorResponse(413, "A chunk of " + std::to_string(*length) + " bytes is over FILE_CHUNK_BYTES_MAX (" +
                                   std::to_string(ctx.deps.files.options().chunk_bytes_max) + " bytes)"));
    return nullptr;
  }
  auto upload = ctx.deps.files.BeginChunk(*principal, std::string(head.Param("fileId")),
                                          static_cast<uint32_t>(*index), *length,
                                          QueryOrHeader(head, "sha256", "X-Chunk-Sha256"));
  if (!upload) {
    stream.Refuse(FileFailure(upload.error(), "Failed to upload chunk"));
    return nullptr;
  }
  (*upload)->OnSpace([stream] { stream.Resume(); });
  (*upload)->OnFailure([stream](Status st) { stream.Refuse(FileFailure(st, "Failed to upload chunk")); });
  return std::make_unique<ChunkSink>(std::move(*upload));
}

// F3 POST /api/files/:fileId/complete
void CompleteFile(Ctx& ctx, RestCall& call) {
  ctx.deps.files.Complete(call.principal, std::string(call.request.Param("fileId")),
                          [respond = call.respond](Result<store::FileRecord> f) {
                            if (!f) return respond(FileFailure(f.error(), "Failed to complete file upload"));
                            constexpr std::string_view kMessage = "File upload completed successfully";
                            respond(SuccessResponse(kMessage, codec::JsonObjectWriter()
                                                            .String("message", kMessage)
                                                            .String("file_id", f->file_id)
                                                            .Integer("size", f->size)
                                                            .String("sha256", f->sha256)
                                                            .Finish()));
                          });
}

// F4 GET /api/files?job_id=&start_id=&limit=
// GCC 12 at -O3 reports a maybe-uninitialized std::expected inside the
// std::function that holds the List callback below (a false positive in
// inlined library code, as in net/http_parser.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
void ListFiles(Ctx& ctx, RestCall& call) {
  bool s1 = false, s2 = false, s3 = false;
  store::FileListQuery query;
  query.owner = call.principal;
  query.job_id = QueryString(call.request, "job_id", &s1).value_or("");
  query.after_file_id = QueryString(call.request, "start_id", &s2).value_or("");
  query.limit = ctx.options.list_limit_default;
  if (auto limit = QueryString(call.request, "limit", &s3); limit && !limit->empty()) {
    const auto n = WholeNumber(*limit);
    if (!n || *n < 1 || *n > ctx.options.list_limit_max) {
      return call.respond(ErrorResponse(400, "limit must be 1 to " + std::to_string(ctx.options.list_limit_max)));
    }
    query.limit = static_cast<uint32_t>(*n);
  }
  if (s1 || s2 || s3) return call.respond(ErrorResponse(400, "job_id, start_id and limit must be single values"));
  ctx.deps.files.List(query, [respond = call.respond](Result<std::vector<store::FileRecord>> files) {
    if (!files) return respond(FileFailure(files.error(), "Failed to list files"));
    std::string data = "[";
    for (const store::FileRecord& f : *files) {
      if (data.size() > 1) data += ',';
      data += FileJson(f);
    }
    data += ']';
    respond(SuccessResponse("Files retrieved successfully", data));
  });
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Reads a file of the caller: 404 unknown, 403 another's (F5, F7); F6
// answers both with its one 404, as the original did.
void WithOwnFile(Ctx& ctx, RestCall& call, bool hide_owner,
                 std::function<void(const store::FileRecord&)> then) {
  ctx.deps.files.Get(std::string(call.request.Param("fileId")),
                     [principal = call.principal, hide_owner, respond = call.respond,
                      then = std::move(then)](Result<std::optional<store::FileRecord>> f) {
                       if (!f) return respond(FileFailure(f.error(), "Failed to get file"));
                       if (!*f || (hide_owner && (*f)->owner != principal)) {
                         return respond(ErrorResponse(404, hide_owner ? "File not found or access denied" : "File not found"));
                       }
                       if ((*f)->owner != principal) return respond(ErrorResponse(403, "Unauthorized access to file"));
                       then(**f);
                     });
}

// F5 GET /api/files/:fileId
void FileMetadata(Ctx& ctx, RestCall& call) {
  WithOwnFile(ctx, call, false, [respond = call.respond](const store::FileRecord& f) {
    respond(SuccessResponse("File metadata retrieved successfully", FileJson(f)));
  });
}

// F6 GET /api/files/:fileId/download
void DownloadFile(Ctx& ctx, RestCall& call) {
  WithOwnFile(ctx, call, true, [&ctx, request = call.request, respond = call.respond](const store::FileRecord& f) {
    if (f.state != store::FileState::kComplete) return respond(ErrorResponse(409, "The upload is not complete"));
    ServeDownload(&ctx.deps.files, request,
                  DownloadTarget{.sha256 = f.sha256, .size = f.size, .content_type = f.content_type,
                                 .filename = f.name, .bytes = std::nullopt},
                  respond, "Failed to download file");
  });
}

// F7 DELETE /api/files/:fileId
void DeleteFile(Ctx& ctx, RestCall& call) {
  ctx.deps.files.Delete(call.principal, std::string(call.request.Param("fileId")), [respond = call.respond](Status st) {
    if (!st.ok()) return respond(FileFailure(st, "Failed to delete file"));
    constexpr std::string_view kMessage = "File deleted successfully";
    respond(SuccessResponse(kMessage, codec::JsonObjectWriter().String("message", kMessage).Finish()));
  });
}

using R = RestRoute<Ctx>;
const R kFileRoutes[] = {
    {{"F1", "POST", "/api/files", RestAuth::kPrincipalCompat,
      "Creates an upload: name, content_type, size; optional job_id (a job the node holds), chunk_size, sha256."},
     &CreateFile},
    {{"F2", "POST", "/api/files/:fileId/chunks", kChunkAuth,
      "One chunk: {chunk_index, chunk_data base64} or a raw application/octet-stream body (?chunk_index=)."},
     &PutChunk},
    {{"F3", "POST", "/api/files/:fileId/complete", RestAuth::kPrincipalCompat,
      "Completes the upload: every chunk there, SHA-256 checked; the file is then stored by its hash."},
     &CompleteFile},
    {{"F4", "GET", "/api/files", RestAuth::kPrincipalCompat, "The caller's files (?job_id=, ?start_id=, ?limit=)."},
     &ListFiles},
    {{"F5", "GET", "/api/files/:fileId", RestAuth::kPrincipalCompat, "One of the caller's files."}, &FileMetadata},
    {{"F6", "GET", "/api/files/:fileId/download", RestAuth::kPrincipalCompat,
      "The bytes of one of the caller's complete files (Range, ETag)."},
     &DownloadFile},
    {{"F7", "DELETE", "/api/files/:fileId", RestAuth::kPrincipalCompat, "Deletes one of the caller's files."},
     &DeleteFile},
};

}  // namespace

std::string FileJson(const store::FileRecord& f) {
  codec::JsonObjectWriter w;
  w.String("id", f.file_id)
      .String("name", f.name)
      .String("content_type", f.content_type)
      .Integer("size", f.size)
      .Integer("created_at", f.created_ms)
      .Integer("updated_at", f.updated_ms)
      .String("user_principal_id", f.owner)
      .String("job_id", f.job_id);
  if (f.state == store::FileState::kComplete) w.String("hash", f.sha256);
  w.String("state", store::FileStateName(f.state)).Integer("received_bytes", f.received_bytes);
  if (f.chunk_bytes > 0) w.Integer("chunk_size", f.chunk_bytes);
  if (f.state == store::FileState::kUploading) w.Integer("expires_at", f.expires_ms);
  return w.Finish();
}

FileRoutesOptions FileRoutesOptions::FromConfig(const Config& config) {
  FileRoutesOptions o;
  o.rest.admin_token = config.admin_token;
  return o;
}

std::span<const RestRoute<FileRoutesContext>> FileRouteTable() { return kFileRoutes; }

void AddFileRoutes(net::Router& router, FileRoutesDeps deps, FileRoutesOptions options) {
  auto ctx = std::make_shared<Ctx>(Ctx{deps, std::move(options)});
  auto rest = std::make_shared<const RestOptions>(ctx->options.rest);
  // F2's JSON body carries a chunk in base64.
  RestOptions chunk_rest = ctx->options.rest;
  chunk_rest.body_bytes_max =
      static_cast<std::size_t>((deps.files.options().chunk_bytes_max + 2) / 3 * 4 + kChunkBodySlackBytes);
  auto chunk_options = std::make_shared<const RestOptions>(chunk_rest);
  for (const R& route : kFileRoutes) {
    const bool chunks = route.info.id == "F2";
    auto options = chunks ? chunk_options : rest;
    net::RouteOptions route_options;
    if (chunks) {
      route_options.body_bytes_max = chunk_rest.body_bytes_max;
      // A chunk in transit holds at most stream_buffer_bytes before reading
      // pauses: what the inbound budget is charged for a streamed chunk.
      route_options.body_sink_held_bytes_max = deps.files.options().stream_buffer_bytes;
      route_options.body_sink = [ctx](net::HttpRequest& head, net::BodyStream stream) {
        return MakeChunkSink(*ctx, head, stream);
      };
    }
    router.Add(
        std::string(route.info.method), std::string(route.info.path),
        [&route, ctx, options](net::HttpRequest& request, net::HttpReply reply) {
          auto shared = std::make_shared<net::HttpReply>(std::move(reply));
          RunRestRoute(route, *ctx, *options, request,
                       [shared, &route, agent = std::string(request.Header("User-Agent"))](net::HttpResponse r) {
                         LogRestOutcome(route.info, agent, r);
                         shared->Send(std::move(r));
                       });
        },
        std::move(route_options));
  }
}

}  // namespace sela::api
