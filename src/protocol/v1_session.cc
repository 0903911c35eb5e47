#include "protocol/v1_session.h"

#include "protocol/v1_encode.h"

namespace sela::protocol::v1 {
namespace {

constexpr std::string_view kBearerPrefix = "Bearer ";

// The original split on single spaces and took the second part only when
// there were exactly two parts and the first was "Bearer".
std::string StripBearerToken(std::string_view value) {
  const std::size_t space = value.find(' ');
  if (space != std::string_view::npos && value.substr(0, space) == "Bearer" &&
      value.find(' ', space + 1) == std::string_view::npos) {
    return std::string(value.substr(space + 1));
  }
  return std::string(value);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// decodeURIComponent without its exception: nullopt on a malformed escape.
// ('+' stays '+', as in decodeURIComponent.) Invalid UTF-8 produced by an
// escape is left for the principal validation to refuse.
std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = HexValue(text[i + 1]);
    const int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
    i += 2;
  }
  return out;
}

}  // namespace

std::optional<std::string> PrincipalFromConnection(const ConnectionCredentials& credentials) {
  std::string principal;
  if (!credentials.authorization_header.empty()) {
    principal = StripBearerToken(credentials.authorization_header);
  } else if (!credentials.authorization_query.empty()) {
    const std::optional<std::string> decoded = PercentDecode(credentials.authorization_query);
    principal = StripBearerToken(decoded ? *decoded : std::string(credentials.authorization_query));
  } else if (!credentials.principal_id_query.empty()) {
    principal = std::string(credentials.principal_id_query);
  } else {
    return std::nullopt;
  }
  if (principal.starts_with(kBearerPrefix)) principal.erase(0, kBearerPrefix.size());
  // An empty result was falsy to the original, which then read the first frame.
  if (principal.empty()) return std::nullopt;
  return principal;
}

std::optional<std::string> CheckMessagePrincipal(const NodeMessage& message,
                                                 std::string_view session_principal) {
  const std::string& claimed = PrincipalOf(message);
  if (claimed == session_principal) return std::nullopt;
  return EncodeAuthenticationFailed(claimed);
}

}  // namespace sela::protocol::v1
