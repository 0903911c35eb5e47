// RoundCertifier: the fake IC endpoint's certification in rounds
// (fake_ic.h, FakeIcOptions::round_us). The IC certifies its state once per
// round and every answer of that round carries the same signed root, each
// with a tree pruned to its own paths. Here the first answer that needs a
// certificate opens a round, waits `round` for others to join, then the
// round's tree (every member's leaves and /time) is signed once and each
// member gets a certificate whose tree keeps its own leaves and /time and
// prunes the rest. The root hash, hence the signature, is the round's.
//
// Threads: Certify blocks the calling connection thread until its round
// is signed; rounds overlap (one can fill while the last one signs).
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "chain/hash_tree.h"

namespace sela::chain::fake {

class RoundCertifier {
 public:
  using Leaves = std::vector<std::pair<std::vector<std::string>, std::string>>;
  // The round's /time leaf value (ULEB128 ns), read once per round.
  using TimeLeaf = std::function<std::string()>;
  // The signature of the round's root hash.
  using Sign = std::function<std::string(const std::string& root_hash)>;
  // A certificate from a pruned tree (CBOR) and the round's signature.
  using Issue = std::function<std::string(const std::string& tree_cbor, const std::string& signature)>;

  RoundCertifier(std::chrono::microseconds round, TimeLeaf time, Sign sign, Issue issue)
      : round_(round), time_(std::move(time)), sign_(std::move(sign)), issue_(std::move(issue)) {}

  std::string Certify(Leaves leaves);
  uint64_t rounds() const;
  uint64_t answers() const;

 private:
  struct Round {
    std::vector<Leaves> members;
    std::vector<std::string> certificates;
    bool done = false;
  };
  std::vector<std::string> SignRound(const std::vector<Leaves>& members) const;

  const std::chrono::microseconds round_;
  const TimeLeaf time_;
  const Sign sign_;
  const Issue issue_;
  mutable std::mutex mu_;
  std::condition_variable done_cv_;
  std::shared_ptr<Round> open_;  // Accepting members; guarded by mu_.
  uint64_t rounds_ = 0;          // Guarded by mu_.
  uint64_t answers_ = 0;         // Guarded by mu_.
};

}  // namespace sela::chain::fake
