// Xorshift64*: the load generator's only random source.
//
// Masks, handshake keys and synthetic principals all come from this generator,
// seeded from --seed, so two runs with the same options send the same bytes.
// It is not cryptographic and does not need to be: masking only has to defeat
// proxy cache poisoning, and the peer is a local test server.
//
// Thread-safety: a value type; one instance per event loop.
#pragma once

#include <cstdint>

namespace loadgen {

// SplitMix64 step. Spreads nearby seeds (worker 0, 1, 2...) over the whole
// state space, which plain xorshift does not do for small inputs.
constexpr uint64_t MixSeed(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Xorshift64 {
 public:
  explicit Xorshift64(uint64_t seed) : state_(MixSeed(seed)) {
    // An all-zero state would stay zero forever.
    if (state_ == 0) state_ = 0x2545f4914f6cdd1dULL;
  }

  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dULL;
  }

  uint32_t Next32() { return static_cast<uint32_t>(Next() >> 32); }

 private:
  uint64_t state_;
};

}  // namespace loadgen
