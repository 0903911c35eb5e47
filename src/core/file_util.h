// Small file helpers with honest error reporting.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace sela {

// Writes content to path via a temporary file in the same directory and a
// rename, so readers see either the old file or the whole new one.
Status WriteFileAtomic(const std::string& path, std::string_view content);

Result<std::string> ReadFile(const std::string& path);

}  // namespace sela
