// The REST calls of an API customer in the jobs scenario
// (reference/original/rest-api.md R11 and R13), as bytes on the wire.
//
// POST /api/rpc/registerClient {"uuid":...} issues an API key (200, the key
// in data.apiKey; 409 when the uuid is taken, so every run makes a fresh
// uuid). POST /api/rpc/scrapeUrl with "Authorization: Bearer <key>" creates
// a job, has a node do it and answers when the node's result is in.
//
// Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace loadgen {

// "<prefix>api-<seed>-<pid>-<unique>": unique per run as long as `unique`
// (e.g. the wall clock in ns) differs between runs of the same pid.
std::string MakeApiClientUuid(std::string_view prefix, int64_t seed, int64_t pid, int64_t unique);

std::string RegisterClientRequest(std::string_view host_header, std::string_view uuid);

// data.apiKey of a registerClient 200 body. The key goes into a header, so
// anything but visible ASCII without spaces is refused.
std::expected<std::string, std::string> ApiKeyFromRegisterBody(std::string_view body);

// Builds scrapeUrl requests without allocating once `out` has capacity:
// everything but the URL's number and the Content-Length is fixed per run.
// Request n asks for https://example.com/<n> (unique, so no server-side cache
// can answer it), scrapeType HTML, timeoutMs as given.
class ScrapeRequestBuilder {
 public:
  ScrapeRequestBuilder(std::string_view host_header, std::string_view api_key, int64_t timeout_ms);

  // Appends request `n` to `out`.
  void Append(uint64_t n, std::string& out) const;

 private:
  std::string head_;       // Request line and headers up to "Content-Length: ".
  std::string body_tail_;  // After the URL's number: closing quote to the end.
};

inline constexpr std::string_view kScrapeBodyHead = R"({"url":"https://example.com/)";

}  // namespace loadgen
