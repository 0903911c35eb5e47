#include "api/node_identity.h"

#include "auth/identity.h"

namespace sela::api {

protocol::v2::KeyVerifier MakeKeyVerifier() {
  return [](std::string_view principal, std::string_view der, std::string_view message,
            std::string_view signature) {
    using protocol::v2::KeyVerdict;
    auto key = auth::ParsePublicKeyDer(der);
    if (!key) return KeyVerdict::kUnsupportedKey;
    if (auth::SelfAuthenticatingPrincipal(key->der) != principal) return KeyVerdict::kKeyMismatch;
    return auth::VerifySignature(*key, message, signature).ok() ? KeyVerdict::kOk : KeyVerdict::kBadSignature;
  };
}

}  // namespace sela::api
