#include "net/utf8.h"

#include <cstring>

namespace sela::net {
namespace {

// Byte classes and transitions of Bjoern Hoehrmann's UTF-8 DFA (states are
// multiples of 12; 0 accepts, 12 rejects).
struct ClassTable {
  uint8_t v[256];
};

constexpr ClassTable MakeClassTable() {
  ClassTable t{};
  auto fill = [&t](int lo, int hi, uint8_t c) {
    for (int b = lo; b <= hi; ++b) t.v[b] = c;
  };
  fill(0x00, 0x7f, 0);
  fill(0x80, 0x8f, 1);
  fill(0x90, 0x9f, 9);
  fill(0xa0, 0xbf, 7);
  fill(0xc0, 0xc1, 8);
  fill(0xc2, 0xdf, 2);
  fill(0xe0, 0xe0, 10);
  fill(0xe1, 0xec, 3);
  fill(0xed, 0xed, 4);
  fill(0xee, 0xef, 3);
  fill(0xf0, 0xf0, 11);
  fill(0xf1, 0xf3, 6);
  fill(0xf4, 0xf4, 5);
  fill(0xf5, 0xff, 8);
  return t;
}

constexpr ClassTable kClassTable = MakeClassTable();
constexpr const uint8_t* kClass = kClassTable.v;

constexpr uint8_t kTransition[108] = {
    0,  12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 0,  12, 12, 12, 12, 12, 0,  12, 0,  12, 12, 12, 24, 12, 12, 12, 12, 12, 24,
    12, 24, 12, 12, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12,
    12, 12, 12, 24, 12, 12, 12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, 12, 36, 12, 12,
    12, 12, 12, 36, 12, 36, 12, 12, 12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
};

}  // namespace

bool Utf8Validator::Feed(const uint8_t* data, size_t size) {
  uint8_t state = state_;
  size_t i = 0;
  // ASCII fast path: eight bytes at a time while in the accept state.
  while (i < size) {
    if (state == kAccept) {
      while (i + 8 <= size) {
        uint64_t word;
        std::memcpy(&word, data + i, 8);
        if (word & 0x8080808080808080ull) break;
        i += 8;
      }
      if (i == size) break;
    }
    state = kTransition[state + kClass[data[i]]];
    if (state == kReject) {
      state_ = state;
      return false;
    }
    ++i;
  }
  state_ = state;
  return true;
}

bool IsValidUtf8(const uint8_t* data, size_t size) {
  Utf8Validator v;
  return v.Feed(data, size) && v.complete();
}

}  // namespace sela::net
