// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash for tables
// whose keys come from peers. Principals are chosen by nodes (protocol v1 does
// not authenticate them), so an unkeyed hash would let a peer pick keys that
// all land in one probe sequence; with a secret key it cannot.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sela::nodes {

using SipKey = std::array<uint64_t, 2>;

uint64_t SipHash24(const SipKey& key, std::string_view data);

}  // namespace sela::nodes
