#include "core/slot_deadlines.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "testing/fake_clock.h"

namespace sela {
namespace {

constexpr Millis kTick{100};
// A span of several ticks (the timer wheel's tests, which these follow,
// used it for one revolution of an 8-slot wheel).
constexpr Millis kRevolution = kTick * 8;

class SlotDeadlinesTest : public ::testing::Test {
 protected:
  // Moves the fake clock to start + since_start and advances the wheel to it,
  // recording what fires.
  void AdvanceTo(Millis since_start) {
    clock_.Advance(since_start - elapsed_);
    elapsed_ = since_start;
    wheel_.Advance(clock_.Now(), [this](uint32_t id) { fired_.push_back(id); });
  }
  MonoTime At(Millis since_start) const { return start_ + since_start; }

  testing::FakeClock clock_;
  const MonoTime start_ = clock_.Now();
  Millis elapsed_{0};
  SlotDeadlines wheel_{kTick, start_};
  std::vector<uint32_t> fired_;
};

TEST_F(SlotDeadlinesTest, NeverFiresBeforeTheDeadline) {
  wheel_.Schedule(7, At(Millis(250)));
  for (Millis t{0}; t < Millis(250); ++t) {
    AdvanceTo(t);
    ASSERT_TRUE(fired_.empty()) << "fired at +" << t.count() << " ms";
  }
  EXPECT_TRUE(wheel_.IsScheduled(7));
}

TEST_F(SlotDeadlinesTest, FiresWithinOneTickAfterTheDeadline) {
  wheel_.Schedule(7, At(Millis(250)));
  AdvanceTo(Millis(299));
  EXPECT_TRUE(fired_.empty());
  AdvanceTo(Millis(300));
  EXPECT_EQ(fired_, std::vector<uint32_t>{7});
  EXPECT_FALSE(wheel_.IsScheduled(7));
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(SlotDeadlinesTest, DeadlineOnATickBoundaryFiresAtThatTick) {
  wheel_.Schedule(1, At(Millis(300)));
  AdvanceTo(Millis(299));
  EXPECT_TRUE(fired_.empty());
  AdvanceTo(Millis(300));
  EXPECT_EQ(fired_, std::vector<uint32_t>{1});
}

TEST_F(SlotDeadlinesTest, FiresEachEntryOnce) {
  wheel_.Schedule(3, At(Millis(100)));
  AdvanceTo(Millis(100));
  AdvanceTo(Millis(100));
  AdvanceTo(Millis(200));
  AdvanceTo(kRevolution * 3);
  EXPECT_EQ(fired_, std::vector<uint32_t>{3});
}

TEST_F(SlotDeadlinesTest, PastDeadlineFiresOnTheNextAdvanceEvenWithoutTimePassing) {
  AdvanceTo(Millis(1000));
  wheel_.Schedule(4, At(Millis(10)));
  wheel_.Schedule(5, At(Millis(1000)));
  wheel_.Schedule(6, start_ - Millis(5000));
  AdvanceTo(Millis(1000));
  EXPECT_EQ(fired_.size(), 3u);
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(SlotDeadlinesTest, CancelledEntryDoesNotFire) {
  wheel_.Schedule(2, At(Millis(100)));
  wheel_.Schedule(3, At(Millis(100)));
  wheel_.Cancel(2);
  EXPECT_FALSE(wheel_.IsScheduled(2));
  EXPECT_EQ(wheel_.size(), 1u);
  AdvanceTo(Millis(500));
  EXPECT_EQ(fired_, std::vector<uint32_t>{3});
}

TEST_F(SlotDeadlinesTest, CancelOfAnUnscheduledIdIsANoOp) {
  wheel_.Cancel(0);
  wheel_.Cancel(1'000'000);
  wheel_.Schedule(1, At(Millis(100)));
  wheel_.Cancel(1);
  wheel_.Cancel(1);
  EXPECT_EQ(wheel_.size(), 0u);
  EXPECT_FALSE(wheel_.IsScheduled(1'000'000));
}

TEST_F(SlotDeadlinesTest, RescheduleReplacesTheEarlierDeadline) {
  wheel_.Schedule(9, At(Millis(100)));
  wheel_.Schedule(9, At(Millis(700)));
  EXPECT_EQ(wheel_.size(), 1u);
  AdvanceTo(Millis(600));
  EXPECT_TRUE(fired_.empty());
  AdvanceTo(Millis(700));
  EXPECT_EQ(fired_, std::vector<uint32_t>{9});

  fired_.clear();
  wheel_.Schedule(9, At(Millis(2000)));
  wheel_.Schedule(9, At(Millis(800)));
  AdvanceTo(Millis(800));
  EXPECT_EQ(fired_, std::vector<uint32_t>{9});
}

TEST_F(SlotDeadlinesTest, CallbackMayRescheduleItsOwnId) {
  wheel_.Schedule(1, At(Millis(200)));
  int fires = 0;
  const auto heartbeat = [&](uint32_t id) {
    ++fires;
    wheel_.Schedule(id, clock_.Now() + Millis(200));
  };
  for (int step = 1; step <= 10; ++step) {
    clock_.Advance(Millis(200));
    wheel_.Advance(clock_.Now(), heartbeat);
    EXPECT_EQ(fires, step);
  }
  EXPECT_TRUE(wheel_.IsScheduled(1));
}

TEST_F(SlotDeadlinesTest, CallbackCancellingAnotherDueEntryStopsItFiring) {
  // Same slot, and in different slots crossed by one Advance.
  wheel_.Schedule(1, At(Millis(100)));
  wheel_.Schedule(2, At(Millis(100)));
  wheel_.Schedule(3, At(Millis(300)));
  wheel_.Schedule(4, At(Millis(300)));
  std::vector<uint32_t> fired;
  wheel_.Advance(At(Millis(500)), [&](uint32_t id) {
    fired.push_back(id);
    wheel_.Cancel(id % 2 == 0 ? id - 1 : id + 1);
  });
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ((fired[0] + 1) / 2, 1u);
  EXPECT_EQ((fired[1] + 1) / 2, 2u);
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST(SlotDeadlines, CallbackMovingAnotherDueEntryAwayDoesNotSkipTheRestOfTheSlot) {
  // Which entry the walk reaches next is internal, so try moving each one.
  for (uint32_t moved = 1; moved <= 10; ++moved) {
    const MonoTime start;
    SlotDeadlines wheel(kTick, start);
    for (uint32_t id = 1; id <= 10; ++id) wheel.Schedule(id, start + kTick);
    std::vector<uint32_t> fired;
    wheel.Advance(start + kTick, [&](uint32_t id) {
      if (fired.empty() && id != moved) wheel.Schedule(moved, start + kRevolution * 3);
      fired.push_back(id);
    });
    std::sort(fired.begin(), fired.end());
    std::vector<uint32_t> expected;
    for (uint32_t id = 1; id <= 10; ++id) {
      if (id != moved || !wheel.IsScheduled(moved)) expected.push_back(id);
    }
    EXPECT_EQ(fired, expected) << "moved " << moved;
  }
}

TEST_F(SlotDeadlinesTest, CallbackMayScheduleOtherIdsIntoTheSlotBeingWalked) {
  wheel_.Schedule(1, At(Millis(100)));
  std::vector<uint32_t> fired;
  wheel_.Advance(At(Millis(100)), [&](uint32_t id) {
    fired.push_back(id);
    // Same slot a revolution later, and a new id that is not due.
    if (id == 1) wheel_.Schedule(2, At(Millis(100) + kRevolution));
  });
  EXPECT_EQ(fired, std::vector<uint32_t>{1});
  EXPECT_TRUE(wheel_.IsScheduled(2));
  AdvanceTo(Millis(100) + kRevolution);
  EXPECT_EQ(fired_, std::vector<uint32_t>{2});
}

TEST_F(SlotDeadlinesTest, CallbackReschedulingIntoThePastDoesNotLoop) {
  wheel_.Schedule(1, At(Millis(100)));
  int fires = 0;
  const auto stubborn = [&](uint32_t id) {
    ++fires;
    wheel_.Schedule(id, start_);
  };
  wheel_.Advance(At(Millis(100)), stubborn);
  EXPECT_GE(fires, 1);
  EXPECT_LE(fires, 2);
  const int after_first = fires;
  wheel_.Advance(At(Millis(100)), stubborn);
  EXPECT_GT(fires, after_first);
  EXPECT_TRUE(wheel_.IsScheduled(1));
}

TEST_F(SlotDeadlinesTest, EntryManyRevolutionsAwayWaitsForItsOwnTick) {
  const Millis deadline = kRevolution * 5 + Millis(300);
  wheel_.Schedule(11, At(deadline));
  wheel_.Schedule(12, At(Millis(300)));  // Same slot, due first.
  for (Millis t = kTick; t < deadline; t += kTick) {
    AdvanceTo(t);
    ASSERT_TRUE(wheel_.IsScheduled(11)) << "fired at +" << t.count() << " ms";
  }
  EXPECT_EQ(fired_, std::vector<uint32_t>{12});
  AdvanceTo(deadline);
  EXPECT_EQ(fired_, (std::vector<uint32_t>{12, 11}));
}

TEST_F(SlotDeadlinesTest, JumpAcrossManyRevolutionsFiresDueEntriesAndKeepsLaterOnes) {
  wheel_.Schedule(1, At(Millis(100)));
  wheel_.Schedule(2, At(kRevolution * 3 + Millis(500)));
  wheel_.Schedule(3, At(kRevolution * 40));
  wheel_.Schedule(4, At(kRevolution * 40 + Millis(1)));
  wheel_.Schedule(5, At(kRevolution * 1000));
  AdvanceTo(kRevolution * 40);
  std::sort(fired_.begin(), fired_.end());
  EXPECT_EQ(fired_, (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_TRUE(wheel_.IsScheduled(4));
  EXPECT_TRUE(wheel_.IsScheduled(5));
  AdvanceTo(kRevolution * 40 + kTick);
  EXPECT_EQ(fired_.back(), 4u);
}

TEST_F(SlotDeadlinesTest, ManyIdsEachFireOnceWithinOneTickOfTheirDeadline) {
  constexpr uint32_t kIds = 50'000;
  constexpr int64_t kHorizonMs = 20 * kRevolution.count();
  std::mt19937 random(20261125);
  std::uniform_int_distribution<int64_t> deadline_ms(0, kHorizonMs);
  std::vector<Millis> deadline(kIds);
  for (uint32_t id = 0; id < kIds; ++id) {
    deadline[id] = Millis(deadline_ms(random));
    wheel_.Schedule(id, At(deadline[id]));
  }
  EXPECT_EQ(wheel_.size(), kIds);
  std::vector<int> fires(kIds, 0);
  for (Millis t{0}; t <= Millis(kHorizonMs) + kTick; t += Millis(37)) {
    clock_.Advance(t - elapsed_);
    elapsed_ = t;
    wheel_.Advance(clock_.Now(), [&](uint32_t id) {
      ++fires[id];
      ASSERT_GE(t, deadline[id]) << "id " << id << " fired early";
      // One tick for rounding up, plus the 37 ms step of this test.
      ASSERT_LT(t, deadline[id] + kTick + Millis(37)) << "id " << id << " fired late";
    });
  }
  for (uint32_t id = 0; id < kIds; ++id) ASSERT_EQ(fires[id], 1) << "id " << id;
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(SlotDeadlinesTest, GrowsForLargeIdsOnDemand) {
  wheel_.Schedule(100'000, At(Millis(100)));
  EXPECT_TRUE(wheel_.IsScheduled(100'000));
  EXPECT_FALSE(wheel_.IsScheduled(99'999));
  EXPECT_FALSE(wheel_.IsScheduled(100'001));
  AdvanceTo(Millis(100));
  EXPECT_EQ(fired_, std::vector<uint32_t>{100'000});
}

TEST_F(SlotDeadlinesTest, EarlierNowIsTreatedAsThePreviousNow) {
  AdvanceTo(Millis(1000));
  wheel_.Schedule(1, At(Millis(1100)));
  wheel_.Advance(At(Millis(0)), [&](uint32_t id) { fired_.push_back(id); });
  EXPECT_TRUE(fired_.empty());
  AdvanceTo(Millis(1100));
  EXPECT_EQ(fired_, std::vector<uint32_t>{1});
}

TEST(SlotDeadlines, ManyIdsAcrossBlocksFireInOneAdvance) {
  const MonoTime start;
  SlotDeadlines d(Millis(50), start);
  for (uint32_t id = 0; id < 5 * SlotDeadlines::kBlock; id += 7) d.Schedule(id, start + Millis(100));
  const size_t scheduled = d.size();
  size_t fired = 0;
  d.Advance(start + Millis(99), [&](uint32_t) { ++fired; });
  EXPECT_EQ(fired, 0u);
  d.Advance(start + Millis(100), [&](uint32_t id) {
    EXPECT_EQ(id % 7, 0u);
    ++fired;
  });
  EXPECT_EQ(fired, scheduled);
  EXPECT_EQ(d.size(), 0u);
}

TEST(SlotDeadlines, EntryMovedLaterAfterTheBlockWasScannedStillFiresAtItsNewDeadline) {
  // The heartbeat pattern: deadlines keep moving later, so the block's
  // bound is stale-low; a scan at the stale bound must keep the entries.
  const MonoTime start;
  SlotDeadlines d(Millis(10), start);
  d.Schedule(3, start + Millis(100));
  d.Schedule(4, start + Millis(100));
  d.Schedule(3, start + Millis(1000));
  d.Schedule(4, start + Millis(500));
  std::vector<uint32_t> fired;
  const auto record = [&](uint32_t id) { fired.push_back(id); };
  d.Advance(start + Millis(100), record);
  d.Advance(start + Millis(490), record);
  EXPECT_TRUE(fired.empty());
  d.Advance(start + Millis(500), record);
  EXPECT_EQ(fired, std::vector<uint32_t>{4});
  d.Advance(start + Millis(999), record);
  EXPECT_EQ(fired, std::vector<uint32_t>{4});
  d.Advance(start + Millis(1000), record);
  EXPECT_EQ(fired, (std::vector<uint32_t>{4, 3}));
}

TEST(SlotDeadlines, RunsLongerThanThirtyTwoBitsOfTicks) {
  // 1 ms ticks: 2^32 of them are ~50 days. Steps of ~12 days move the base
  // several times; each deadline still fires at its own tick, never early.
  const MonoTime start;
  SlotDeadlines d(Millis(1), start);
  constexpr Millis kStep{1'000'000'000};
  std::vector<uint32_t> fired;
  MonoTime now = start;
  for (int step = 0; step < 8; ++step) {
    d.Schedule(1, now + Millis(5));
    d.Schedule(2, now + kStep + Millis(1));
    now += Millis(4);
    d.Advance(now, [&](uint32_t id) { fired.push_back(id); });
    ASSERT_TRUE(fired.empty()) << "step " << step;
    now += Millis(1);
    d.Advance(now, [&](uint32_t id) { fired.push_back(id); });
    ASSERT_EQ(fired, std::vector<uint32_t>{1}) << "step " << step;
    fired.clear();
    now += kStep - Millis(5);
    d.Advance(now, [&](uint32_t id) { fired.push_back(id); });
    ASSERT_TRUE(fired.empty()) << "step " << step;
    now += Millis(1);
    d.Advance(now, [&](uint32_t id) { fired.push_back(id); });
    ASSERT_EQ(fired, std::vector<uint32_t>{2}) << "step " << step;
    fired.clear();
  }
}

TEST(SlotDeadlines, DeadlineBeyondTheRangeIsTreatedAsTheRangesEnd) {
  const MonoTime start;
  SlotDeadlines d(Millis(1), start);
  const Millis limit{int64_t{SlotDeadlines::kMaxAheadTicks}};
  d.Schedule(1, start + limit * 4);
  std::vector<uint32_t> fired;
  d.Advance(start + limit - Millis(1), [&](uint32_t id) { fired.push_back(id); });
  EXPECT_TRUE(fired.empty());
  d.Advance(start + limit, [&](uint32_t id) { fired.push_back(id); });
  EXPECT_EQ(fired, std::vector<uint32_t>{1});
}

TEST(SlotDeadlinesDeathTest, RejectsZeroTick) {
  EXPECT_DEATH(SlotDeadlines(Millis(0), MonoTime()), "greater than zero");
}

}  // namespace
}  // namespace sela
