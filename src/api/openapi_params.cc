// Parameter notes for the OpenAPI description (api/openapi.h), keyed by the
// route ids of the tables. A test checks that every id here names a route.
#include "api/openapi.h"

namespace sela::api {

namespace {

constexpr ParamNote kNotes[] = {
    {"N6", "query", "days", "integer", false, "Days back from today (UTC), 0 to 366."},
    {"N7", "query", "days", "integer", false, "Days back from today (UTC), 0 to 366."},
    {"N12", "body", "userPrincipalId", "string", false, "The node's principal, when clientId is not known."},
    {"N12", "body", "text", "string", true, "Message text (at most 1024 bytes)."},
    {"N12", "body", "data", "object", false, "Any JSON, forwarded to the node as `data`."},
    {"N13", "body", "text", "string", true, "Message text (at most 1024 bytes)."},
    {"N13", "body", "data", "object", false, "Any JSON, forwarded to the nodes as `data`."},
    {"NX1", "body", "maxConcurrentJobs", "integer", true, "Jobs the node may hold at once, 1 to 100."},
    {"R3", "query", "uuid", "string", true, "The API client's uuid."},
    {"R5", "query", "fromDate", "string", true, "Start, Unix time in ms, µs or ns."},
    {"R5", "query", "toDate", "string", true, "End, Unix time in ms, µs or ns."},
    {"R6", "query", "jobID", "string", true, "The job."},
    {"R9", "query", "id", "string", true, "The job."},
    {"R11", "body", "uuid", "string", true, "A uuid the caller chose for the new API client."},
    {"R12", "header", "Idempotency-Key", "string", false,
     "Repeating a request with the same key returns the first job; another body is a 409."},
    {"R12", "body", "url", "string", true, "http(s) URL to scrape."},
    {"R12", "body", "scrapeType", "string", true, "A job kind from JOB_KINDS, e.g. TWITTER_POST or HTML."},
    {"R13", "header", "Idempotency-Key", "string", false,
     "Repeating a request with the same key returns the first job's result; another body is a 409."},
    {"R13", "body", "url", "string", true, "http(s) URL to scrape."},
    {"R13", "body", "scrapeType", "string", true, "A job kind from JOB_KINDS."},
    {"R13", "body", "timeoutMs", "integer", false, "How long to wait, 1000 to SCRAPE_TIMEOUT_MAX_MS (default 60000)."},
    {"R13", "body", "principalId", "string", false, "Run on this node only (it must be online with a free slot)."},
    {"R10", "query", "file_id", "string", false, "One of the job's files (docs/FILES.md), instead of its result."},
    {"R10", "header", "Range", "string", false, "bytes=a-b, a- or -n (one range): 206, or 416 when outside."},
    {"R10", "header", "If-None-Match", "string", false, "The ETag of a copy the caller has: 304."},
    {"R14", "query", "limit", "integer", false, "1 to 100 (default 50)."},
    {"R14", "query", "offset", "integer", false, "Listed jobs to skip (default 0)."},
    {"R14", "query", "search", "string", false, "Part of the job's id, URL or kind, any case."},
    {"R14", "query", "sort", "string", false, "asc or desc (default) by completion time."},
    {"R16", "header", "Range", "string", false, "bytes=a-b, a- or -n (one range): 206, or 416 when outside."},
    {"R19", "body", "jobId", "string", true, "A listed completed job (or the caller's own)."},
    {"RM1", "body", "listed", "boolean", true, "true: on the marketplace; false: off it."},
    {"RM2", "body", "listed", "boolean", true, "Whether the caller's new jobs are listed."},
    {"R12", "body", "listed", "boolean", false, "On the marketplace (default: the client's, false unless set)."},
    {"R13", "body", "listed", "boolean", false, "On the marketplace (default: the client's, false unless set)."},
    {"F1", "body", "name", "string", true, "A display name (not a path; never used on disk)."},
    {"F1", "body", "content_type", "string", true, "The file's media type."},
    {"F1", "body", "size", "integer", true, "Its length in bytes, at most FILE_BYTES_MAX."},
    {"F1", "body", "job_id", "string", false, "A job the caller holds: the file is readable by its customer."},
    {"F1", "body", "chunk_size", "integer", false, "Bytes per chunk (the last may be shorter); chunks in any order."},
    {"F1", "body", "sha256", "string", false, "The whole file's SHA-256 (hex), checked at completion."},
    {"F2", "body", "chunk_index", "integer", true, "The chunk's index, from 0 (JSON or form body)."},
    {"F2", "body", "chunk_data", "string", true, "The chunk in base64 (JSON or form body)."},
    {"F2", "body", "sha256", "string", false, "The chunk's SHA-256 (hex), checked on arrival."},
    {"F2", "query", "chunk_index", "integer", false,
     "With a raw application/octet-stream body (or header X-Chunk-Index)."},
    {"F2", "query", "sha256", "string", false, "With a raw body: the chunk's SHA-256 (or header X-Chunk-Sha256)."},
    {"F4", "query", "job_id", "string", false, "Only the files tied to this job."},
    {"F4", "query", "start_id", "string", false, "Files created after this one."},
    {"F4", "query", "limit", "integer", false, "1 to 1000 (default 100)."},
    {"F6", "header", "Range", "string", false, "bytes=a-b, a- or -n (one range): 206, or 416 when outside."},
    {"F6", "header", "If-None-Match", "string", false, "The ETag of a copy the caller has: 304."},
    {"W1", "query", "principal_id", "string", false, "The node's principal (legacy clients)."},
    {"W1", "query", "authorization", "string", false, "The node's principal (legacy clients)."},
    {"W2", "header", "Authorization", "string", false, "Bearer ADMIN_TOKEN (else the first message carries it)."},
};

}  // namespace

std::span<const ParamNote> ParamNotes() { return kNotes; }

}  // namespace sela::api
