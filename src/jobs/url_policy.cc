#include "jobs/url_policy.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace sela::jobs {
namespace {

struct Range4 {
  uint32_t base;
  int prefix;
};

constexpr uint32_t Ip(int a, int b, int c, int d) {
  return (uint32_t(a) << 24) | (uint32_t(b) << 16) | (uint32_t(c) << 8) | uint32_t(d);
}

// Everything that is not a public unicast address (IANA special-purpose
// registry, plus multicast and reserved space).
constexpr Range4 kRefused4[] = {
    {Ip(0, 0, 0, 0), 8},        // "this network"
    {Ip(10, 0, 0, 0), 8},       // private
    {Ip(100, 64, 0, 0), 10},    // shared address space (carrier-grade NAT)
    {Ip(127, 0, 0, 0), 8},      // loopback
    {Ip(169, 254, 0, 0), 16},   // link-local (cloud metadata services)
    {Ip(172, 16, 0, 0), 12},    // private
    {Ip(192, 0, 0, 0), 24},     // IETF protocol assignments
    {Ip(192, 0, 2, 0), 24},     // documentation
    {Ip(192, 88, 99, 0), 24},   // 6to4 relay anycast
    {Ip(192, 168, 0, 0), 16},   // private
    {Ip(198, 18, 0, 0), 15},    // benchmarking
    {Ip(198, 51, 100, 0), 24},  // documentation
    {Ip(203, 0, 113, 0), 24},   // documentation
    {Ip(224, 0, 0, 0), 4},      // multicast
    {Ip(240, 0, 0, 0), 4},      // reserved, and broadcast
};

bool InRange(uint32_t a, Range4 r) {
  const uint32_t mask = r.prefix == 0 ? 0 : ~uint32_t{0} << (32 - r.prefix);
  return (a & mask) == (r.base & mask);
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EndsWithLabel(std::string_view host, std::string_view suffix) {
  return host == suffix || (host.size() > suffix.size() && host.ends_with(suffix) &&
                            host[host.size() - suffix.size() - 1] == '.');
}

// One WHATWG IPv4 part: decimal, 0x hex or 0-prefixed octal.
std::optional<uint64_t> ParsePart(std::string_view part) {
  if (part.empty()) return std::nullopt;
  int base = 10;
  if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    base = 16;
    part.remove_prefix(2);
    if (part.empty()) return 0;  // "0x" is zero for WHATWG.
  } else if (part.size() >= 2 && part[0] == '0') {
    base = 8;
    part.remove_prefix(1);
  }
  uint64_t v = 0;
  for (char c : part) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    v = v * base + d;
    if (v > 0xFFFFFFFFull) return v;  // Too big either way; stop growing.
  }
  return v;
}

bool EndsInNumber(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);
  const std::size_t dot = host.rfind('.');
  std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (last.find_first_not_of("0123456789") == std::string_view::npos) return true;
  return last.size() >= 2 && last[0] == '0' && last[1] == 'x' &&
         last.substr(2).find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Status Refuse(std::string_view why) { return InvalidArgument("url " + std::string(why)); }

Status CheckIpv6(std::string_view literal) {
  std::string text(literal);
  uint8_t addr[16];
  if (text.find('%') != std::string::npos || inet_pton(AF_INET6, text.c_str(), addr) != 1) {
    return Refuse("has an invalid IPv6 address");
  }
  if (!IsPublicIpv6(addr)) return Refuse("must not point at a loopback, private, link-local or multicast address");
  return {};
}

Status CheckName(std::string_view host) {
  static constexpr std::string_view kLocalNames[] = {"localhost", "local", "localdomain", "internal",
                                                     "home.arpa", "lan", "ip6-localhost", "ip6-loopback"};
  for (std::string_view suffix : kLocalNames) {
    if (EndsWithLabel(host, suffix)) return Refuse("must not name this machine or a local network (" + std::string(suffix) + ")");
  }
  if (host.find('.') == std::string_view::npos) {
    return Refuse("must name a public host (a single-label name resolves on the local network)");
  }
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!ok) return Refuse("has a host name with characters outside a-z 0-9 - _ .");
  }
  if (host.find("..") != std::string_view::npos || host.front() == '.' || host.front() == '-') {
    return Refuse("has a malformed host name");
  }
  return {};
}

}  // namespace

Result<std::optional<uint32_t>> ParseWhatwgIpv4(std::string_view host) {
  if (!EndsInNumber(host)) return std::optional<uint32_t>();
  if (host.ends_with('.')) host.remove_suffix(1);
  std::array<uint64_t, 4> parts{};
  std::size_t n = 0;
  while (true) {
    const std::size_t dot = host.find('.');
    const std::string_view part = host.substr(0, dot);
    if (n == 4) return Err(InvalidArgument("too many parts"));
    auto v = ParsePart(part);
    if (!v) return Err(InvalidArgument("not a number"));
    parts[n++] = *v;
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    if (parts[i] > 255) return Err(InvalidArgument("part out of range"));
  }
  const uint64_t last_max = uint64_t{1} << (8 * (5 - n));
  if (parts[n - 1] >= last_max) return Err(InvalidArgument("last part out of range"));
  uint64_t address = parts[n - 1];
  for (std::size_t i = 0; i + 1 < n; ++i) address += parts[i] << (8 * (3 - i));
  return std::optional<uint32_t>(static_cast<uint32_t>(address));
}

bool IsPublicIpv4(uint32_t address) {
  for (Range4 r : kRefused4) {
    if (InRange(address, r)) return false;
  }
  return true;
}

bool IsPublicIpv6(const uint8_t (&a)[16]) {
  auto v4_at = [&](int offset) {
    return (uint32_t(a[offset]) << 24) | (uint32_t(a[offset + 1]) << 16) | (uint32_t(a[offset + 2]) << 8) |
           uint32_t(a[offset + 3]);
  };
  static constexpr uint8_t kZero[10] = {};
  // ::/96 (unspecified, loopback, IPv4-compatible) and ::ffff:0:0/96 (mapped):
  // judged by the IPv4 address they carry (:: and ::1 land in 0/8).
  if (std::memcmp(a, kZero, 10) == 0 && ((a[10] == 0 && a[11] == 0) || (a[10] == 0xff && a[11] == 0xff))) {
    return IsPublicIpv4(v4_at(12));
  }
  // 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64) carry an IPv4 address at the end.
  if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b) return IsPublicIpv4(v4_at(12));
  // 2002::/16 (6to4) carries one in bits 16..47.
  if (a[0] == 0x20 && a[1] == 0x02) return IsPublicIpv4(v4_at(2));
  if (a[0] == 0xff) return false;                         // multicast
  if ((a[0] & 0xfe) == 0xfc) return false;                // fc00::/7 unique local
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return false;  // fe80::/10 link-local
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return false;  // fec0::/10 site-local (deprecated)
  if (a[0] == 0x01 && a[1] == 0x00 && std::memcmp(a + 2, kZero, 6) == 0) return false;  // 100::/64 discard
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) return false;      // 2001:db8::/32 docs
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && a[3] == 0x00) return false;      // 2001::/32 Teredo
  return true;
}

Status CheckJobUrl(std::string_view url, const UrlPolicy& policy) {
  if (url.size() > policy.url_bytes_max) {
    return Refuse("is longer than " + std::to_string(policy.url_bytes_max) + " characters");
  }
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return Refuse("must start with http:// or https://");
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return Refuse("must be visible ASCII (percent-encode the rest)");
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#\\"));
  if (authority.empty()) return Refuse("has no host");
  if (authority.find('@') != std::string_view::npos) return Refuse("must not carry user:password@");
  std::string_view host = authority;
  if (host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return Refuse("has an unterminated IPv6 address");
    std::string_view after = host.substr(close + 1);
    if (!after.empty() && (after.front() != ':' || after.size() == 1 ||
                           after.substr(1).find_first_not_of("0123456789") != std::string_view::npos)) {
      return Refuse("has a malformed port");
    }
    if (policy.allow_private) return {};
    return CheckIpv6(host.substr(1, close - 1));
  }
  if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoul(std::string(port)) > 65535) {
      return Refuse("has a malformed port");
    }
    host = host.substr(0, colon);
  }
  if (host.empty()) return Refuse("has no host");
  if (host.find('%') != std::string_view::npos) return Refuse("must not percent-encode its host");
  std::string lower(host.size(), '\0');
  for (std::size_t i = 0; i < host.size(); ++i) lower[i] = Lower(host[i]);
  std::string_view name = lower;
  auto v4 = ParseWhatwgIpv4(name);
  if (!v4) return Refuse("has a host that ends in a number but is not an IPv4 address");
  if (policy.allow_private) return {};
  if (*v4) {
    if (!IsPublicIpv4(**v4)) {
      return Refuse("must not point at a loopback, private, link-local, multicast or reserved address");
    }
    return {};
  }
  if (name.ends_with('.')) name.remove_suffix(1);
  return CheckName(name);
}

}  // namespace sela::jobs
