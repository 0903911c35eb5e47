// NodeRegistry uptime, checked against a brute-force model: over random
// histories of connections, speed tests and checkpoints, the deltas added up
// per (principal, day) must equal exactly the union of each principal's
// connection intervals cut at UTC midnights, the registrations per day and
// the samples per day.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "nodes/registry.h"

namespace sela::nodes {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kMidnight = 1'710'028'800'000;  // 2024-03-10T00:00:00Z.

struct DayTotals {
  int64_t online_ms = 0;
  uint32_t sessions = 0;
  double speed_sum = 0;
  uint32_t speed_count = 0;
  double ping_sum = 0;
  uint32_t ping_count = 0;

  friend bool operator==(const DayTotals&, const DayTotals&) = default;
};
using Totals = std::map<std::pair<std::string, std::string>, DayTotals>;

struct Interval {
  int64_t begin_ms;
  int64_t end_ms;
};

// The model: every connection's interval, kept apart per principal.
struct History {
  std::map<std::string, std::vector<Interval>> intervals;
  std::map<std::string, std::vector<size_t>> open;  // Indices into intervals.
  Totals events;  // Sessions and samples, which need no interval arithmetic.
};

int64_t FloorDay(int64_t ms) { return ms / kDayMs - (ms % kDayMs < 0 ? 1 : 0); }

// Merges the intervals, then measures each merged one against every day it
// could touch.
void AddUnionPerDay(const std::string& principal, std::vector<Interval> intervals,
                    Totals& totals) {
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.begin_ms < b.begin_ms; });
  std::vector<Interval> merged;
  for (const Interval& i : intervals) {
    if (!merged.empty() && i.begin_ms <= merged.back().end_ms) {
      merged.back().end_ms = std::max(merged.back().end_ms, i.end_ms);
    } else {
      merged.push_back(i);
    }
  }
  for (const Interval& m : merged) {
    for (int64_t day = FloorDay(m.begin_ms); day <= FloorDay(m.end_ms); ++day) {
      const int64_t overlap_ms =
          std::min(m.end_ms, (day + 1) * kDayMs) - std::max(m.begin_ms, day * kDayMs);
      if (overlap_ms > 0) totals[{principal, UtcDay(day * kDayMs)}].online_ms += overlap_ms;
    }
  }
}

// Mostly small steps, with a bias towards landing on or next to midnight and
// towards several events at the same instant.
int64_t NextTime(int64_t now, std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0:
      return now;
    case 1: {
      const int64_t next_midnight = (FloorDay(now) + 1) * kDayMs;
      return std::max(now, next_midnight - 2 + static_cast<int64_t>(rng() % 5));
    }
    case 2:
      return now + static_cast<int64_t>(rng() % (6 * 3'600'000));
    default:
      return now + static_cast<int64_t>(rng() % 120'000);
  }
}

void RunRandomHistory(uint64_t seed) {
  std::mt19937_64 rng(seed);
  NodeRegistry registry({.principal_hash_key = {seed, ~seed}});
  History model;
  Totals reported;
  const std::vector<std::string> principals = {"aaaaa-aa", "2vxsx-fae", "p3", "p4", "p5"};
  int64_t now = kMidnight - kDayMs / 2 + static_cast<int64_t>(rng() % kDayMs);
  const int64_t end = now + 4 * kDayMs;

  const auto checkpoint = [&] {
    for (const store::UptimeDelta& d : registry.Checkpoint(now)) {
      ASSERT_GE(d.online_ms, 0);
      ASSERT_LE(d.online_ms, kDayMs);
      DayTotals& t = reported[{d.principal, d.day}];
      t.online_ms += d.online_ms;
      t.sessions += d.sessions;
      t.speed_sum += d.speed_sum;
      t.speed_count += d.speed_count;
      t.ping_sum += d.ping_sum;
      t.ping_count += d.ping_count;
    }
  };

  while (now < end) {
    now = std::min(NextTime(now, rng), end);
    const std::string& p = principals[rng() % principals.size()];
    const std::string day = UtcDay(now);
    std::vector<size_t>& open = model.open[p];
    switch (rng() % 6) {
      case 0:
      case 1:
        ASSERT_NE(registry.Connect(p, now, now), kNoNode);
        open.push_back(model.intervals[p].size());
        model.intervals[p].push_back({now, now});
        ++model.events[{p, day}].sessions;
        break;
      case 2:
      case 3:
        if (open.empty()) break;
        {
          // Any of the principal's connections may close first.
          const size_t which = rng() % open.size();
          model.intervals[p][open[which]].end_ms = now;
          open.erase(open.begin() + static_cast<ptrdiff_t>(which));
          ASSERT_EQ(registry.Disconnect(registry.Find(p), now), open.empty());
        }
        break;
      case 4:
        if (open.empty()) break;
        {
          // Whole numbers, so that sums are exact in any order.
          const double speed = static_cast<double>(rng() % 200);
          const double ping = static_cast<double>(rng() % 300);
          registry.RecordSpeed(registry.Find(p), speed, 1.0, ping, now);
          DayTotals& t = model.events[{p, day}];
          t.speed_sum += speed;
          ++t.speed_count;
          t.ping_sum += ping;
          ++t.ping_count;
        }
        break;
      case 5:
        checkpoint();
        break;
    }
    ASSERT_EQ(registry.Find(p) == kNoNode, open.empty());
    if (!open.empty()) {
      ASSERT_EQ(registry.View(registry.Find(p))->connections, open.size());
    }
  }
  checkpoint();
  ASSERT_TRUE(registry.Checkpoint(now).empty());

  // Connections still open are counted up to the final checkpoint.
  Totals expected = model.events;
  for (auto& [p, intervals] : model.intervals) {
    for (const size_t i : model.open[p]) intervals[i].end_ms = now;
    AddUnionPerDay(p, intervals, expected);
  }
  std::erase_if(expected, [](const auto& entry) { return entry.second == DayTotals{}; });
  ASSERT_EQ(reported.size(), expected.size());
  for (const auto& [key, totals] : expected) {
    const auto it = reported.find(key);
    ASSERT_NE(it, reported.end()) << key.first << " " << key.second;
    EXPECT_EQ(it->second.online_ms, totals.online_ms) << key.first << " " << key.second;
    EXPECT_EQ(it->second, totals) << key.first << " " << key.second;
  }
}

TEST(RegistryUptimeProperty, ReportedTimeEqualsTheUnionOfConnectionsSplitAtMidnight) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE(seed);
    RunRandomHistory(seed);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace sela::nodes
