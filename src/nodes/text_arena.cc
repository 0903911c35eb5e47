#include "nodes/text_arena.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace sela::nodes {

TextArena::Ref TextArena::Add(std::string_view text) {
  assert(!text.empty() && text.size() <= kTextBytesMax);
  const auto bytes = static_cast<uint32_t>(text.size());
  if (chunks_.empty() || last_chunk_bytes_ - last_chunk_used_ < bytes) {
    if (chunks_.size() >= kChunksMax) return kNoRef;
    const uint32_t grown =
        chunks_.empty() ? kFirstChunkBytes : std::min(kChunkBytesMax, last_chunk_bytes_ * 2);
    const uint32_t next_bytes = std::max(grown, bytes);
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(next_bytes));
    last_chunk_bytes_ = next_bytes;
    last_chunk_used_ = 0;
  }
  const auto chunk = static_cast<uint32_t>(chunks_.size() - 1);
  std::memcpy(chunks_.back().get() + last_chunk_used_, text.data(), bytes);
  const Ref ref = chunk << 16 | last_chunk_used_;
  last_chunk_used_ += bytes;
  added_bytes_ += bytes;
  return ref;
}

}  // namespace sela::nodes
