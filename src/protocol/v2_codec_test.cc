#include "protocol/v2_codec.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "codec/base64.h"
#include "codec/principal.h"

namespace sela::protocol::v2 {
namespace {

const DecodeOptions kOptions;

std::string Principal() { return codec::Principal::FromBytes(std::string(28, '\x11') + "\x02")->ToText(); }

std::string AuthFrame(std::string extra = {}) {
  return R"({"type":"auth","principal":")" + Principal() + R"(","public_key":")" +
         codec::Base64UrlEncode(std::string(44, 'k')) + R"(","signature":")" +
         codec::Base64UrlEncode(std::string(64, 's')) + "\"" + extra + "}";
}

TEST(V2DecodeAuth, ReadsEveryField) {
  auto a = DecodeAuth(AuthFrame(R"(,"nonce":")" + codec::Base64UrlEncode(std::string(32, 'n')) +
                                R"(","resume":{"session_id":"abc","last_seq":7},"app_version":"1.2","platform":"android")"),
                      kOptions);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->principal_text, Principal());
  EXPECT_EQ(a->principal, std::string(28, '\x11') + "\x02");
  EXPECT_EQ(a->public_key_der, std::string(44, 'k'));
  EXPECT_EQ(a->signature, std::string(64, 's'));
  EXPECT_EQ(a->nonce, std::string(32, 'n'));
  ASSERT_TRUE(a->resume);
  EXPECT_EQ(a->resume->session_id, "abc");
  EXPECT_EQ(a->resume->last_seq, 7u);
  EXPECT_EQ(a->app_version, "1.2");
  EXPECT_EQ(a->platform, "android");
}

TEST(V2DecodeAuth, RefusesMalformedFramesAsAuthMalformed) {
  const std::string cases[] = {
      "", "[]", "{}", R"({"type":"ping"})", "not json",
      R"({"type":"auth","principal":"2vxsx-fab","public_key":"AA","signature":"AA"})",
      AuthFrame(R"(,"nonce":"short")"),
      AuthFrame(R"(,"resume":{"session_id":"abc"})"),
      AuthFrame(R"(,"resume":{"session_id":"abc","last_seq":-1})"),
      AuthFrame(R"(,"app_version":")" + std::string(65, 'v') + "\""),
      R"({"type":"auth","principal":")" + Principal() + R"(","public_key":"a+b","signature":"AA"})",
      AuthFrame(std::string(",\"pad\":\"") + std::string(5000, 'x') + "\""),  // above auth_bytes_max
  };
  for (const std::string& c : cases) {
    auto a = DecodeAuth(c, kOptions);
    ASSERT_FALSE(a) << c;
    EXPECT_EQ(a.error().code, "auth_malformed") << c;
  }
}

TEST(V2DecodeAuth, CallsAShortSignatureABadSignature) {
  const std::string frame = R"({"type":"auth","principal":")" + Principal() + R"(","public_key":")" +
                            codec::Base64UrlEncode(std::string(44, 'k')) + R"(","signature":")" +
                            codec::Base64UrlEncode(std::string(63, 's')) + "\"}";
  auto a = DecodeAuth(frame, kOptions);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, "bad_signature");
}

TEST(V2DecodeRequest, DecodesEveryRequestAndKeepsTheId) {
  auto p = DecodeRequest(R"({"type":"ping","id":"a-1"})", kOptions);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, "\"a-1\"");
  EXPECT_EQ(TypeOf(p->request), MessageType::kPing);
  auto s = DecodeRequest(R"({"type":"speed_test","id":42,"download_mbps":87.5,"ping_ms":12})", kOptions);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "42");
  EXPECT_EQ(std::get<SpeedTest>(s->request).download_mbps, 87.5);
  EXPECT_EQ(std::get<SpeedTest>(s->request).ping_ms, 12);
  auto st = DecodeRequest(R"({"type":"status","active":false,"platform":"ios"})", kOptions);
  ASSERT_TRUE(st);
  EXPECT_EQ(std::get<StatusUpdate>(st->request).active, false);
  EXPECT_TRUE(std::get_if<JobRequest>(&DecodeRequest(R"({"type":"job_request"})", kOptions)->request));
  EXPECT_TRUE(std::get_if<Token>(&DecodeRequest(R"({"type":"token"})", kOptions)->request));
  auto r = DecodeRequest(R"({"type":"result","job_id":"job_1_2","content":{"a":[1]}})", kOptions);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<JobResult>(r->request).job_id, "job_1_2");
  EXPECT_EQ(boost::json::serialize(*std::get<JobResult>(r->request).content), R"({"a":[1]})");
}

TEST(V2DecodeRequest, ReadsEmptyResultsAsNoContent) {
  for (std::string_view content : {"", R"(,"content":null)", R"(,"content":"")", R"(,"content":[])"}) {
    auto r = DecodeRequest(std::string(R"({"type":"result","job_id":"j")") + std::string(content) + "}", kOptions);
    ASSERT_TRUE(r) << content;
    EXPECT_FALSE(std::get<JobResult>(r->request).content) << content;
  }
  auto html = DecodeRequest(R"({"type":"result","job_id":"j","content":"<html>"})", kOptions);
  EXPECT_TRUE(std::get<JobResult>(html->request).content);
}

TEST(V2DecodeRequest, NamesWhatIsWrong) {
  struct Case {
    std::string frame;
    std::string_view code;
  } cases[] = {
      {"nope", "bad_frame"},
      {"[1]", "bad_frame"},
      {R"({"id":1})", "bad_frame"},
      {R"({"type":7})", "bad_frame"},
      {R"({"type":"PING"})", "unknown_type"},
      {R"({"type":"ping","id":-1})", "bad_field"},
      {R"({"type":"ping","id":1.5})", "bad_field"},
      {R"({"type":"ping","id":""})", "bad_field"},
      {R"({"type":"ping","id":"has space"})", "bad_field"},
      {R"({"type":"ping","id":9007199254740992})", "bad_field"},
      {R"({"type":"speed_test"})", "bad_field"},
      {R"({"type":"speed_test","download_mbps":-1})", "bad_field"},
      {R"({"type":"speed_test","download_mbps":100001})", "bad_field"},
      {R"({"type":"speed_test","download_mbps":"fast"})", "bad_field"},
      {R"({"type":"status","active":"yes"})", "bad_field"},
      {R"({"type":"result"})", "invalid_result"},
      {R"({"type":"result","job_id":""})", "invalid_result"},
      {R"({"type":"result","job_id":"a b"})", "invalid_result"},
      {R"({"type":"auth"})", "already_authenticated"},
      {R"({"type":"ping","pad":")" + std::string(70'000, 'x') + "\"}", "too_large"},
  };
  for (const Case& c : cases) {
    auto d = DecodeRequest(c.frame, kOptions);
    ASSERT_FALSE(d) << c.frame.substr(0, 80);
    EXPECT_EQ(d.error().code, c.code) << c.frame.substr(0, 80) << ": " << d.error().message;
    EXPECT_NE(FindError(d.error().code), nullptr);
  }
  // The id survives into the error when it was readable.
  EXPECT_EQ(DecodeRequest(R"({"type":"nope","id":"x"})", kOptions).error().id, "\"x\"");
}

TEST(V2Encode, WritesTypeThenIdThenSeqThenFields) {
  EXPECT_EQ(EncodePong("\"a\"", 5), R"({"type":"pong","id":"a","time_ms":5})");
  EXPECT_EQ(EncodePong({}, 5), R"({"type":"pong","time_ms":5})");
  EXPECT_EQ(EncodeJob({"job_1_0", "HTML", "https://x.test/", 1, 2, 3, 99}, 4, "7"),
            R"({"type":"job","id":7,"seq":4,"job_id":"job_1_0","kind":"HTML","url":"https://x.test/",)"
            R"("post_count":1,"replies_count":2,"scroll_pause_ms":3,"lease_expires_ms":99})");
  EXPECT_EQ(EncodeError("bad_field", "x: bad", "1", 1500),
            R"({"type":"error","id":1,"code":"bad_field","message":"x: bad","retry_after_ms":1500})");
  EXPECT_EQ(EncodeNotice(2, "hi", R"({"k":1})"), R"({"type":"notice","seq":2,"message":"hi","data":{"k":1}})");
  EXPECT_EQ(EncodeDrain(3, "restart", 5000),
            R"({"type":"drain","seq":3,"reason":"restart","reconnect_after_ms":5000})");
  EXPECT_EQ(EncodeChallenge(std::string(32, '\0')),
            R"({"type":"challenge","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})");
  EXPECT_EQ(EncodeResultOk({}, "j", 0.25), R"({"type":"result_ok","job_id":"j","reward_sp":0.25})");
}

TEST(V2Tables, EveryFrameNameIsUniqueAndEveryRequestHasAReplyFrame) {
  for (const MessageSpec& m : kMessageSpecs) {
    EXPECT_EQ(FindMessage(m.name), &m);
    bool reply_known = false;
    for (const ServerFrameSpec& f : kServerFrameSpecs) reply_known |= f.name == m.reply;
    EXPECT_TRUE(reply_known) << m.name;
  }
  for (const ErrorSpec& e : kErrorSpecs) EXPECT_EQ(FindError(e.code), &e);
}

}  // namespace
}  // namespace sela::protocol::v2
