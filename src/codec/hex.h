// Lowercase hexadecimal text for byte strings.
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace sela::codec {

// Two lowercase hex digits per byte.
std::string HexEncode(std::string_view bytes);

// Accepts upper- and lowercase digits; an odd length or a non-hex character
// is InvalidArgument naming the offset.
Result<std::string> HexDecode(std::string_view hex);

}  // namespace sela::codec
