// TextArena: short strings (principals) stored back to back in chunks of at
// most 64 KiB, named by a 32-bit reference. Storing a principal costs its
// bytes plus a share of one partly filled chunk, where a std::string would
// cost its 32-byte object plus a heap block with malloc's header and rounding.
//
// Chunks never move, so a string_view of a stored text stays valid until the
// arena is destroyed or replaced. Removing a text only counts its bytes as
// garbage; the owner reclaims garbage by copying the live texts into a fresh
// arena (see NodeRegistry::Checkpoint), because only the owner knows which
// references are live.
//
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace sela::nodes {

class TextArena {
 public:
  using Ref = uint32_t;
  static constexpr Ref kNoRef = 0xffffffffu;
  // A reference is chunk << 16 | offset, so a chunk holds at most 64 KiB and
  // one text must fit in a chunk.
  static constexpr uint32_t kChunkBytesMax = 1u << 16;
  static constexpr uint32_t kTextBytesMax = 4096;
  // Chunk 0xffff is never used, so no valid reference equals kNoRef.
  static constexpr uint32_t kChunksMax = 0xffff;

  TextArena() = default;
  TextArena(TextArena&&) noexcept = default;
  TextArena& operator=(TextArena&&) noexcept = default;

  // Copies `text` (1 to kTextBytesMax bytes) in. Returns kNoRef when the
  // arena holds kChunksMax chunks and the text does not fit in the last one.
  Ref Add(std::string_view text);
  std::string_view Get(Ref ref, uint32_t bytes) const {
    return {chunks_[ref >> 16].get() + (ref & 0xffff), bytes};
  }
  // A text of `bytes` bytes is no longer referenced.
  void Release(uint32_t bytes) { garbage_bytes_ += bytes; }

  // Bytes of texts added and not released.
  uint64_t live_bytes() const { return added_bytes_ - garbage_bytes_; }
  uint64_t garbage_bytes() const { return garbage_bytes_; }

 private:
  // Chunks grow from 1 KiB to 64 KiB so that a small registry stays small
  // and a large one wastes at most one chunk.
  static constexpr uint32_t kFirstChunkBytes = 1024;

  std::vector<std::unique_ptr<char[]>> chunks_;
  uint32_t last_chunk_bytes_ = 0;
  uint32_t last_chunk_used_ = 0;
  uint64_t added_bytes_ = 0;
  uint64_t garbage_bytes_ = 0;
};

}  // namespace sela::nodes
