#include "ws_frame.h"

#include <gtest/gtest.h>

namespace loadgen {
namespace {

std::string Unmask(std::string_view frame, size_t header_bytes, size_t length) {
  const std::string_view mask = frame.substr(header_bytes - 4, 4);
  std::string out(frame.substr(header_bytes, length));
  for (size_t i = 0; i < out.size(); ++i) out[i] ^= mask[i % 4];
  return out;
}

TEST(WsFrame, EncodesSmallMaskedTextFrame) {
  std::string out;
  AppendClientFrame(Opcode::kText, "Hello", 0x37fa213d, out);
  // RFC 6455 §5.7 example: a single-frame masked text message.
  const std::string expected("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  EXPECT_EQ(out, expected);
}

TEST(WsFrame, EncodesSixteenAndSixtyFourBitLengths) {
  for (const size_t n : {size_t{125}, size_t{126}, size_t{65535}, size_t{65536}}) {
    std::string payload(n, 'x');
    std::string out;
    AppendClientFrame(Opcode::kBinary, payload, 0x01020304, out);
    const size_t header = n < 126 ? 6 : n <= 65535 ? 8 : 14;
    ASSERT_EQ(out.size(), header + n) << n;
    EXPECT_EQ(static_cast<uint8_t>(out[1]) & 0x80, 0x80);
    EXPECT_EQ(Unmask(out, header, n), payload);
  }
}

TEST(WsFrame, EncodesCloseWithCode) {
  std::string out;
  AppendCloseFrame(1001, "bye", 0, out);
  EXPECT_EQ(out, std::string("\x88\x85\0\0\0\0\x03\xe9" "bye", 11));
}

TEST(WsFrame, DecodesServerFramesOfEverySize) {
  for (const size_t n : {size_t{0}, size_t{5}, size_t{126}, size_t{70000}}) {
    std::string frame;
    frame += '\x82';
    if (n < 126) {
      frame += static_cast<char>(n);
    } else if (n <= 65535) {
      frame += '\x7e';
      frame += static_cast<char>(n >> 8);
      frame += static_cast<char>(n & 0xff);
    } else {
      frame += '\x7f';
      for (int s = 56; s >= 0; s -= 8) frame += static_cast<char>((n >> s) & 0xff);
    }
    frame += std::string(n, 'p');
    const DecodeResult r = DecodeServerFrame(frame, 1 << 20);
    ASSERT_EQ(r.status, DecodeStatus::kFrame) << n;
    EXPECT_TRUE(r.frame.fin);
    EXPECT_EQ(r.frame.opcode, Opcode::kBinary);
    EXPECT_EQ(r.frame.payload_bytes, n);
    EXPECT_EQ(r.frame.total_bytes(), frame.size());
    // Every strict prefix asks for more.
    for (size_t cut : {size_t{0}, size_t{1}, frame.size() - 1}) {
      if (cut < frame.size()) {
        EXPECT_EQ(DecodeServerFrame(frame.substr(0, cut), 1 << 20).status, DecodeStatus::kNeedMore);
      }
    }
  }
}

TEST(WsFrame, RejectsWhatAClientMustReject) {
  const std::pair<std::string, std::string_view> cases[] = {
      {std::string("\xc1\x00", 2), "frame_reserved_bits"},
      {std::string("\x83\x00", 2), "frame_bad_opcode"},
      {std::string("\x81\x80\0\0\0\0", 6), "frame_masked_by_server"},
      {std::string("\x09\x00", 2), "frame_bad_control"},          // Fragmented ping.
      {std::string("\x89\x7e\x00\x7e", 4), "frame_bad_control"},  // Ping of 126 bytes.
  };
  for (const auto& [bytes, error] : cases) {
    const DecodeResult r = DecodeServerFrame(bytes, 1 << 20);
    EXPECT_EQ(r.status, DecodeStatus::kError) << error;
    EXPECT_EQ(r.error, error);
  }
}

TEST(WsFrame, RejectsPayloadAboveTheLimitFromTheHeaderAlone) {
  const std::string header("\x81\x7f\x00\x00\x00\x01\x00\x00\x00\x00", 10);
  const DecodeResult r = DecodeServerFrame(header, 1 << 20);
  EXPECT_EQ(r.status, DecodeStatus::kError);
  EXPECT_EQ(r.error, "frame_too_large");
}

TEST(WsFrame, ReadsCloseCodes) {
  EXPECT_EQ(CloseCode(std::string("\x03\xe8", 2)), 1000);
  EXPECT_EQ(CloseCode(""), 1005);
}

}  // namespace
}  // namespace loadgen
