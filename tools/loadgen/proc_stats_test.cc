#include "proc_stats.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace loadgen {
namespace {

TEST(ProcStats, ParsesCpuPastACommandNameWithSpacesAndParens) {
  const std::string stat =
      "1234 (sela (srv) x) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 150 0 0 20 0 3 0 100 0 0";
  auto cpu = ParseStatCpuSeconds(stat, 100);
  ASSERT_TRUE(cpu.has_value()) << cpu.error();
  EXPECT_DOUBLE_EQ(*cpu, 4.0);
}

TEST(ProcStats, RejectsTruncatedStat) {
  EXPECT_FALSE(ParseStatCpuSeconds("1234 (x) S 1 2", 100).has_value());
  EXPECT_FALSE(ParseStatCpuSeconds("garbage", 100).has_value());
}

TEST(ProcStats, ParsesRssInBytes) {
  auto rss = ParseStatusRssBytes("Name:\tsela\nVmPeak:\t 9000 kB\nVmRSS:\t    2048 kB\nThreads: 1\n");
  ASSERT_TRUE(rss.has_value());
  EXPECT_EQ(*rss, 2048 * 1024);
  EXPECT_FALSE(ParseStatusRssBytes("Name:\tzombie\n").has_value());
  auto anon = ParseStatusRssAnonBytes("Name:\tsela\nVmRSS:\t 2048 kB\nRssAnon:\t     512 kB\nRssFile:\t 1536 kB\n");
  ASSERT_TRUE(anon.has_value());
  EXPECT_EQ(*anon, 512 * 1024);
  EXPECT_FALSE(ParseStatusRssAnonBytes("Name:\tsela\nVmRSS:\t 2048 kB\n").has_value());
}

TEST(ProcStats, SummingSamplesSumsEveryReading) {
  // The processes of a server on one port are summed (--server-pids): a
  // reading left out of the sum reads 0 per connection, as RssAnon once did.
  ProcessSample total;
  total += ProcessSample{1.5, 4096, 1024};
  total += ProcessSample{0.25, 8192, 2048};
  EXPECT_DOUBLE_EQ(total.cpu_s, 1.75);
  EXPECT_EQ(total.rss_bytes, 12288);
  EXPECT_EQ(total.rss_anon_bytes, 3072);
}

TEST(ProcStats, SamplesThisProcess) {
  auto s = SampleProcess(getpid());
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_GT(s->rss_bytes, 0);
  EXPECT_GT(s->rss_anon_bytes, 0);
  EXPECT_LE(s->rss_anon_bytes, s->rss_bytes);
  EXPECT_GE(s->cpu_s, 0);
  EXPECT_FALSE(SampleProcess(0x7ffffff0).has_value());
}

}  // namespace
}  // namespace loadgen
