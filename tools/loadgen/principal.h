// Principals for simulated nodes.
//
// Protocol v1 treats the principal as an opaque string (ws-protocol.md §2.1),
// so the default is readable: prefix + zero-padded node index
// ("loadgen-000042"), unique per node across all worker processes.
//
// kIcText instead renders a syntactically valid Internet Computer
// self-authenticating principal (29 bytes ending in 0x02, CRC32-prefixed,
// lowercase base32 in dash-separated groups of five), for servers that check
// the principal's text form. The 28 "hash" bytes are derived from the prefix
// and index, so the same node always gets the same principal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

enum class PrincipalFormat { kPlain, kIcText };

// Digits used for the index: at least 6, more when `nodes_total` needs them.
int PrincipalIndexWidth(uint64_t nodes_total);

std::string MakePrincipal(PrincipalFormat format, std::string_view prefix, uint64_t index,
                          int index_width);

// The Internet Computer's textual form of raw principal bytes.
std::string PrincipalText(std::string_view bytes);

uint32_t Crc32(std::string_view bytes);

}  // namespace loadgen
