// The protocol v2 handshake as a pure state machine (ARCHITECTURE.md §5):
//
//   server: {"type":"challenge","nonce":N}     N = 32 random bytes, base64url
//   node:   {"type":"auth","principal":P,"public_key":K,"signature":S,...}
//   server: welcome, or an error and a close with a 4xxx code
//
// S signs m = 0x0C || "sela-v2-auth" || nonce (32 bytes) || principal bytes
// (29 for a self-authenticating principal). A nonce is good once, on its own
// connection (each connection draws its own and no other connection can use
// it), for challenge_ttl_ms (30 s).
//
// The module is pure: the caller passes the time, the random source and the
// key check. The server's key check is auth/identity (ParsePublicKeyDer,
// SelfAuthenticatingPrincipal, VerifySignature); tests may use a fake.
//
// Thread-safety: a Handshake belongs to one connection, on one thread.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/v2_codec.h"
#include "protocol/v2_messages.h"

namespace sela::protocol::v2 {

// Fills the span with random bytes (the server: a CSPRNG).
using RandomBytes = std::function<void(std::span<uint8_t>)>;

enum class KeyVerdict : uint8_t {
  kOk,
  kUnsupportedKey,  // Not an Ed25519 or secp256k1 DER SubjectPublicKeyInfo.
  kKeyMismatch,     // The key does not derive the principal.
  kBadSignature,    // The signature does not verify over the message.
};

// (principal bytes, public key DER, message m, signature) → verdict.
using KeyVerifier = std::function<KeyVerdict(std::string_view, std::string_view, std::string_view, std::string_view)>;

struct HandshakeOptions {
  int64_t challenge_ttl_ms = 30'000;
  DecodeOptions decode;
};

struct HandshakeFailure {
  std::string_view code;  // A kErrorSpecs code.
  uint16_t close_code = 0;
  std::string message;
};

// m for a nonce and principal bytes.
std::string AuthMessage(std::string_view nonce, std::string_view principal);

class Handshake {
 public:
  // Draws the nonce now; issued at now_ms.
  Handshake(const RandomBytes& random, int64_t now_ms);

  std::string_view nonce() const { return {nonce_.data(), nonce_.size()}; }
  int64_t expires_ms(const HandshakeOptions& options) const { return issued_ms_ + options.challenge_ttl_ms; }
  std::string ChallengeFrame() const { return EncodeChallenge(nonce()); }

  // Checks the auth frame received at now_ms. The nonce is spent by the
  // first call whatever its outcome: a node gets one try per challenge.
  std::expected<Auth, HandshakeFailure> OnAuth(std::string_view payload, int64_t now_ms, const KeyVerifier& verify,
                                               const HandshakeOptions& options);
  bool spent() const { return spent_; }

 private:
  std::array<char, kNonceBytes> nonce_{};
  int64_t issued_ms_ = 0;
  bool spent_ = false;
};

}  // namespace sela::protocol::v2
