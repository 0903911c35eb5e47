// Identity: who signs the agent's requests. Either a signing key (Ed25519 or
// secp256k1; auth::SigningKey) whose self-authenticating principal is the
// sender, or the anonymous principal 2vxsx-fae, which sends no key and no
// signature.
//
// Thread-safety: immutable; Sign may run on several threads at once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/signing_key.h"
#include "codec/principal.h"
#include "core/status.h"

namespace sela::chain {

// "\x0Aic-request": what a sender signs is this followed by the request id.
inline constexpr std::string_view kRequestDomainSeparator = "\x0Aic-request";

class Identity {
 public:
  static Identity Anonymous() { return Identity(); }
  explicit Identity(auth::SigningKey key);

  const codec::Principal& principal() const { return principal_; }
  bool anonymous() const { return key_ == nullptr; }
  // Empty for the anonymous identity.
  std::string_view public_key_der() const;
  // The sender signature of a 32-byte request id. FailedPrecondition for
  // the anonymous identity.
  Result<std::string> SignRequestId(std::string_view request_id) const;

 private:
  Identity() : principal_(codec::Principal::Anonymous()) {}
  std::shared_ptr<const auth::SigningKey> key_;  // Shared: copies of an identity sign alike.
  codec::Principal principal_;
};

}  // namespace sela::chain
