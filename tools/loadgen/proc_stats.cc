#include "proc_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace loadgen {
namespace {

// Fields 14 and 15 of /proc/PID/stat (utime, stime), counted from field 3,
// the first one after the parenthesised command name.
constexpr int kUtimeFieldAfterComm = 14 - 3;

std::expected<std::string, std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::unexpected("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

double TimevalSeconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

std::expected<double, std::string> ParseStatCpuSeconds(std::string_view stat_text,
                                                       long clock_ticks_per_s) {
  const size_t close = stat_text.rfind(')');
  if (close == std::string_view::npos || clock_ticks_per_s <= 0) {
    return std::unexpected("malformed /proc stat");
  }
  std::string_view rest = stat_text.substr(close + 1);
  int64_t ticks[2] = {0, 0};
  for (int field = 0, got = 0; got < 2; ++field) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) return std::unexpected("truncated /proc stat");
    const size_t end = std::min(rest.find(' '), rest.size());
    if (field >= kUtimeFieldAfterComm) {
      auto [p, ec] = std::from_chars(rest.data(), rest.data() + end, ticks[got]);
      if (ec != std::errc()) return std::unexpected("malformed /proc stat time field");
      ++got;
    }
    rest.remove_prefix(end);
  }
  return static_cast<double>(ticks[0] + ticks[1]) / static_cast<double>(clock_ticks_per_s);
}

namespace {

// A "Key:   N kB" line of /proc/PID/status, in bytes.
std::expected<int64_t, std::string> StatusKib(std::string_view status_text, std::string_view name) {
  const std::string key = "\n" + std::string(name) + ":";
  const size_t at = status_text.find(key);
  if (at == std::string_view::npos) {
    return std::unexpected("no " + std::string(name) + " in /proc status (has the process exited?)");
  }
  std::string_view rest = status_text.substr(at + key.size());
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  int64_t kib = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), kib);
  if (ec != std::errc()) return std::unexpected("malformed " + std::string(name));
  return kib * 1024;
}

}  // namespace

std::expected<int64_t, std::string> ParseStatusRssBytes(std::string_view status_text) {
  return StatusKib(status_text, "VmRSS");
}

std::expected<int64_t, std::string> ParseStatusRssAnonBytes(std::string_view status_text) {
  return StatusKib(status_text, "RssAnon");
}

std::expected<ProcessSample, std::string> SampleProcess(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  auto stat = ReadFile(dir + "/stat");
  if (!stat) return std::unexpected(stat.error());
  auto status = ReadFile(dir + "/status");
  if (!status) return std::unexpected(status.error());
  auto cpu = ParseStatCpuSeconds(*stat, sysconf(_SC_CLK_TCK));
  if (!cpu) return std::unexpected(cpu.error());
  auto rss = ParseStatusRssBytes(*status);
  if (!rss) return std::unexpected(rss.error());
  auto anon = ParseStatusRssAnonBytes(*status);
  if (!anon) return std::unexpected(anon.error());
  return ProcessSample{*cpu, *rss, *anon};
}

double OwnCpuSeconds(bool include_children) {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  double s = TimevalSeconds(self.ru_utime) + TimevalSeconds(self.ru_stime);
  if (include_children) {
    rusage children{};
    getrusage(RUSAGE_CHILDREN, &children);
    s += TimevalSeconds(children.ru_utime) + TimevalSeconds(children.ru_stime);
  }
  return s;
}

}  // namespace loadgen
