// NodeRegistry uptime, checked against a brute-force model: over random
// histories of connections, speed tests and checkpoints (with a wall clock
// that sometimes steps back), each checkpoint must return exactly, in order,
// one delta per (principal, day) holding the union of that principal's
// connection intervals since the previous checkpoint cut at UTC midnights,
// the registrations and the samples of that day since then (and, for a node
// online across midnight, its latest sample carried into the new day).
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
// By (principal, "YYYY-MM-DD"): for the years used here, the order of the
// checkpoint's deltas.
using Key = std::pair<std::string, std::string>;
using Totals = std::map<Key, DayTotals>;

struct Interval {
  int64_t begin_ms;
  int64_t end_ms;
};

int64_t FloorDay(int64_t ms) { return ms / kDayMs - (ms % kDayMs < 0 ? 1 : 0); }

// Merges the intervals, clips them to [from_ms, to_ms], then measures each
// against every day it could touch.
void AddUnionPerDay(const std::string& principal, std::vector<Interval> intervals, int64_t from_ms,
                    int64_t to_ms, Totals& totals) {
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
    const int64_t begin_ms = std::max(m.begin_ms, from_ms);
    const int64_t end_ms = std::min(m.end_ms, to_ms);
    for (int64_t day = FloorDay(begin_ms); begin_ms < end_ms && day <= FloorDay(end_ms); ++day) {
      const int64_t overlap_ms =
          std::min(end_ms, (day + 1) * kDayMs) - std::max(begin_ms, day * kDayMs);
      if (overlap_ms > 0) totals[{principal, UtcDay(day * kDayMs)}].online_ms += overlap_ms;
    }
  }
}

void AddTo(DayTotals& t, const DayTotals& d) {
  t.online_ms += d.online_ms;
  t.sessions += d.sessions;
  t.speed_sum += d.speed_sum;
  t.speed_count += d.speed_count;
  t.ping_sum += d.ping_sum;
  t.ping_count += d.ping_count;
}

DayTotals TotalsOf(const store::UptimeDelta& d) {
  return {.online_ms = d.online_ms,
          .sessions = d.sessions,
          .speed_sum = d.speed_sum,
          .speed_count = d.speed_count,
          .ping_sum = d.ping_sum,
          .ping_count = d.ping_count};
}

std::string Describe(const std::vector<std::pair<Key, DayTotals>>& rows) {
  std::string out;
  for (const auto& [key, t] : rows) {
    out += key.first + " " + key.second + " online=" + std::to_string(t.online_ms) +
           " sessions=" + std::to_string(t.sessions) + " speed=" + std::to_string(t.speed_sum) +
           "/" + std::to_string(t.speed_count) + " ping=" + std::to_string(t.ping_sum) + "/" +
           std::to_string(t.ping_count) + "\n";
  }
  return out;
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

// One random history against the registry, with the model beside it.
class Simulation {
 public:
  explicit Simulation(uint64_t seed)
      : rng_(seed), registry_({.principal_hash_key = {seed, ~seed}}) {
    now_ = kMidnight - kDayMs / 2 + static_cast<int64_t>(rng_() % kDayMs);
  }

  void Run() {
    const int64_t end = now_ + 4 * kDayMs;
    while (now_ < end) {
      now_ = std::min(NextTime(now_, rng_), end);
      ASSERT_NO_FATAL_FAILURE(Step(principals_[rng_() % principals_.size()]));
    }
    now_ = end;
    ASSERT_NO_FATAL_FAILURE(Checkpoint(/*may_step_back=*/false));
    ASSERT_TRUE(registry_.Checkpoint(end).empty());
  }

  // Over the whole history: what every checkpoint returned adds up to the
  // union of each principal's connections, the registrations and samples.
  void CheckTotals() {
    Totals expected = all_events_;
    for (auto& [p, intervals] : intervals_) {
      for (const size_t i : open_[p]) intervals[i].end_ms = clock_ms_;
      AddUnionPerDay(p, intervals, INT64_MIN, INT64_MAX, expected);
    }
    std::erase_if(expected, [](const auto& entry) { return entry.second == DayTotals{}; });
    EXPECT_EQ(Describe({reported_.begin(), reported_.end()}),
              Describe({expected.begin(), expected.end()}));
  }

 private:
  // The time passed to the registry: now, or now as a wall clock that
  // stepped back shows it. Returns the time the registry will use (the
  // latest it has seen).
  int64_t Tell(int64_t* passed_ms, bool may_step_back = true) {
    *passed_ms = may_step_back && rng_() % 8 == 0
                     ? now_ - static_cast<int64_t>(rng_() % (3 * 3'600'000))
                     : now_;
    clock_ms_ = std::max(clock_ms_, *passed_ms);
    return clock_ms_;
  }

  void Step(const std::string& p) {
    switch (rng_() % 6) {
      case 0:
      case 1:
        return Connect(p);
      case 2:
      case 3:
        return Disconnect(p);
      case 4:
        return Speed(p);
      default:
        return Checkpoint();
    }
  }

  void Connect(const std::string& p) {
    int64_t passed = 0;
    const int64_t t = Tell(&passed);
    ASSERT_NE(registry_.Connect(p, passed, passed), kNoNode);
    if (open_[p].empty()) {
      node_since_[p] = t;
      last_sample_[p] = {0, 0};
    }
    open_[p].push_back(intervals_[p].size());
    intervals_[p].push_back({t, t});
    window_events_[{p, UtcDay(t)}].sessions += 1;
    ASSERT_EQ(registry_.View(registry_.Find(p))->connections, open_[p].size());
  }

  void Disconnect(const std::string& p) {
    std::vector<size_t>& open = open_[p];
    if (open.empty()) return;
    int64_t passed = 0;
    const int64_t t = Tell(&passed);
    // Any of the principal's connections may close first.
    const size_t which = rng_() % open.size();
    intervals_[p][open[which]].end_ms = t;
    open.erase(open.begin() + static_cast<ptrdiff_t>(which));
    if (open.empty()) Carry(p, t);
    ASSERT_EQ(registry_.Disconnect(registry_.Find(p), passed), open.empty());
    ASSERT_EQ(registry_.Find(p) == kNoNode, open.empty());
  }

  void Speed(const std::string& p) {
    if (open_[p].empty()) return;
    int64_t passed = 0;
    const int64_t t = Tell(&passed);
    // Whole numbers, so that sums are exact in any order.
    const double speed = static_cast<double>(rng_() % 200);
    const double ping = static_cast<double>(rng_() % 300);
    registry_.RecordSpeed(registry_.Find(p), speed, 1.0, ping, passed);
    last_sample_[p] = {speed, ping};
    DayTotals& d = window_events_[{p, UtcDay(t)}];
    d.speed_sum += speed;
    ++d.speed_count;
    d.ping_sum += ping;
    ++d.ping_count;
  }

  void Checkpoint(bool may_step_back = true) {
    int64_t passed = 0;
    const int64_t t = Tell(&passed, may_step_back);
    for (const auto& [p, open] : open_) {
      if (!open.empty()) Carry(p, t);
    }
    Totals expected = window_events_;
    for (const auto& [p, intervals] : intervals_) {
      std::vector<Interval> up_to_now = intervals;
      for (const size_t i : open_[p]) up_to_now[i].end_ms = t;
      AddUnionPerDay(p, up_to_now, checkpoint_ms_, t, expected);
    }
    std::erase_if(expected, [](const auto& entry) { return entry.second == DayTotals{}; });
    std::vector<std::pair<Key, DayTotals>> actual;
    for (const store::UptimeDelta& d : registry_.Checkpoint(passed)) {
      actual.push_back({{d.principal, d.day}, TotalsOf(d)});
      AddTo(reported_[{d.principal, d.day}], TotalsOf(d));
    }
    ASSERT_EQ(Describe(actual), Describe({expected.begin(), expected.end()}))
        << "checkpoint at " << t;
    for (const auto& [key, d] : window_events_) AddTo(all_events_[key], d);
    window_events_.clear();
    checkpoint_ms_ = t;
  }

  // A live node's latest speed and ping, as one sample of each UTC day after
  // the first that its unreported online time [from, to_ms) reaches and
  // that has no sample since the last checkpoint.
  void Carry(const std::string& p, int64_t to_ms) {
    const int64_t from = std::max(node_since_[p], checkpoint_ms_);
    if (from >= to_ms) return;
    const auto [speed, ping] = last_sample_[p];
    for (int64_t day = FloorDay(from) + 1; day <= FloorDay(to_ms - 1); ++day) {
      DayTotals& d = window_events_[{p, UtcDay(day * kDayMs)}];
      if (speed > 0 && d.speed_count == 0) {
        d.speed_sum = speed;
        d.speed_count = 1;
      }
      if (ping > 0 && d.ping_count == 0) {
        d.ping_sum = ping;
        d.ping_count = 1;
      }
    }
  }

  const std::vector<std::string> principals_ = {"aaaaa-aa", "2vxsx-fae", "p3", "p4", "p5"};
  std::mt19937_64 rng_;
  NodeRegistry registry_;
  int64_t now_ = 0;
  int64_t clock_ms_ = INT64_MIN;  // The registry's clock: the latest time it was told.
  int64_t checkpoint_ms_ = INT64_MIN;
  std::map<std::string, std::vector<Interval>> intervals_;  // Every connection.
  std::map<std::string, std::vector<size_t>> open_;         // Indices into intervals_.
  std::map<std::string, int64_t> node_since_;               // When the live node came online.
  std::map<std::string, std::pair<double, double>> last_sample_;  // Its latest speed, ping.
  Totals window_events_;  // Registrations and samples since the last checkpoint.
  Totals all_events_;     // ...and before it.
  Totals reported_;       // Every checkpoint's deltas, added up.
};

TEST(RegistryUptimeProperty, EachCheckpointReportsExactlyWhatAccruedSinceThePrevious) {
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    SCOPED_TRACE(seed);
    Simulation simulation(seed);
    simulation.Run();
    if (HasFatalFailure()) return;
    simulation.CheckTotals();
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace sela::nodes
