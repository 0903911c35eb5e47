// Tests of the registry's building blocks: the UTC day arithmetic, SipHash,
// the text arena, and the principal hash index.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "nodes/principal_index.h"
#include "nodes/registry.h"
#include "nodes/siphash.h"
#include "nodes/text_arena.h"
#include "nodes/utc_day.h"

namespace sela::nodes {
namespace {

TEST(UtcDay, NamesTheUtcDateOfKnownInstants) {
  EXPECT_EQ(UtcDay(0), "1970-01-01");
  EXPECT_EQ(UtcDay(1'710'028'800'000), "2024-03-10");
  EXPECT_EQ(UtcDay(1'710'028'800'000 - 1), "2024-03-09");
  EXPECT_EQ(UtcDay(951'825'600'000), "2000-02-29");
  EXPECT_EQ(UtcDay(4'107'456'000'000 + kDayMs), "2100-03-01");  // 2100 is not a leap year.
  EXPECT_EQ(UtcDay(253'402'300'799'999), "9999-12-31");
}

TEST(UtcDay, HandlesInstantsBefore1970) {
  EXPECT_EQ(UtcDay(-1), "1969-12-31");
  EXPECT_EQ(UtcDay(-1000), "1969-12-31");
  EXPECT_EQ(UtcDay(-kDayMs), "1969-12-31");
  EXPECT_EQ(UtcDay(-kDayMs - 1), "1969-12-30");
  EXPECT_EQ(UtcDay(-2'203'891'200'000), "1900-03-01");
  EXPECT_EQ(UtcDay(-62'135'596'800'000), "0001-01-01");
  EXPECT_EQ(UtcDay(-62'135'596'800'000 - 1), "0000-12-31");
}

TEST(UtcDay, WritesYearsOutsideFourDigitsWithSignAndAllDigits) {
  EXPECT_EQ(FormatDay(DayNumber(-62'167'219'200'000) - 1), "-0001-12-31");
  EXPECT_EQ(FormatDay(DayNumber(253'402'300'799'999) + 1), "10000-01-01");
  // The extremes of int64 give well-formed dates rather than overflowing.
  EXPECT_EQ(UtcDay(INT64_MAX), "292278994-08-17");
  EXPECT_EQ(UtcDay(INT64_MIN), "-292275055-05-16");
}

TEST(UtcDay, DayNumberIsFloorDivision) {
  EXPECT_EQ(DayNumber(0), 0);
  EXPECT_EQ(DayNumber(kDayMs - 1), 0);
  EXPECT_EQ(DayNumber(kDayMs), 1);
  EXPECT_EQ(DayNumber(-1), -1);
  EXPECT_EQ(DayNumber(-kDayMs), -1);
  EXPECT_EQ(DayNumber(-kDayMs - 1), -2);
}

// A calendar stepped one day at a time, independent of the closed-form
// algorithm under test.
struct SteppedDate {
  int year, month, day;

  static bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
  static int DaysIn(int y, int m) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
  }
  void Next() {
    if (++day > DaysIn(year, month)) {
      day = 1;
      if (++month > 12) month = 1, ++year;
    }
  }
  void Previous() {
    if (--day == 0) {
      if (--month == 0) month = 12, --year;
      day = DaysIn(year, month);
    }
  }
  std::string Text() const {
    char buf[48];  // Room for any int, so the compiler can prove no truncation.
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
    return buf;
  }
};

TEST(UtcDay, AgreesWithADayByDayCalendarFromYear0To9999) {
  SteppedDate forward{1970, 1, 1};
  for (int64_t day = 0; forward.year <= 9999; ++day, forward.Next()) {
    ASSERT_EQ(FormatDay(day), forward.Text()) << day;
  }
  SteppedDate backward{1970, 1, 1};
  for (int64_t day = 0; backward.year >= 0; --day, backward.Previous()) {
    ASSERT_EQ(FormatDay(day), backward.Text()) << day;
  }
}

TEST(SipHash24, MatchesTheReferenceVectors) {
  const SipKey key = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  EXPECT_EQ(SipHash24(key, ""), 0x726fdb47dd0e0e31ULL);
  std::string message;
  for (char c = 0; c < 15; ++c) message.push_back(c);
  EXPECT_EQ(SipHash24(key, message), 0xa129ca6149be45e5ULL);
}

TEST(SipHash24, DependsOnTheKey) {
  EXPECT_NE(SipHash24({1, 2}, "aaaaa-aa"), SipHash24({1, 3}, "aaaaa-aa"));
}

TEST(TextArena, ReturnsWhatWasAddedAcrossManyChunks) {
  TextArena arena;
  std::vector<std::pair<TextArena::Ref, std::string>> added;
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string text(1 + rng() % 300, static_cast<char>('a' + i % 26));
    text += std::to_string(i);
    added.emplace_back(arena.Add(text), text);
  }
  for (const auto& [ref, text] : added) {
    ASSERT_EQ(arena.Get(ref, static_cast<uint32_t>(text.size())), text);
  }
}

TEST(TextArena, AcceptsATextOfTheLargestSizeFirst) {
  TextArena arena;
  const std::string big(TextArena::kTextBytesMax, 'x');
  const TextArena::Ref ref = arena.Add(big);
  ASSERT_NE(ref, TextArena::kNoRef);
  EXPECT_EQ(arena.Get(ref, TextArena::kTextBytesMax), big);
}

TEST(TextArena, CountsReleasedBytesAsGarbage) {
  TextArena arena;
  arena.Add("abcdef");
  arena.Add("ghi");
  arena.Release(6);
  EXPECT_EQ(arena.live_bytes(), 3u);
  EXPECT_EQ(arena.garbage_bytes(), 6u);
}

// Random inserts and erases against std::unordered_map, with a constant hash
// key and short keys so that probe runs are long and wrap around the table.
TEST(PrincipalIndex, AgreesWithAReferenceMapUnderRandomInsertsAndErases) {
  PrincipalIndex index({42, 43});
  std::vector<std::string> texts;  // Indexed by the "node index".
  std::unordered_map<std::string, uint32_t> reference;
  std::vector<uint32_t> free_indices;
  const auto key_of = [&](uint32_t i) -> std::string_view { return texts[i]; };
  std::mt19937 rng(1234);

  for (int step = 0; step < 20000; ++step) {
    const std::string key = "p" + std::to_string(rng() % 600);
    const uint64_t hash = index.Hash(key);
    const auto it = reference.find(key);
    const uint32_t found = index.Find(key, hash, key_of);
    if (it == reference.end()) {
      ASSERT_EQ(found, PrincipalIndex::kNotFound) << key;
      uint32_t i;
      if (free_indices.empty()) {
        i = static_cast<uint32_t>(texts.size());
        texts.push_back(key);
      } else {
        i = free_indices.back();
        free_indices.pop_back();
        texts[i] = key;
      }
      index.Insert(i, hash, key_of);
      reference.emplace(key, i);
    } else {
      ASSERT_EQ(found, it->second) << key;
      if (rng() % 2 == 0) {
        index.Erase(it->second, hash, key_of);
        free_indices.push_back(it->second);
        reference.erase(it);
      }
    }
    ASSERT_EQ(index.size(), reference.size());
  }
  for (const auto& [key, i] : reference) {
    EXPECT_EQ(index.Find(key, index.Hash(key), key_of), i);
  }
  EXPECT_LE(index.size() * 4, index.capacity() * 3);
}

TEST(PrincipalIndex, FindsNothingWhenEmpty) {
  PrincipalIndex index({0, 0});
  const auto key_of = [](uint32_t) -> std::string_view { return "unused"; };
  EXPECT_EQ(index.Find("x", index.Hash("x"), key_of), PrincipalIndex::kNotFound);
}

}  // namespace
}  // namespace sela::nodes
