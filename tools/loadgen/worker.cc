#include "worker.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>

#include "customers.h"
#include "engine.h"
#include "proc_stats.h"
#include "v1_messages.h"
#include "worker_report.h"

namespace loadgen {
namespace {

constexpr int kPollSliceMs = 100;
constexpr int64_t kProgressIntervalNs = 2'000'000'000;
// After "stop", replies to PINGs already sent are awaited this long.
constexpr int64_t kPingDrainNs = 2'000'000'000;
constexpr size_t kControlBufferBytesMax = 4096;

const char* PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kConnect: return "connect";
    case Phase::kIdle: return "idle";
    case Phase::kPing: return "ping";
    case Phase::kStormRound: return "storm";
    case Phase::kJobs: return "jobs";
    case Phase::kClose: return "close";
  }
  return "?";
}

EngineConfig MakeEngineConfig(const WorkerConfig& wc) {
  const Options& o = wc.options;
  EngineConfig ec;
  ec.endpoints = wc.endpoints;
  ec.path = o.path;
  ec.raw = o.raw;
  ec.principal_in = o.principal_in;
  ec.register_after_upgrades = o.register_after_upgrades;
  ec.v2 = o.protocol == 2;
  ec.connect_rate_per_s = wc.connect_rate_per_s;
  ec.connect_timeout_ns = static_cast<int64_t>(o.connect_timeout_s * 1e9);
  // PINGs keep a connection alive by themselves, and a HEARTBEAT's error
  // reply could not be told from a PING's, so the ping scenario sends none.
  if (o.scenario != Scenario::kPing) ec.heartbeat_interval_ns = static_cast<int64_t>(o.heartbeat_s * 1e9);
  ec.inflight = static_cast<int>(o.inflight);
  ec.seed = MixSeed(static_cast<uint64_t>(o.seed)) + static_cast<uint64_t>(wc.worker_index);
  if (o.scenario == Scenario::kJobs) {
    ec.answer_jobs = true;
    ec.result_delay_ns = static_cast<int64_t>(o.result_delay_ms * 1e6);
    ec.result_data_literal = ResultDataLiteral(o.result_bytes);
  }
  return ec;
}

CustomersConfig MakeCustomersConfig(const WorkerConfig& wc) {
  const Options& o = wc.options;
  CustomersConfig cc;
  cc.endpoints = wc.endpoints;
  cc.uuid = wc.api_uuid;
  cc.connections = o.customers;
  cc.rate_per_s = o.job_rate_per_s;
  cc.pipeline = static_cast<int>(o.pipeline);
  cc.timeout_ms = o.timeout_ms;
  cc.connect_timeout_ns = static_cast<int64_t>(o.connect_timeout_s * 1e9);
  return cc;
}

std::vector<V2Identity> MakeV2Identities(const WorkerConfig& wc) {
  std::vector<V2Identity> ids;
  if (wc.options.protocol != 2) return ids;
  ids.reserve(static_cast<size_t>(wc.node_count));
  for (int64_t i = 0; i < wc.node_count; ++i) {
    auto id = MakeV2Identity(static_cast<uint64_t>(wc.options.seed), static_cast<uint64_t>(wc.first_node + i));
    ids.push_back(id ? std::move(*id) : V2Identity{});
  }
  return ids;
}

std::vector<std::string> MakePrincipals(const WorkerConfig& wc, const std::vector<V2Identity>& v2) {
  const Options& o = wc.options;
  if (!v2.empty()) {
    std::vector<std::string> principals;
    for (const V2Identity& id : v2) principals.push_back(id.principal);
    return principals;
  }
  const int width = PrincipalIndexWidth(static_cast<uint64_t>(o.nodes));
  std::vector<std::string> principals;
  principals.reserve(static_cast<size_t>(wc.node_count));
  for (int64_t i = 0; i < wc.node_count; ++i) {
    principals.push_back(MakePrincipal(o.principal_format, o.principal_prefix,
                                       static_cast<uint64_t>(wc.first_node + i), width));
  }
  return principals;
}

class Worker {
 public:
  Worker(const WorkerConfig& config, int control_fd, int report_fd)
      : config_(config), control_fd_(control_fd), report_fd_(report_fd) {
    if (config.customers) {
      customers_ = std::make_unique<Customers>(MakeCustomersConfig(config), report_);
    } else {
      std::vector<V2Identity> v2 = MakeV2Identities(config);
      engine_ = std::make_unique<Engine>(MakeEngineConfig(config), MakePrincipals(config, v2), report_);
      engine_->SetV2Identities(std::move(v2));
    }
    report_.nodes = config.node_count;
  }

  int Run() {
    auto init = engine_ ? engine_->Init() : customers_->Init();
    if (!init) {
      WriteLine("error " + init.error());
      return 1;
    }
    if (engine_) {
      engine_->WatchAuxFd(control_fd_);
    } else {
      customers_->WatchAuxFd(control_fd_);
    }
    const int64_t start_ns = MonotonicNs();
    const std::vector<Phase> phases = ScenarioPhases(config_.options.scenario, config_.options.rounds);
    report_.rounds.resize(static_cast<size_t>(
        std::count(phases.begin(), phases.end(), Phase::kStormRound)));
    size_t round = 0;
    for (size_t i = 0; i < phases.size(); ++i) {
      if (i > 0 && !WaitCommand("go")) return 3;
      phase_ = phases[i];
      if (!RunPhase(phases[i], round)) return 3;
      if (phases[i] == Phase::kStormRound) ++round;
      if (i + 1 < phases.size() && !WriteLine("done")) return 3;
    }
    report_.cpu_s = OwnCpuSeconds(false);
    report_.wall_s = static_cast<double>(MonotonicNs() - start_ns) / 1e9;
    if (report_.measure_wall_s > 0) {
      report_.measure_cpu_fraction_max = report_.measure_cpu_s / report_.measure_wall_s;
    }
    return WriteLine("result " + WorkerReportToJson(report_).Serialize()) ? 0 : 3;
  }

 private:
  bool RunPhase(Phase phase, size_t round) {
    if (customers_) return RunCustomersPhase(phase);
    switch (phase) {
      case Phase::kConnect: {
        const bool measured = config_.options.scenario == Scenario::kHold;
        if (measured) StartMeasure();
        engine_->BeginWave(&report_.connect);
        const bool ok = PollUntil([this] { return engine_->WaveSettled(); });
        if (measured) EndMeasure();
        return ok;
      }
      case Phase::kIdle:
        return WaitCommand("stop");
      case Phase::kJobs: {
        // Jobs arrive whenever the server sends them; the window only
        // brackets the CPU measurement.
        StartMeasure();
        const bool ok = WaitCommand("stop");
        EndMeasure();
        return ok;
      }
      case Phase::kPing:
        return RunPingPhase();
      case Phase::kStormRound: {
        StartMeasure();
        engine_->BeginStormWave(&report_.rounds[round]);
        const bool ok = PollUntil([this] { return engine_->WaveSettled(); });
        EndMeasure();
        return ok;
      }
      case Phase::kClose:
        engine_->BeginClose();
        return PollUntil([this] { return engine_->AllClosed(); });
    }
    return false;
  }

  bool RunCustomersPhase(Phase phase) {
    switch (phase) {
      case Phase::kConnect: {
        customers_->BeginConnect();
        if (!PollUntil([this] { return customers_->ConnectSettled(); })) return false;
        report_.jobs.customers_connected = customers_->open_connections();
        if (!customers_->registration_error().empty()) {
          WriteLine("error " + customers_->registration_error());
          return false;
        }
        return true;
      }
      case Phase::kJobs:
        return RunJobsWindow();
      case Phase::kClose:
        customers_->CloseAll();
        return true;
      default:
        return false;
    }
  }

  // Submits until "stop", then waits for the answers still outstanding for
  // as long as the server may take to answer them (its job timeout).
  bool RunJobsWindow() {
    StartMeasure();
    const double cpu_start_s = measure_cpu_start_s_;
    customers_->StartSubmitting();
    if (!WaitCommand("stop")) return false;
    customers_->StopSubmitting();
    EndMeasure();
    report_.jobs.customers_cpu_s = OwnCpuSeconds(false) - cpu_start_s;
    const int64_t drain_until_ns =
        MonotonicNs() + config_.options.timeout_ms * 1'000'000 + kResponseGraceNs;
    return PollUntil([&] {
      return customers_->outstanding() == 0 || customers_->now_ns() >= drain_until_ns;
    });
  }

  bool RunPingPhase() {
    StartMeasure();
    engine_->StartPinging(&report_.ping);
    if (!WaitCommand("stop")) return false;
    engine_->StopPinging();
    EndMeasure();
    const int64_t drain_until_ns = MonotonicNs() + kPingDrainNs;
    if (!PollUntil([&] {
          return engine_->pings_outstanding() == 0 || engine_->now_ns() >= drain_until_ns;
        })) {
      return false;
    }
    if (engine_->pings_outstanding() > 0) {
      report_.errors["ping_unanswered"] += engine_->pings_outstanding();
    }
    return true;
  }

  // Brackets the scenario's measured phase for the loadgen's own CPU figure.
  void StartMeasure() {
    measure_cpu_start_s_ = OwnCpuSeconds(false);
    measure_start_ns_ = MonotonicNs();
  }

  void EndMeasure() {
    report_.measure_cpu_s += OwnCpuSeconds(false) - measure_cpu_start_s_;
    report_.measure_wall_s += static_cast<double>(MonotonicNs() - measure_start_ns_) / 1e9;
  }

  // Serves the connections until `done()`; false when the worker must quit.
  template <typename Done>
  bool PollUntil(Done done) {
    while (!done()) {
      if (LoopNowNs() > config_.deadline_ns) {
        std::fprintf(stderr, "sela-loadgen worker %d: deadline exceeded in %s phase\n",
                     config_.worker_index, PhaseName(phase_));
        return false;
      }
      const bool control = engine_ ? engine_->Poll(kPollSliceMs) : customers_->Poll(kPollSliceMs);
      if (control && !ReadControl()) return false;
      MaybePrintProgress();
    }
    return true;
  }

  bool WaitCommand(std::string_view command) {
    if (!PollUntil([this] { return !commands_.empty(); })) return false;
    const bool ok = commands_.front() == command;
    if (!ok) {
      std::fprintf(stderr, "sela-loadgen worker %d: expected '%.*s', got '%s'\n",
                   config_.worker_index, static_cast<int>(command.size()), command.data(),
                   commands_.front().c_str());
    }
    commands_.pop_front();
    return ok;
  }

  // Reads what the parent sent; false on EOF (the parent is gone).
  bool ReadControl() {
    char buf[256];
    const ssize_t n = read(control_fd_, buf, sizeof(buf));
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) return false;
    control_buffer_.append(buf, static_cast<size_t>(n));
    for (size_t eol; (eol = control_buffer_.find('\n')) != std::string::npos;) {
      commands_.push_back(control_buffer_.substr(0, eol));
      control_buffer_.erase(0, eol + 1);
    }
    return control_buffer_.size() <= kControlBufferBytesMax;
  }

  bool WriteLine(std::string line) {
    line += '\n';
    for (size_t off = 0; off < line.size();) {
      const ssize_t n = write(report_fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  int64_t LoopNowNs() const { return engine_ ? engine_->now_ns() : customers_->now_ns(); }

  void MaybePrintProgress() {
    if (config_.options.quiet || LoopNowNs() < next_progress_ns_) return;
    next_progress_ns_ = LoopNowNs() + kProgressIntervalNs;
    std::string extra;
    if (phase_ == Phase::kPing) extra = " round_trips " + std::to_string(report_.ping.round_trips);
    if (phase_ == Phase::kJobs && engine_) {
      extra = " jobs " + std::to_string(report_.jobs.dispatches) + " results " +
              std::to_string(report_.jobs.results_sent);
    }
    const std::string text = engine_ ? engine_->ProgressText() : customers_->ProgressText();
    std::fprintf(stderr, "[loadgen w%d %s] %s%s\n", config_.worker_index, PhaseName(phase_),
                 text.c_str(), extra.c_str());
  }

  const WorkerConfig& config_;
  int control_fd_;
  int report_fd_;
  WorkerReport report_;
  // Exactly one of the two is set.
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Customers> customers_;
  std::deque<std::string> commands_;
  std::string control_buffer_;
  Phase phase_ = Phase::kConnect;
  int64_t next_progress_ns_ = 0;
  double measure_cpu_start_s_ = 0;
  int64_t measure_start_ns_ = 0;
};

}  // namespace

std::vector<Phase> ScenarioPhases(Scenario scenario, int64_t rounds) {
  switch (scenario) {
    case Scenario::kHold:
      return {Phase::kConnect, Phase::kIdle, Phase::kClose};
    case Scenario::kPing:
      return {Phase::kConnect, Phase::kPing, Phase::kClose};
    case Scenario::kStorm: {
      std::vector<Phase> phases{Phase::kConnect};
      phases.insert(phases.end(), static_cast<size_t>(rounds), Phase::kStormRound);
      phases.push_back(Phase::kClose);
      return phases;
    }
    case Scenario::kJobs:
      return {Phase::kConnect, Phase::kJobs, Phase::kClose};
  }
  return {};
}

bool PhaseNeedsStop(Phase phase) {
  return phase == Phase::kIdle || phase == Phase::kPing || phase == Phase::kJobs;
}

int RunWorker(const WorkerConfig& config, int control_fd, int report_fd) {
  return Worker(config, control_fd, report_fd).Run();
}

}  // namespace loadgen
