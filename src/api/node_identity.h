// The key check of the v2 handshake (protocol/v2_handshake.h) done with
// auth/identity: the public key must be an Ed25519 or secp256k1 DER
// SubjectPublicKeyInfo, derive the principal (SHA-224(DER) || 0x02), and
// have signed the message.
//
// Thread-safety: the verifier is stateless; safe from any thread.
#pragma once

#include "protocol/v2_handshake.h"

namespace sela::api {

protocol::v2::KeyVerifier MakeKeyVerifier();

}  // namespace sela::api
