// Fuzzes node protocol v1 decoding: any payload, as a registration frame
// (with and without a principal from the connection) and as a node message,
// must decode or fail with a typed error, never crash; every error encodes to
// a reply, and a decoded message passes through the principal check.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/v1_decode.h"
#include "protocol/v1_encode.h"
#include "protocol/v1_session.h"

namespace v1 = sela::protocol::v1;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  v1::DecodeOptions options;
  options.message_bytes_max = 4096;
  options.registration_bytes_max = 4096;
  options.result_bytes_max = 8192;
  const v1::EncodeOptions encode;

  auto registration = v1::DecodeRegistration(payload, std::nullopt, options);
  if (!registration) {
    if (v1::EncodeDecodeError(registration.error(), 1, encode).payload.empty()) std::abort();
  } else if (registration->principal_id.empty()) {
    std::abort();
  }
  if (!v1::DecodeRegistration(payload, std::string("node-principal"), options)) std::abort();

  auto message = v1::DecodeNodeMessage(payload, options);
  if (!message) {
    if (v1::EncodeDecodeError(message.error(), 1, encode).payload.empty()) std::abort();
    return 0;
  }
  (void)v1::CheckMessagePrincipal(*message, "node-principal");
  return 0;
}
