// Node protocol v2 as the load generator speaks it (docs/protocol-v2.md):
// the connection offers `Sec-WebSocket-Protocol: sela.v2`, the server sends
// {"type":"challenge","nonce":N}, the node answers with an Ed25519 signature
// over m = 0x0C || "sela-v2-auth" || nonce || principal bytes, and the server
// says {"type":"welcome",...}. Afterwards a heartbeat or ping is
// {"type":"ping"} and its reply {"type":"pong",...}.
//
// Each node has an Ed25519 key from a 32-byte seed that the run derives from
// its seed and the node's index, and the self-authenticating principal of
// that key (SHA-224 of the DER key, then 0x02). OpenSSL does the
// cryptography; written from the protocol document, not from src/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loadgen {

inline constexpr std::string_view kV2Subprotocol = "sela.v2";

struct V2Identity {
  std::string seed;             // 32 bytes: the Ed25519 private key.
  std::string public_key_der;   // 44 bytes.
  std::string principal_bytes;  // 29 bytes.
  std::string principal;        // Text form.
};

// The identity of node `index` in a run with `run_seed`; nullopt only when
// OpenSSL fails.
std::optional<V2Identity> MakeV2Identity(uint64_t run_seed, uint64_t index);

std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// The auth frame answering a challenge whose nonce (base64url) is given;
// nullopt when the nonce is malformed or signing fails.
std::optional<std::string> V2AuthMessage(const V2Identity& identity, std::string_view nonce_b64url);

inline constexpr std::string_view kV2PingMessage = R"({"type":"ping"})";

enum class V2Kind { kChallenge, kWelcome, kPong, kError, kJob, kResultOk, kOther };

// Classifies a server frame by its `type`.
V2Kind ClassifyV2(std::string_view payload);

}  // namespace loadgen
