// Fuzzes the WebSocket frame codec: arbitrary bytes, cut into arbitrary
// chunks, must never crash, read out of bounds or buffer past the message
// limit; events must respect the limits they promise.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "net/utf8.h"
#include "net/ws_codec.h"

namespace {

constexpr uint64_t kMaxMessage = 4096;

class Checker : public sela::net::WsEvents {
 public:
  bool OnMessage(bool text, std::string_view payload) override {
    if (payload.size() > kMaxMessage) std::abort();
    if (text && !sela::net::IsValidUtf8(reinterpret_cast<const uint8_t*>(payload.data()), payload.size())) {
      std::abort();
    }
    return true;
  }
  bool OnPing(std::string_view payload) override {
    if (payload.size() > 125) std::abort();
    return true;
  }
  bool OnPong(std::string_view payload) override {
    if (payload.size() > 125) std::abort();
    return true;
  }
  bool OnClose(uint16_t code, std::string_view) override {
    if (code != sela::net::close_code::kNoStatus && !sela::net::IsValidWireCloseCode(code)) std::abort();
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the chunk size used to deliver the rest.
  const size_t chunk = 1 + data[0] % 64;
  std::vector<uint8_t> input(data + 1, data + size);
  sela::net::WsReader reader;
  Checker checker;
  const sela::net::WsLimits limits{kMaxMessage, (data[0] & 0x80) == 0};
  for (size_t i = 0; i < input.size(); i += chunk) {
    const size_t n = std::min(chunk, input.size() - i);
    auto r = reader.Feed(std::span<uint8_t>(input.data() + i, n), limits, checker);
    // A partial frame never holds more than one maximal frame.
    if (reader.buffered_bytes() > kMaxMessage + 14 + chunk + kMaxMessage) std::abort();
    if (!r.ok()) break;
  }
  return 0;
}
