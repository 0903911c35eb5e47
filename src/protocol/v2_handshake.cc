#include "protocol/v2_handshake.h"

#include <cstring>

namespace sela::protocol::v2 {
namespace {

HandshakeFailure Failure(std::string_view code, std::string message) {
  const ErrorSpec* spec = FindError(code);
  return HandshakeFailure{code, spec ? spec->close_code : close_code::kBadHandshake, std::move(message)};
}

// Constant time, so that the comparison tells nothing about where a guess
// went wrong (the nonce is public, but the habit costs nothing).
bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

std::string AuthMessage(std::string_view nonce, std::string_view principal) {
  std::string m;
  m.reserve(1 + kDomain.size() + nonce.size() + principal.size());
  m += static_cast<char>(kDomain.size());
  m += kDomain;
  m += nonce;
  m += principal;
  return m;
}

Handshake::Handshake(const RandomBytes& random, int64_t now_ms) : issued_ms_(now_ms) {
  random(std::span<uint8_t>(reinterpret_cast<uint8_t*>(nonce_.data()), nonce_.size()));
}

std::expected<Auth, HandshakeFailure> Handshake::OnAuth(std::string_view payload, int64_t now_ms,
                                                        const KeyVerifier& verify, const HandshakeOptions& options) {
  if (spent_) return std::unexpected(Failure("already_authenticated", "this challenge was used already"));
  spent_ = true;
  if (now_ms > expires_ms(options)) {
    return std::unexpected(Failure("challenge_expired", "the challenge expired " +
                                                            std::to_string(now_ms - expires_ms(options)) +
                                                            " ms ago; reconnect for a new one"));
  }
  auto auth = DecodeAuth(payload, options.decode);
  if (!auth) return std::unexpected(Failure(auth.error().code, std::move(auth.error().message)));
  if (auth->nonce && !SameBytes(*auth->nonce, nonce())) {
    return std::unexpected(Failure("challenge_mismatch", "nonce is not this connection's challenge"));
  }
  switch (verify(auth->principal, auth->public_key_der, AuthMessage(nonce(), auth->principal), auth->signature)) {
    case KeyVerdict::kOk:
      return std::move(*auth);
    case KeyVerdict::kUnsupportedKey:
      return std::unexpected(
          Failure("unsupported_key", "public_key is not a DER SubjectPublicKeyInfo of an Ed25519 or secp256k1 key"));
    case KeyVerdict::kKeyMismatch:
      return std::unexpected(Failure("key_mismatch", "public_key does not derive principal " + auth->principal_text));
    case KeyVerdict::kBadSignature:
      break;
  }
  return std::unexpected(Failure("bad_signature", "signature does not verify over this connection's challenge"));
}

}  // namespace sela::protocol::v2
