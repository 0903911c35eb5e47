#include "chain/identity.h"

namespace sela::chain {

Identity::Identity(auth::SigningKey key)
    : key_(std::make_shared<const auth::SigningKey>(std::move(key))), principal_(key_->principal()) {}

std::string_view Identity::public_key_der() const {
  return key_ ? std::string_view(key_->public_key_der()) : std::string_view();
}

Result<std::string> Identity::SignRequestId(std::string_view request_id) const {
  if (!key_) return Err(FailedPrecondition("the anonymous identity does not sign"));
  std::string message(kRequestDomainSeparator);
  message += request_id;
  return key_->Sign(message);
}

}  // namespace sela::chain
