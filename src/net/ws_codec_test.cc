#include "net/ws_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sela::net {
namespace {

struct Recorded {
  std::vector<std::pair<bool, std::string>> messages;
  std::vector<std::string> pings;
  std::vector<std::string> pongs;
  int close_code = -1;
  std::string close_reason;
};

class Recorder : public WsEvents {
 public:
  Recorded r;
  bool OnMessage(bool text, std::string_view p) override {
    r.messages.emplace_back(text, std::string(p));
    return true;
  }
  bool OnPing(std::string_view p) override {
    r.pings.emplace_back(p);
    return true;
  }
  bool OnPong(std::string_view p) override {
    r.pongs.emplace_back(p);
    return true;
  }
  bool OnClose(uint16_t code, std::string_view reason) override {
    r.close_code = code;
    r.close_reason = std::string(reason);
    return true;
  }
};

// A masked client frame.
std::string ClientFrame(uint8_t first_byte, std::string_view payload, bool mask = true) {
  std::string f;
  f.push_back(static_cast<char>(first_byte));
  const uint8_t m = mask ? 0x80 : 0;
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(m | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    f.push_back(static_cast<char>(m | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xFF));
  }
  const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
  if (mask) f.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    f.push_back(static_cast<char>(payload[i] ^ (mask ? key[i % 4] : 0)));
  }
  return f;
}

WsFeedResult FeedAll(WsReader& reader, Recorder& rec, std::string bytes, size_t chunk = 0,
                     uint64_t max = 1 << 20) {
  WsLimits limits{max, true};
  if (chunk == 0) chunk = bytes.size();
  WsFeedResult last;
  for (size_t i = 0; i < bytes.size(); i += chunk) {
    std::string part = bytes.substr(i, chunk);
    last = reader.Feed(std::span<uint8_t>(reinterpret_cast<uint8_t*>(part.data()), part.size()),
                       limits, rec);
    if (!last.ok()) return last;
  }
  return last;
}

TEST(WsReader, DeliversATextMessageAndHoldsNoBufferAfterwards) {
  WsReader reader;
  Recorder rec;
  EXPECT_TRUE(FeedAll(reader, rec, ClientFrame(0x81, "hello")).ok());
  ASSERT_EQ(rec.r.messages.size(), 1u);
  EXPECT_TRUE(rec.r.messages[0].first);
  EXPECT_EQ(rec.r.messages[0].second, "hello");
  EXPECT_TRUE(reader.idle());
}

TEST(WsReader, ReassemblesFramesDeliveredOneByteAtATime) {
  for (size_t size : {0u, 125u, 126u, 127u, 65535u, 65536u, 70000u}) {
    WsReader reader;
    Recorder rec;
    std::string payload(size, 'x');
    ASSERT_TRUE(FeedAll(reader, rec, ClientFrame(0x82, payload), size > 1000 ? 997 : 1).ok());
    ASSERT_EQ(rec.r.messages.size(), 1u) << size;
    EXPECT_EQ(rec.r.messages[0].second.size(), size);
    EXPECT_TRUE(reader.idle());
  }
}

TEST(WsReader, JoinsFragmentsWithControlFramesInBetween) {
  WsReader reader;
  Recorder rec;
  std::string bytes = ClientFrame(0x01, "Hel") + ClientFrame(0x89, "p") + ClientFrame(0x80, "lo");
  ASSERT_TRUE(FeedAll(reader, rec, bytes).ok());
  ASSERT_EQ(rec.r.pings.size(), 1u);
  ASSERT_EQ(rec.r.messages.size(), 1u);
  EXPECT_EQ(rec.r.messages[0].second, "Hello");
  EXPECT_TRUE(reader.idle());
}

TEST(WsReader, FailsProtocolErrorsWith1002) {
  const std::vector<std::string> bad = {
      ClientFrame(0x91, "x"),                 // RSV1
      ClientFrame(0x83, "x"),                 // reserved opcode
      ClientFrame(0x8B, "x"),                 // reserved control opcode
      ClientFrame(0x09, "x"),                 // fragmented ping
      ClientFrame(0x89, std::string(126, 'p')),  // control frame too long
      ClientFrame(0x80, "x"),                 // continuation without start
      ClientFrame(0x01, "a") + ClientFrame(0x81, "b"),  // new message while fragmented
      ClientFrame(0x81, "x", false),          // unmasked
      ClientFrame(0x88, "x"),                 // close payload of one byte
      ClientFrame(0x88, std::string("\x03\xe7", 2)),  // close code 999
      ClientFrame(0x88, std::string("\x03\xed", 2)),  // close code 1005
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    WsReader reader;
    Recorder rec;
    WsFeedResult r = FeedAll(reader, rec, bad[i]);
    EXPECT_EQ(r.error_code, 1002) << "case " << i;
    EXPECT_TRUE(rec.r.messages.empty()) << "case " << i;
  }
}

TEST(WsReader, RejectsInvalidUtf8With1007EvenAcrossFragments) {
  WsReader a;
  Recorder ra;
  EXPECT_EQ(FeedAll(a, ra, ClientFrame(0x81, "\xed\xa0\x80")).error_code, 1007);  // surrogate
  WsReader b;
  Recorder rb;
  // A truncated sequence at the end of a fragmented message.
  EXPECT_EQ(FeedAll(b, rb, ClientFrame(0x01, "ok") + ClientFrame(0x80, "\xe2\x82")).error_code, 1007);
  WsReader c;
  Recorder rc;
  // A valid character split across fragments is fine.
  ASSERT_TRUE(FeedAll(c, rc, ClientFrame(0x01, "\xe2") + ClientFrame(0x80, "\x82\xac")).ok());
  EXPECT_EQ(rc.r.messages.at(0).second, "\xe2\x82\xac");
}

TEST(WsReader, RejectsOversizedMessagesFromTheHeaderAlone) {
  WsReader reader;
  Recorder rec;
  // Only the header of a 2 MiB frame: rejected without buffering the payload.
  std::string header = ClientFrame(0x82, std::string(2 << 20, 'x')).substr(0, 14);
  EXPECT_EQ(FeedAll(reader, rec, header).error_code, 1009);
  WsReader frag;
  Recorder rf;
  std::string half(600 * 1024, 'y');
  EXPECT_EQ(FeedAll(frag, rf, ClientFrame(0x02, half) + ClientFrame(0x80, half)).error_code, 1009);
}

// Takes oversized messages by skipping them, and keeps what it was given.
class Skipper : public Recorder {
 public:
  std::vector<std::pair<bool, uint64_t>> too_big;  // (text, bytes) at the start.
  std::string skipped;
  int lasts = 0;
  bool OnTooBig(bool text, uint64_t bytes) override {
    too_big.emplace_back(text, bytes);
    return true;
  }
  bool OnTooBigData(std::string_view piece, bool last) override {
    skipped.append(piece);
    lasts += last;
    return true;
  }
};

TEST(WsReader, SkipsAnOversizedMessageWithoutBufferingItAndGoesOn) {
  for (size_t chunk : {0u, 1u, 7u, 4096u}) {
    WsReader reader;
    Skipper rec;
    std::string big(300 * 1024, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31);
    const std::string bytes = ClientFrame(0x82, big) + ClientFrame(0x81, "after");
    ASSERT_TRUE(FeedAll(reader, rec, bytes, chunk, 64 * 1024).ok()) << chunk;
    ASSERT_EQ(rec.too_big.size(), 1u);
    EXPECT_FALSE(rec.too_big[0].first);
    EXPECT_EQ(rec.too_big[0].second, big.size());
    EXPECT_EQ(rec.skipped, big);  // Unmasked, in order.
    EXPECT_EQ(rec.lasts, 1);
    ASSERT_EQ(rec.r.messages.size(), 1u) << chunk;
    EXPECT_EQ(rec.r.messages[0].second, "after");
    EXPECT_TRUE(reader.idle());
    EXPECT_LT(reader.buffered_bytes(), 64u);
  }
}

TEST(WsReader, SkipsAFragmentedMessageThatGrowsTooBigFromItsFirstFragment) {
  WsReader reader;
  Skipper rec;
  const std::string a(40 * 1024, 'a'), b(40 * 1024, 'b'), c(10, 'c');
  const std::string bytes = ClientFrame(0x01, a) + ClientFrame(0x89, "p") + ClientFrame(0x00, b) +
                            ClientFrame(0x00, "") + ClientFrame(0x80, c) + ClientFrame(0x81, "next");
  ASSERT_TRUE(FeedAll(reader, rec, bytes, 1000, 64 * 1024).ok());
  ASSERT_EQ(rec.too_big.size(), 1u);
  EXPECT_TRUE(rec.too_big[0].first);
  EXPECT_EQ(rec.too_big[0].second, a.size() + b.size());
  EXPECT_EQ(rec.skipped, a + b + c);
  EXPECT_EQ(rec.lasts, 1);
  EXPECT_EQ(rec.r.pings.size(), 1u);
  ASSERT_EQ(rec.r.messages.size(), 1u);
  EXPECT_EQ(rec.r.messages[0].second, "next");
}

TEST(WsReader, ANewMessageInsideASkippedOneIsStillAProtocolError) {
  WsReader reader;
  Skipper rec;
  const std::string bytes = ClientFrame(0x01, std::string(70 * 1024, 'a')) + ClientFrame(0x81, "x");
  EXPECT_EQ(FeedAll(reader, rec, bytes, 0, 64 * 1024).error_code, 1002);
}

TEST(WsReader, ReportsCloseAndIgnoresLaterInput) {
  WsReader reader;
  Recorder rec;
  std::string close = ClientFrame(0x88, std::string("\x03\xe8", 2) + "bye");
  ASSERT_TRUE(FeedAll(reader, rec, close + ClientFrame(0x81, "late")).ok());
  EXPECT_EQ(rec.r.close_code, 1000);
  EXPECT_EQ(rec.r.close_reason, "bye");
  EXPECT_TRUE(rec.r.messages.empty());
}

TEST(WsReader, KnowsWhatAnIncompleteFrameWillNeedBeforeItArrives) {
  WsReader reader;
  Recorder rec;
  const std::string frame = ClientFrame(0x82, std::string(100000, 'x'));
  // Header and a little payload: what is held is small, what is needed is
  // the whole frame, known from its header.
  ASSERT_TRUE(FeedAll(reader, rec, frame.substr(0, 1000)).ok());
  EXPECT_LT(reader.held_bytes(), 4000u);
  EXPECT_GE(reader.need_bytes(), frame.size());
  reader.ReserveForFrame();
  EXPECT_GE(reader.held_bytes(), frame.size());
  ASSERT_TRUE(FeedAll(reader, rec, frame.substr(1000)).ok());
  ASSERT_EQ(rec.r.messages.size(), 1u);
  EXPECT_TRUE(reader.idle());
  EXPECT_EQ(reader.held_bytes(), 0u);
}

TEST(WsReader, AnIncompleteMessageKeepsItsStartTimeUntilItCompletes) {
  WsReader reader;
  Recorder rec;
  ASSERT_TRUE(FeedAll(reader, rec, ClientFrame(0x01, "frag")).ok());  // Text, not final.
  EXPECT_EQ(reader.partial_since(), 0);
  reader.set_partial_since(42);
  // A ping between fragments is not the end of the message.
  ASSERT_TRUE(FeedAll(reader, rec, ClientFrame(0x89, "p")).ok());
  EXPECT_EQ(reader.partial_since(), 42);
  // The last fragment and the start of the next frame in one read: the new
  // incomplete frame starts its own time.
  const std::string next = ClientFrame(0x81, std::string(300, 'y'));
  ASSERT_TRUE(FeedAll(reader, rec, ClientFrame(0x80, "ment") + next.substr(0, 10)).ok());
  ASSERT_EQ(rec.r.messages.size(), 1u);
  EXPECT_EQ(rec.r.messages[0].second, "fragment");
  EXPECT_FALSE(reader.idle());
  EXPECT_EQ(reader.partial_since(), 0);
}

TEST(WsReader, AbandoningFreesTheBuffersAndIgnoresLaterInput) {
  WsReader reader;
  Recorder rec;
  const std::string frame = ClientFrame(0x82, std::string(200000, 'x'));
  ASSERT_TRUE(FeedAll(reader, rec, frame.substr(0, 150000)).ok());
  EXPECT_GE(reader.held_bytes(), 150000u);
  reader.Abandon();
  EXPECT_TRUE(reader.closed());
  EXPECT_LT(reader.held_bytes(), 1000u);
  ASSERT_TRUE(FeedAll(reader, rec, frame.substr(150000)).ok());
  EXPECT_TRUE(rec.r.messages.empty());
}

TEST(WsReader, ALargeFramesBufferIsNotKeptForTheSmallRemainderAfterIt) {
  WsReader reader;
  Recorder rec;
  const std::string big = ClientFrame(0x82, std::string(300000, 'x'));
  const std::string small = ClientFrame(0x81, "tail");
  ASSERT_TRUE(FeedAll(reader, rec, big.substr(0, 1000)).ok());
  reader.ReserveForFrame();
  ASSERT_TRUE(FeedAll(reader, rec, big.substr(1000) + small.substr(0, 3)).ok());
  EXPECT_EQ(rec.r.messages.size(), 1u);
  EXPECT_LT(reader.held_bytes(), 20000u);
}

TEST(WsWriter, EncodesLengthsInTheShortestForm) {
  std::string out;
  AppendWsFrame(out, WsOpcode::kText, std::string(125, 'a'));
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x81);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 125);
  out.clear();
  AppendWsFrame(out, WsOpcode::kBinary, std::string(126, 'a'));
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 126);
  EXPECT_EQ(out.size(), 4u + 126);
  out.clear();
  AppendWsFrame(out, WsOpcode::kBinary, std::string(65536, 'a'));
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 127);
  EXPECT_EQ(out.size(), 10u + 65536);
}

TEST(WsWriter, CutsLongCloseReasonsOnACharacterBoundary) {
  std::string out;
  std::string reason;
  for (int i = 0; i < 100; ++i) reason += "\xc3\xa9";  // 200 bytes of 'é'
  AppendWsClose(out, 1000, reason);
  const size_t payload = static_cast<uint8_t>(out[1]);
  EXPECT_LE(payload, 125u);
  EXPECT_EQ((payload - 2) % 2, 0u);
}

}  // namespace
}  // namespace sela::net
