#include "core/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <vector>

#include "core/calendar.h"

namespace sela {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
};
constexpr FieldSpec kFields[6] = {{"second", 0, 59}, {"minute", 0, 59}, {"hour", 0, 23},
                                  {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 7}};
constexpr std::array<std::string_view, 12> kMonths = {"january", "february", "march",     "april",
                                                      "may",     "june",     "july",      "august",
                                                      "september", "october", "november", "december"};
constexpr std::array<std::string_view, 7> kWeekdays = {"sunday",   "monday", "tuesday", "wednesday",
                                                       "thursday", "friday", "saturday"};

std::vector<std::string_view> Split(std::string_view text, char sep, bool skip_empty) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(sep, start), text.size());
    if (!skip_empty || end > start) parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// A number, or (for months and weekdays) a full or three-letter name.
std::optional<int> Value(std::string_view text, int field) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size()) return value;
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto find = [&](auto names, int first) -> std::optional<int> {
    for (size_t i = 0; i < names.size(); ++i) {
      if (lower == names[i] || (lower.size() == 3 && names[i].substr(0, 3) == lower)) {
        return static_cast<int>(i) + first;
      }
    }
    return std::nullopt;
  };
  if (field == 4) return find(kMonths, 1);
  if (field == 5) return find(kWeekdays, 0);
  return std::nullopt;
}

Status FieldError(int field, std::string_view text, std::string_view why) {
  return InvalidArgument("cron " + std::string(kFields[field].name) + " field \"" + std::string(text) +
                         "\": " + std::string(why));
}

// The values a field names, before any step: every value of `*`, a range,
// or one value.
Result<std::vector<int>> BaseValues(std::string_view item, int field) {
  const FieldSpec& spec = kFields[field];
  if (item == "*") {
    std::vector<int> all;
    for (int v = spec.min; v <= spec.max; ++v) all.push_back(v);
    return all;
  }
  const size_t dash = item.find('-');
  const auto low = Value(item.substr(0, dash), field);
  const auto high = dash == std::string_view::npos ? low : Value(item.substr(dash + 1), field);
  if (!low || !high) return Err(FieldError(field, item, "not a value"));
  if (*low < spec.min || *high > spec.max || *low > *high) {
    return Err(FieldError(field, item, "outside " + std::to_string(spec.min) + "-" + std::to_string(spec.max)));
  }
  std::vector<int> values;
  for (int v = *low; v <= *high; ++v) values.push_back(v);
  return values;
}

template <size_t N>
Result<std::bitset<N>> ParseField(std::string_view text, int field) {
  std::bitset<N> set;
  for (std::string_view item : Split(text, ',', false)) {
    if (item.empty()) return Err(FieldError(field, text, "empty list item"));
    const size_t slash = item.find('/');
    ASSIGN_OR_RETURN(std::vector<int> values, BaseValues(item.substr(0, slash), field));
    int step = 1;
    if (slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      const auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (ec != std::errc() || end != step_text.data() + step_text.size() || step < 1) {
        return Err(FieldError(field, text, "a step must be a positive number"));
      }
    }
    for (int v : values) {
      if (v % step != 0) continue;
      set.set(field == 5 ? v % 7 : static_cast<size_t>(v));
    }
  }
  if (set.none()) return Err(FieldError(field, text, "matches no value"));
  return set;
}

struct Civil {
  int64_t day_number;
  unsigned month, day;
  int weekday;
};

Civil CivilOf(int64_t day_number) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day_number}}};
  return Civil{day_number, static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
               WeekdayOf(day_number)};
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expression) {
  const std::vector<std::string_view> fields = Split(expression, ' ', true);
  if (fields.size() != 5 && fields.size() != 6) {
    return Err(InvalidArgument("cron expression \"" + std::string(expression) +
                               "\": expected 5 fields (minute hour day month weekday) or 6 (seconds first)"));
  }
  const size_t offset = fields.size() == 5 ? 1 : 0;
  auto field = [&](int i) { return i < static_cast<int>(offset) ? std::string_view("0") : fields[i - offset]; };
  CronSchedule c;
  c.text_ = std::string(expression);
  ASSIGN_OR_RETURN(c.seconds_, ParseField<60>(field(0), 0));
  ASSIGN_OR_RETURN(c.minutes_, ParseField<60>(field(1), 1));
  ASSIGN_OR_RETURN(c.hours_, ParseField<24>(field(2), 2));
  ASSIGN_OR_RETURN(c.days_, ParseField<32>(field(3), 3));
  ASSIGN_OR_RETURN(c.months_, ParseField<13>(field(4), 4));
  ASSIGN_OR_RETURN(c.weekdays_, ParseField<7>(field(5), 5));
  if (!c.Next(0).has_value()) {
    return Err(InvalidArgument("cron expression \"" + std::string(expression) + "\" never matches"));
  }
  return c;
}

bool CronSchedule::Matches(int64_t wall_ms) const {
  const int64_t day_number = DayNumberOf(wall_ms);
  const int64_t second_of_day = (wall_ms - day_number * kDayMs) / 1000;
  const Civil civil = CivilOf(day_number);
  return days_[civil.day] && months_[civil.month] && weekdays_[civil.weekday] &&
         hours_[second_of_day / 3600] && minutes_[second_of_day / 60 % 60] && seconds_[second_of_day % 60];
}

std::optional<int64_t> CronSchedule::Next(int64_t after_ms) const {
  // Whole seconds strictly after after_ms.
  const int64_t first_ms = (after_ms >= 0 ? after_ms / 1000 + 1 : (after_ms + 1) / 1000) * 1000;
  const int64_t first_day = DayNumberOf(first_ms);
  constexpr int64_t kDaysMax = 8 * 366;
  for (int64_t day = first_day; day < first_day + kDaysMax; ++day) {
    const Civil civil = CivilOf(day);
    if (!days_[civil.day] || !months_[civil.month] || !weekdays_[civil.weekday]) continue;
    const int64_t from_second = day == first_day ? (first_ms - day * kDayMs) / 1000 : 0;
    for (int64_t s = from_second; s < 86'400; ++s) {
      if (!hours_[s / 3600]) {
        s = (s / 3600 + 1) * 3600 - 1;
        continue;
      }
      if (!minutes_[s / 60 % 60]) {
        s = (s / 60 + 1) * 60 - 1;
        continue;
      }
      if (seconds_[s % 60]) return day * kDayMs + s * 1000;
    }
  }
  return std::nullopt;
}

}  // namespace sela
