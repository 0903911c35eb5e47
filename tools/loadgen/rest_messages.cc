#include "rest_messages.h"

#include <charconv>

#include "json.h"

namespace loadgen {

std::string MakeApiClientUuid(std::string_view prefix, int64_t seed, int64_t pid, int64_t unique) {
  std::string uuid(prefix);
  uuid += "api-" + std::to_string(seed) + "-" + std::to_string(pid) + "-" + std::to_string(unique);
  return uuid;
}

std::string RegisterClientRequest(std::string_view host_header, std::string_view uuid) {
  std::string body = R"({"uuid":)";
  AppendJsonString(uuid, body);
  body += '}';
  std::string out = "POST /api/rpc/registerClient HTTP/1.1\r\nHost: ";
  out.append(host_header);
  out += "\r\nContent-Type: application/json\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
  return out;
}

std::expected<std::string, std::string> ApiKeyFromRegisterBody(std::string_view body) {
  auto json = ParseJson(body);
  if (!json) return std::unexpected("registerClient: body is not JSON: " + json.error());
  const JsonValue& key = (*json)["data"]["apiKey"];
  if (!key.is_string() || key.AsString().empty()) {
    return std::unexpected("registerClient: no data.apiKey in the reply");
  }
  for (const char c : key.AsString()) {
    if (c <= ' ' || c > '~') return std::unexpected("registerClient: data.apiKey is not a header token");
  }
  return key.AsString();
}

ScrapeRequestBuilder::ScrapeRequestBuilder(std::string_view host_header, std::string_view api_key,
                                           int64_t timeout_ms) {
  head_ = "POST /api/rpc/scrapeUrl HTTP/1.1\r\nHost: ";
  head_.append(host_header);
  head_ += "\r\nAuthorization: Bearer ";
  head_.append(api_key);
  head_ += "\r\nContent-Type: application/json\r\nContent-Length: ";
  body_tail_ = R"(","scrapeType":"HTML","timeoutMs":)" + std::to_string(timeout_ms) + "}";
}

void ScrapeRequestBuilder::Append(uint64_t n, std::string& out) const {
  char number[24];
  const auto number_end = std::to_chars(number, number + sizeof(number), n).ptr;
  const size_t number_bytes = static_cast<size_t>(number_end - number);
  const size_t body_bytes = kScrapeBodyHead.size() + number_bytes + body_tail_.size();
  char length[24];
  const auto length_end = std::to_chars(length, length + sizeof(length), body_bytes).ptr;
  out += head_;
  out.append(length, length_end);
  out += "\r\n\r\n";
  out += kScrapeBodyHead;
  out.append(number, number_end);
  out += body_tail_;
}

}  // namespace loadgen
