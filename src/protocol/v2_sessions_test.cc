#include "protocol/v2_sessions.h"

#include <gtest/gtest.h>

namespace sela::protocol::v2 {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
const std::string kAlice = std::string(28, 'a') + "\x02";
const std::string kBob = std::string(28, 'b') + "\x02";

RandomBytes Counter() {
  return [n = uint8_t{0}](std::span<uint8_t> out) mutable {
    for (uint8_t& b : out) b = ++n;
  };
}

std::vector<std::string> Texts(const ResumeOutcome& r) {
  std::vector<std::string> out;
  for (const auto& k : r.frames) out.push_back(k.text);
  return out;
}

uint64_t Push(SessionTable& t, SessionHandle h, std::string_view tag = {}) {
  const uint64_t seq = t.NextSeq(h);
  t.Keep(h, seq, "frame" + std::to_string(seq), tag);
  return seq;
}

TEST(V2Sessions, NumbersPushesFromOne) {
  SessionTable t;
  const SessionHandle h = t.Open(kAlice, 7, Counter());
  EXPECT_EQ(t.last_seq(h), 0u);
  EXPECT_EQ(Push(t, h), 1u);
  EXPECT_EQ(Push(t, h), 2u);
  EXPECT_EQ(t.last_seq(h), 2u);
  EXPECT_EQ(t.client_id(h), 7);
}

TEST(V2Sessions, ResumeWithinTheWindowReplaysWhatCameAfterLastSeq) {
  SessionTable t({.resume_window_ms = 120'000});
  const SessionHandle h = t.Open(kAlice, 7, Counter());
  Push(t, h);
  Push(t, h);
  Push(t, h);
  t.Detach(h, kT0);
  auto r = t.Resume(t.SessionId(h), kAlice, 1, kT0 + 120'000);
  ASSERT_EQ(r.kind, ResumeOutcome::Kind::kResumed);
  EXPECT_EQ(r.handle, h);
  EXPECT_EQ(Texts(r), (std::vector<std::string>{"frame2", "frame3"}));
  EXPECT_FALSE(r.gap);
  EXPECT_FALSE(r.was_attached);
  EXPECT_TRUE(t.attached(h));
  // Seq goes on where it was.
  EXPECT_EQ(Push(t, h), 4u);
}

TEST(V2Sessions, ResumeAfterTheWindowStartsAfresh) {
  SessionTable t({.resume_window_ms = 120'000});
  const SessionHandle h = t.Open(kAlice, 7, Counter());
  const std::string id = t.SessionId(h);
  t.Detach(h, kT0);
  EXPECT_EQ(t.Resume(id, kAlice, 0, kT0 + 120'001).kind, ResumeOutcome::Kind::kUnknown);
  EXPECT_EQ(t.size(), 0u);
}

TEST(V2Sessions, ExpireClosesDetachedSessionsPastTheirWindowOnly) {
  SessionTable t({.resume_window_ms = 1000});
  const SessionHandle a = t.Open(kAlice, 1, Counter());
  const SessionHandle b = t.Open(kBob, 2, Counter());
  t.Detach(a, kT0);
  t.Detach(b, kT0 + 500);
  EXPECT_TRUE(t.Expire(kT0 + 1000).empty());
  EXPECT_EQ(t.Expire(kT0 + 1001), std::vector<SessionHandle>{a});
  EXPECT_EQ(t.Expire(kT0 + 1501), std::vector<SessionHandle>{b});
  EXPECT_EQ(t.size(), 0u);
}

TEST(V2Sessions, PeekTellsWhatResumeWouldFindAndChangesNothing) {
  SessionTable t({.resume_window_ms = 1000});
  const SessionHandle h = t.Open(kAlice, 7, Counter());
  t.Detach(h, kT0);
  int64_t client_id = 0;
  EXPECT_EQ(t.Peek(t.SessionId(h), kAlice, kT0 + 1000, &client_id), ResumeOutcome::Kind::kResumed);
  EXPECT_EQ(client_id, 7);
  EXPECT_EQ(t.Peek(t.SessionId(h), kBob, kT0, &client_id), ResumeOutcome::Kind::kOtherPrincipal);
  EXPECT_EQ(t.Peek(t.SessionId(h), kAlice, kT0 + 1001, &client_id), ResumeOutcome::Kind::kUnknown);
  EXPECT_FALSE(t.attached(h));  // still detached
  EXPECT_EQ(t.size(), 1u);
}

TEST(V2Sessions, AnotherPrincipalCannotResume) {
  SessionTable t;
  const SessionHandle h = t.Open(kAlice, 7, Counter());
  Push(t, h);
  t.Detach(h, kT0);
  auto r = t.Resume(t.SessionId(h), kBob, 0, kT0);
  EXPECT_EQ(r.kind, ResumeOutcome::Kind::kOtherPrincipal);
  EXPECT_TRUE(r.frames.empty());
  // Alice still can.
  EXPECT_EQ(t.Resume(t.SessionId(h), kAlice, 0, kT0).kind, ResumeOutcome::Kind::kResumed);
}

TEST(V2Sessions, ResumingALiveSessionSaysItWasAttached) {
  SessionTable t;
  const SessionHandle h = t.Open(kAlice, 7, Counter());
  auto r = t.Resume(t.SessionId(h), kAlice, 0, kT0);
  ASSERT_EQ(r.kind, ResumeOutcome::Kind::kResumed);
  EXPECT_TRUE(r.was_attached);
}

TEST(V2Sessions, GuessedOrStaleIdsAreUnknown) {
  SessionTable t;
  const RandomBytes random = Counter();
  const SessionHandle h = t.Open(kAlice, 7, random);
  std::string id = t.SessionId(h);
  EXPECT_EQ(id.size(), 16u);
  std::string wrong = id;
  wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(t.Resume(wrong, kAlice, 0, kT0).kind, ResumeOutcome::Kind::kUnknown);
  EXPECT_EQ(t.Resume("", kAlice, 0, kT0).kind, ResumeOutcome::Kind::kUnknown);
  EXPECT_EQ(t.Resume("!!", kAlice, 0, kT0).kind, ResumeOutcome::Kind::kUnknown);
  t.Close(h);
  // The slot is reused with a new random part: the old id stays dead.
  const SessionHandle again = t.Open(kAlice, 8, random);
  EXPECT_EQ(again, h);
  EXPECT_EQ(t.Resume(id, kAlice, 0, kT0).kind, ResumeOutcome::Kind::kUnknown);
}

TEST(V2Sessions, TheLogIsBoundedAndSaysWhenFramesWereLost) {
  SessionTable t({.log_frames_max = 2});
  const SessionHandle h = t.Open(kAlice, 7, Counter());
  for (int i = 0; i < 4; ++i) Push(t, h);
  t.Detach(h, kT0);
  auto r = t.Resume(t.SessionId(h), kAlice, 1, kT0);
  EXPECT_EQ(Texts(r), (std::vector<std::string>{"frame3", "frame4"}));
  EXPECT_TRUE(r.gap);
  auto caught_up = t.Resume(t.SessionId(h), kAlice, 3, kT0);
  EXPECT_FALSE(caught_up.gap);
  EXPECT_EQ(Texts(caught_up), std::vector<std::string>{"frame4"});
}

TEST(V2Sessions, SettledJobsAreNotReplayed) {
  SessionTable t;
  const SessionHandle h = t.Open(kAlice, 7, Counter());
  Push(t, h, "job_1");
  Push(t, h, "job_2");
  t.Forget(h, "job_1");
  t.Detach(h, kT0);
  const auto r = t.Resume(t.SessionId(h), kAlice, 0, kT0);
  EXPECT_EQ(Texts(r), std::vector<std::string>{"frame2"});
  EXPECT_EQ(r.frames[0].tag, "job_2");
}

TEST(V2Sessions, RefusesNewSessionsBeyondItsBound) {
  SessionTable t({.sessions_max = 1});
  EXPECT_NE(t.Open(kAlice, 1, Counter()), kNoSession);
  EXPECT_EQ(t.Open(kBob, 2, Counter()), kNoSession);
}

}  // namespace
}  // namespace sela::protocol::v2
