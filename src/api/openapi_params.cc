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
    {"W1", "query", "principal_id", "string", false, "The node's principal (legacy clients)."},
    {"W1", "query", "authorization", "string", false, "The node's principal (legacy clients)."},
    {"W2", "header", "Authorization", "string", false, "Bearer ADMIN_TOKEN (else the first message carries it)."},
};

}  // namespace

std::span<const ParamNote> ParamNotes() { return kNotes; }

}  // namespace sela::api
