#include "coordinator.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <deque>
#include <vector>

#include "engine.h"
#include "proc_stats.h"
#include "rest_messages.h"
#include "run_report.h"
#include "worker.h"
#include "worker_report.h"

namespace loadgen {
namespace {

// Descriptors each worker keeps for itself (epoll, pipes, stdio, slack).
constexpr int64_t kFdReserve = 100;
constexpr int64_t kProcsMax = 64;
constexpr rlim_t kFdLimitWhenUnlimited = 1 << 20;
// Workers outlive the parent's deadline by this much, so the parent is the
// one that notices and reports it.
constexpr double kWorkerDeadlineGraceS = 5;
constexpr int kPollSliceMs = 100;
// A worker report is a few hundred KiB at most (histograms are sparse).
constexpr size_t kWorkerLineBytesMax = 64 << 20;

int64_t RealtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct Failure {
  std::string message;
  int exit_code = 1;
};

struct WorkerHandle {
  pid_t pid = -1;
  int control_fd = -1;
  int report_fd = -1;
  std::string buffer;
  std::deque<std::string> lines;
  bool finished = false;  // Sent its "result" line; EOF is expected from now on.
};

class Coordinator {
 public:
  Coordinator(const Options& options, const Endpoints& endpoints)
      : options_(options), endpoints_(endpoints) {}

  int Run() {
    start_ns_ = MonotonicNs();
    deadline_ns_ = start_ns_ + static_cast<int64_t>(options_.max_runtime_s * 1e9);
    const int64_t fd_limit = RaiseFdLimit();
    auto procs = WorkerProcesses(options_.nodes, options_.procs, fd_limit);
    if (!procs) return PrintFailure({procs.error(), 1});
    if (jobs() && options_.customers + kFdReserve > fd_limit) {
      return PrintFailure({"--customers " + std::to_string(options_.customers) +
                               " does not fit in one process at RLIMIT_NOFILE " +
                               std::to_string(fd_limit),
                           1});
    }
    server_.pid = options_.server_pid;
    if (server_.pid != 0) {
      Sample(server_.before);
      if (!server_.before) return PrintFailure({"--server-pid: " + server_.error, 1});
    }
    Progress("%s: %lld nodes (%s), %lld worker process(es), connect rate %g/s",
             ScenarioName(options_.scenario), static_cast<long long>(options_.nodes),
             options_.raw ? "raw WebSocket" : options_.protocol == 2 ? "protocol v2" : "protocol v1",
             static_cast<long long>(*procs),
             options_.connect_rate_per_s);
    if (jobs()) {
      Progress("jobs: %lld customer connections in one more worker process, job rate %g/s "
               "(0: closed loop), pipeline %lld, results of %lld bytes after %g ms",
               static_cast<long long>(options_.customers), options_.job_rate_per_s,
               static_cast<long long>(options_.pipeline),
               static_cast<long long>(options_.result_bytes), options_.result_delay_ms);
    }
    if (auto driven = Drive(*procs); !driven) {
      KillAndReap();
      return PrintFailure(driven.error());
    }
    ReapAll();
    Sample(server_.end);
    return PrintReport();
  }

 private:
  std::expected<void, Failure> Drive(int64_t procs) {
    if (auto s = Spawn(procs); !s) return s;
    if (auto w = WaitAll("done", "connect"); !w) return std::unexpected(w.error());
    Progress("connect phase over; settling %.1f s", options_.settle_s);
    if (auto s = SleepWatching(options_.settle_s, "settle"); !s) return s;
    Sample(server_.after_connect);
    const std::vector<Phase> phases = ScenarioPhases(options_.scenario, options_.rounds);
    for (size_t i = 1; i + 1 < phases.size(); ++i) {
      if (auto s = RunMiddlePhase(phases[i], i); !s) return s;
    }
    Sample(server_.after_measure);
    Progress("closing");
    SendAll("go");
    auto results = WaitAll("result ", "close");
    if (!results) return std::unexpected(results.error());
    results_ = std::move(*results);
    return {};
  }

  std::expected<void, Failure> RunMiddlePhase(Phase phase, size_t index) {
    SendAll("go");
    if (phase == Phase::kStormRound) {
      Progress("storm round %zu/%lld", index, static_cast<long long>(options_.rounds));
    }
    if (PhaseNeedsStop(phase)) {
      // hold counts the settle time as idle time already spent.
      const double run_s = phase == Phase::kIdle
                               ? std::max(0.0, options_.duration_s - options_.settle_s)
                               : options_.duration_s;
      const char* what = phase == Phase::kIdle ? "holding idle"
                         : phase == Phase::kJobs ? "submitting jobs"
                                                 : "pinging";
      Progress("%s for %.1f s", what, run_s);
      const int64_t started_ns = MonotonicNs();
      if (auto s = SleepWatching(run_s, "measure"); !s) return s;
      SendAll("stop");
      idle_s_ = options_.settle_s + static_cast<double>(MonotonicNs() - started_ns) / 1e9;
    }
    if (phase == Phase::kJobs) Progress("window over; waiting for outstanding replies");
    if (auto w = WaitAll("done", "measure"); !w) return std::unexpected(w.error());
    return {};
  }

  bool jobs() const { return options_.scenario == Scenario::kJobs; }

  // `procs` node workers, plus the customer worker in the jobs scenario.
  std::expected<void, Failure> Spawn(int64_t procs) {
    const pid_t parent = getpid();
    for (int64_t w = 0; w < procs + (jobs() ? 1 : 0); ++w) {
      int control[2];
      int report[2];
      if (pipe2(control, O_CLOEXEC) != 0) return std::unexpected(Failure{ErrnoReason("pipe2", errno)});
      if (pipe2(report, O_CLOEXEC) != 0) return std::unexpected(Failure{ErrnoReason("pipe2", errno)});
      const WorkerConfig config = MakeWorkerConfig(w, procs);
      std::fflush(nullptr);
      const pid_t pid = fork();
      if (pid < 0) return std::unexpected(Failure{ErrnoReason("fork", errno)});
      if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(3);
        // Holding another worker's pipe ends would hide that worker's exit.
        for (const WorkerHandle& h : workers_) {
          close(h.control_fd);
          close(h.report_fd);
        }
        close(control[1]);
        close(report[0]);
        _exit(RunWorker(config, control[0], report[1]));
      }
      close(control[0]);
      close(report[1]);
      workers_.push_back(WorkerHandle{pid, control[1], report[0], {}, {}, false});
    }
    return {};
  }

  WorkerConfig MakeWorkerConfig(int64_t w, int64_t procs) const {
    WorkerConfig c;
    c.options = options_;
    c.endpoints = endpoints_;
    c.worker_index = static_cast<int>(w);
    c.first_node = options_.nodes * w / procs;
    c.node_count = options_.nodes * (w + 1) / procs - c.first_node;
    c.connect_rate_per_s = options_.connect_rate_per_s / static_cast<double>(procs);
    c.deadline_ns = deadline_ns_ + static_cast<int64_t>(kWorkerDeadlineGraceS * 1e9);
    if (w == procs) {
      // The customer worker: no nodes, one API client with a fresh uuid.
      c.customers = true;
      c.first_node = 0;
      c.node_count = 0;
      c.api_uuid = MakeApiClientUuid(options_.principal_prefix, options_.seed, getpid(),
                                     RealtimeNs());
    }
    return c;
  }

  // Waits until every worker sent a line, which must start with `prefix`;
  // returns the rest of each line, in worker order.
  std::expected<std::vector<std::string>, Failure> WaitAll(std::string_view prefix,
                                                          std::string_view phase) {
    auto all_have_line = [this] {
      return std::all_of(workers_.begin(), workers_.end(),
                         [](const WorkerHandle& h) { return !h.lines.empty(); });
    };
    while (!all_have_line()) {
      if (auto p = PollWorkers(kPollSliceMs, phase); !p) return std::unexpected(p.error());
    }
    std::vector<std::string> rest;
    for (size_t i = 0; i < workers_.size(); ++i) {
      std::string line = std::move(workers_[i].lines.front());
      workers_[i].lines.pop_front();
      if (!line.starts_with(prefix)) {
        return std::unexpected(Failure{"worker " + std::to_string(i) + " said '" +
                                       line.substr(0, 200) + "' in the " + std::string(phase) +
                                       " phase"});
      }
      rest.push_back(line.substr(prefix.size()));
    }
    return rest;
  }

  std::expected<void, Failure> SleepWatching(double seconds, std::string_view phase) {
    const int64_t until_ns = MonotonicNs() + static_cast<int64_t>(seconds * 1e9);
    for (int64_t now = MonotonicNs(); now < until_ns; now = MonotonicNs()) {
      const int slice_ms = static_cast<int>(std::min<int64_t>(kPollSliceMs, (until_ns - now) / 1'000'000 + 1));
      if (auto p = PollWorkers(slice_ms, phase); !p) return p;
    }
    return {};
  }

  // Reads whatever the workers sent within `timeout_ms`. Fails on the
  // deadline, on a worker's exit and on a worker's "error" line.
  std::expected<void, Failure> PollWorkers(int timeout_ms, std::string_view phase) {
    const int64_t now = MonotonicNs();
    if (now > deadline_ns_) {
      char text[128];
      std::snprintf(text, sizeof(text), "--max-runtime-s (%g s) exceeded in the %.*s phase",
                    options_.max_runtime_s, static_cast<int>(phase.size()), phase.data());
      return std::unexpected(Failure{text, 3});
    }
    timeout_ms = static_cast<int>(std::min<int64_t>(timeout_ms, (deadline_ns_ - now) / 1'000'000 + 1));
    std::vector<pollfd> fds;
    for (const WorkerHandle& h : workers_) {
      // A negative fd makes poll() skip the entry: a finished worker's EOF.
      fds.push_back(pollfd{h.finished ? -1 : h.report_fd, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), timeout_ms) <= 0) return {};
    for (size_t i = 0; i < workers_.size(); ++i) {
      if (fds[i].revents == 0) continue;
      if (auto r = ReadWorker(i, phase); !r) return r;
    }
    return {};
  }

  std::expected<void, Failure> ReadWorker(size_t i, std::string_view phase) {
    WorkerHandle& h = workers_[i];
    char buf[65536];
    const ssize_t n = read(h.report_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) return {};
    if (n <= 0) {
      return std::unexpected(Failure{"worker " + std::to_string(i) + " exited in the " +
                                     std::string(phase) + " phase"});
    }
    h.buffer.append(buf, static_cast<size_t>(n));
    for (size_t eol; (eol = h.buffer.find('\n')) != std::string::npos;) {
      std::string line = h.buffer.substr(0, eol);
      h.buffer.erase(0, eol + 1);
      if (line.starts_with("error ")) {
        return std::unexpected(Failure{"worker " + std::to_string(i) + ": " + line.substr(6)});
      }
      h.finished = line.starts_with("result ");
      h.lines.push_back(std::move(line));
    }
    if (h.buffer.size() > kWorkerLineBytesMax) {
      return std::unexpected(Failure{"worker " + std::to_string(i) + " sent an oversized line"});
    }
    return {};
  }

  void SendAll(std::string_view command) {
    const std::string line = std::string(command) + "\n";
    // A worker that is gone shows up as EOF on its report pipe.
    for (const WorkerHandle& h : workers_) (void)!write(h.control_fd, line.data(), line.size());
  }

  // The server's processes summed (one unless --server-pids).
  void Sample(std::optional<ProcessSample>& slot) {
    if (server_.pid == 0) return;
    ProcessSample total;
    std::vector<int64_t> pids = {server_.pid};
    pids.insert(pids.end(), options_.extra_server_pids.begin(), options_.extra_server_pids.end());
    for (int64_t pid : pids) {
      auto sample = SampleProcess(static_cast<pid_t>(pid));
      if (!sample) {
        if (server_.error.empty()) server_.error = "pid " + std::to_string(pid) + ": " + sample.error();
        return;
      }
      total.cpu_s += sample->cpu_s;
      total.rss_bytes += sample->rss_bytes;
    }
    slot = total;
  }

  void CloseHandles(WorkerHandle& h) {
    close(h.control_fd);
    close(h.report_fd);
    h.control_fd = h.report_fd = -1;
  }

  void KillAndReap() {
    for (WorkerHandle& h : workers_) kill(h.pid, SIGKILL);
    ReapAll();
  }

  void ReapAll() {
    for (size_t i = 0; i < workers_.size(); ++i) {
      int status = 0;
      waitpid(workers_[i].pid, &status, 0);
      if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "[loadgen] worker %zu exited with status %d\n", i, WEXITSTATUS(status));
      }
      CloseHandles(workers_[i]);
    }
  }

  int PrintReport() {
    WorkerReport merged;
    merged.workers = 0;
    for (size_t i = 0; i < results_.size(); ++i) {
      auto json = ParseJson(results_[i]);
      auto report = json ? WorkerReportFromJson(*json) : std::unexpected(json.error());
      if (!report) return PrintFailure({"worker " + std::to_string(i) + ": " + report.error(), 1});
      MergeWorkerReport(*report, merged);
    }
    LoadgenFacts facts;
    facts.procs = static_cast<int64_t>(workers_.size());
    facts.cpu_s = OwnCpuSeconds(true);
    facts.wall_s = static_cast<double>(MonotonicNs() - start_ns_) / 1e9;
    facts.idle_s = idle_s_;
    std::printf("%s\n", BuildRunReport(options_, merged, server_, facts).Serialize().c_str());
    return 0;
  }

  int PrintFailure(const Failure& failure) {
    std::fprintf(stderr, "sela-loadgen: %s\n", failure.message.c_str());
    std::printf("%s\n", BuildErrorReport(options_, failure.message).Serialize().c_str());
    return failure.exit_code;
  }

  void Progress(const char* format, ...) __attribute__((format(printf, 2, 3))) {
    if (options_.quiet) return;
    std::va_list args;
    va_start(args, format);
    std::fputs("[loadgen] ", stderr);
    std::vfprintf(stderr, format, args);
    std::fputc('\n', stderr);
    va_end(args);
  }

  const Options& options_;
  const Endpoints& endpoints_;
  std::vector<WorkerHandle> workers_;
  std::vector<std::string> results_;
  ServerSamples server_;
  int64_t start_ns_ = 0;
  int64_t deadline_ns_ = 0;
  double idle_s_ = 0;
};

}  // namespace

int64_t RaiseFdLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? kFdLimitWhenUnlimited : limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
  return static_cast<int64_t>(limit.rlim_cur);
}

std::expected<int64_t, std::string> WorkerProcesses(int64_t nodes, int64_t requested_procs,
                                                    int64_t fd_limit) {
  const int64_t per_proc_max = fd_limit - kFdReserve;
  if (per_proc_max <= 0) {
    return std::unexpected("RLIMIT_NOFILE is " + std::to_string(fd_limit) + ", too low to run");
  }
  const int64_t needed = (nodes + per_proc_max - 1) / per_proc_max;
  if (requested_procs == 0) {
    if (needed > kProcsMax) {
      return std::unexpected(std::to_string(nodes) + " connections need " + std::to_string(needed) +
                             " processes at RLIMIT_NOFILE " + std::to_string(fd_limit) +
                             "; the maximum is " + std::to_string(kProcsMax));
    }
    return needed;
  }
  if (requested_procs < needed) {
    return std::unexpected("--procs " + std::to_string(requested_procs) + " puts more than " +
                           std::to_string(per_proc_max) + " connections (RLIMIT_NOFILE " +
                           std::to_string(fd_limit) + " minus " + std::to_string(kFdReserve) +
                           ") in one process; use --procs " + std::to_string(needed) +
                           " or more");
  }
  return requested_procs;
}

int RunCoordinator(const Options& options, const Endpoints& endpoints) {
  return Coordinator(options, endpoints).Run();
}

}  // namespace loadgen
