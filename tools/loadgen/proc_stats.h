// Resource readings of a process: the server's (from /proc) and the load
// generator's own (getrusage).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace loadgen {

struct ProcessSample {
  double cpu_s = 0;       // utime + stime.
  int64_t rss_bytes = 0;  // VmRSS.
  // RssAnon: heap, stacks and anonymous maps, without the code and file
  // pages that VmRSS also counts (the first connection touches code pages
  // that no later one pays for again).
  int64_t rss_anon_bytes = 0;

  // Sums every reading (the processes of one server on one port).
  ProcessSample& operator+=(const ProcessSample& o) {
    cpu_s += o.cpu_s;
    rss_bytes += o.rss_bytes;
    rss_anon_bytes += o.rss_anon_bytes;
    return *this;
  }
};

// Reads /proc/PID/stat and /proc/PID/status. Fails when the process is gone.
std::expected<ProcessSample, std::string> SampleProcess(pid_t pid);

// Pure parsers, exposed for tests. `stat_text` is the whole /proc/PID/stat
// line (the command name may contain spaces and parentheses).
std::expected<double, std::string> ParseStatCpuSeconds(std::string_view stat_text,
                                                       long clock_ticks_per_s);
std::expected<int64_t, std::string> ParseStatusRssBytes(std::string_view status_text);
std::expected<int64_t, std::string> ParseStatusRssAnonBytes(std::string_view status_text);

// CPU seconds (user + system) of this process, plus of its waited-for
// children when `include_children`.
double OwnCpuSeconds(bool include_children);

}  // namespace loadgen
