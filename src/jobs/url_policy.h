// Which URLs a job may send a node to (docs/JOB-URLS.md).
//
// Nodes fetch job URLs from their owners' devices and networks: a job that
// names http://169.254.169.254/ (a cloud metadata service),
// http://192.168.1.1/ (the owner's router) or http://localhost:8082/ would
// make volunteers' devices read their own networks for a stranger. So a job
// URL must be http or https to a public host:
// - no user:password@ part, no % in the host (WHATWG parsers decode it);
// - IP literals are read the way browsers and curl read them (WHATWG: 127.1,
//   0x7f.0.0.1, 2130706433 and 0177.0.0.1 are all 127.0.0.1), and refused
//   when loopback, private, shared (CGNAT), link-local, multicast,
//   broadcast, reserved, documentation or benchmarking addresses; IPv6
//   likewise, including IPv4-mapped, NAT64 and 6to4 forms of those;
// - names that mean this machine or the local network are refused:
//   `localhost` and `*.localhost` (RFC 6761), `*.local` (mDNS),
//   `*.localdomain`, `*.internal`, `*.home.arpa`, `*.lan`, and single-label
//   names (`router`, `nas`) that resolve through search domains.
// The server does not resolve names (a name may resolve differently for the
// node), so a public name that points at a private address passes here:
// node apps must check the address they connect to, and each redirect,
// against the same rule (docs/JOB-URLS.md says how).
//
// allow_private (ALLOW_PRIVATE_URLS) keeps only the http(s) and syntax
// checks, for private deployments whose nodes scrape an intranet.
//
// Pure. Thread-safety: free functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::jobs {

struct UrlPolicy {
  bool allow_private = false;
  std::size_t url_bytes_max = 4096;
};

// OK, or InvalidArgument with a message fit for the customer (400).
Status CheckJobUrl(std::string_view url, const UrlPolicy& policy);

// An IPv4 host as the WHATWG URL standard reads it (host already
// lowercased): nullopt when it is not an IPv4 address, an error when it
// ends in a number but is not a valid one.
Result<std::optional<uint32_t>> ParseWhatwgIpv4(std::string_view host);

// Whether an address may be fetched (public unicast).
bool IsPublicIpv4(uint32_t address);
bool IsPublicIpv6(const uint8_t (&address)[16]);

}  // namespace sela::jobs
