// CronSchedule: REWARD_DISTRIBUTION_INTERVAL and the weekly referral job,
// in the syntax of the original's node-cron (v3), evaluated in UTC (the
// original evaluated the reward cron in the server's local time, D17).
//
// Five fields (minute hour day-of-month month day-of-week) or six (with
// seconds first); five fields run at second 0. A field is `*`, a number, a
// range `a-b`, a list `a,b-c`, any of these with a step `/n`, or a month or
// weekday name (`jan`, `January`, `sun`, `Sunday`; any case). Weekday 0 and
// 7 are Sunday. As in node-cron:
// - a step keeps the values of the field's list that are divisible by it,
//   so `*/15` is 0,15,30,45 and day-of-month `1-10/2` is 2,4,6,8,10;
// - a time matches when every field matches (day-of-month AND day-of-week,
//   unlike Vixie cron's OR).
//
// Pure; thread-compatible.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sela {

class CronSchedule {
 public:
  // InvalidArgument naming the field and the text for anything else
  // (out-of-range values, empty lists, unknown names, a field that can
  // never match).
  static Result<CronSchedule> Parse(std::string_view expression);

  // Whether the UTC time (its whole second) matches.
  bool Matches(int64_t wall_ms) const;
  // The first whole second strictly after `after_ms` that matches, in ms;
  // nullopt when nothing matches within the next 8 years (e.g. Feb 30).
  std::optional<int64_t> Next(int64_t after_ms) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;      // 1..31
  std::bitset<13> months_;    // 1..12
  std::bitset<7> weekdays_;   // 0 = Sunday
};

}  // namespace sela
