#include "api/node_identity.h"

#include "auth/public_key.h"

namespace sela::api {

protocol::v2::KeyVerifier MakeKeyVerifier() {
  return [](std::string_view principal, std::string_view der, std::string_view message,
            std::string_view signature) {
    using protocol::v2::KeyVerdict;
    if (!auth::PublicKeyAlgorithm(der)) return KeyVerdict::kUnsupportedKey;
    if (auth::PrincipalOfPublicKey(der).bytes() != principal) return KeyVerdict::kKeyMismatch;
    // A point that is not on the curve cannot have signed anything.
    return auth::VerifySignature(der, message, signature, {.require_low_s = true}).ok() ? KeyVerdict::kOk
                                                                                        : KeyVerdict::kBadSignature;
  };
}

}  // namespace sela::api
