// ledger_bench: the rewards ledger on the embedded store, timed.
//
//   transfers  ledger transfers per second: job-like transfers (each with a
//              daily cap, to 10,000 principals) through Store::ApplyTransfers,
//              --per-call transfers per operation, the store's writer
//              group-committing whatever is queued (batch_ops_max per
//              transaction), as under load.
//   distribute one uptime distribution run (rewards::Distributor) over
//              --principals principals, each with a day of unpaid measured
//              minutes and speed samples; its wall time and the growth of
//              the process's resident memory while it ran.
//
// Prints one JSON object per line: {"bench":..., ...}. bench/run reads them.
//
//   seed-referrals  prepares a store file for bench/run's jobs-with-rewards
//              row: nodes named as sela-loadgen names them (plain format),
//              each referred by node (i - 1) / 2, so that every job but
//              node 0's pays its node and one or two referrers.
//
//   build/release/bench/ledger_bench transfers [--count N] [--per-call K]
//   build/release/bench/ledger_bench distribute [--principals N]
//   build/release/bench/ledger_bench seed-referrals --db PATH [--nodes N] [--prefix P]
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/calendar.h"
#include "core/clock.h"
#include "rewards/distributor.h"
#include "rewards/ids.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using Clock = std::chrono::steady_clock;

// Callbacks of the store, run by the main thread.
class Posts {
 public:
  void Post(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(fn));
    cv_.notify_one();
  }
  size_t RunAll() {
    std::deque<std::function<void()>> taken;
    {
      std::lock_guard lock(mu_);
      taken.swap(queue_);
    }
    for (auto& fn : taken) fn();
    return taken.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

struct Env {
  std::string dir;
  Posts posts;
  std::unique_ptr<sela::store::Store> store;

  // A store in a fresh temporary directory, or on `path` (kept).
  explicit Env(const std::string& path = "") {
    char tmpl[] = "/tmp/ledger_bench_XXXXXX";
    if (path.empty()) dir = mkdtemp(tmpl);
    sela::store::SqliteOptions o;
    o.path = path.empty() ? dir + "/sela.db" : path;
    o.random = [rng = std::mt19937_64(1)]() mutable { return rng(); };
    auto opened = sela::store::SqliteStore::Open(o, [this](std::function<void()> fn) { posts.Post(std::move(fn)); });
    if (!opened) {
      std::fprintf(stderr, "cannot open the store: %s\n", opened.error().ToString().c_str());
      std::exit(2);
    }
    store = std::move(*opened);
  }
  ~Env() {
    store.reset();
    posts.RunAll();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
  void Settle() {
    while (true) {
      store->Flush();
      if (posts.RunAll() == 0) return;
    }
  }
};

int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0;
  int64_t resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// CPU seconds of the whole process (every thread) so far.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

const char* Arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

int Transfers(int64_t count, int64_t per_call) {
  Env env;
  constexpr int kPrincipals = 10'000;
  constexpr int64_t kInFlightMax = 60'000;  // Operations queued at once, under the store's queue limit.
  int64_t failed = 0;
  int64_t issued = 0;
  int64_t done = 0;
  const auto t0 = Clock::now();
  const double cpu0 = CpuSeconds();
  while (done < count) {
    while (issued < count && (issued - done) / per_call < kInFlightMax / 2) {
      std::vector<sela::store::Transfer> batch;
      for (int64_t k = 0; k < per_call && issued < count; ++k, ++issued) {
        sela::store::Transfer t;
        t.id = sela::rewards::JobTransferId("job_" + std::to_string(issued));
        t.kind = sela::store::RewardKind::kJob;
        t.principal = "node-" + std::to_string(issued % kPrincipals);
        t.amount_units = 1'200'000 + issued % 1000;
        t.cap = {sela::store::TransferCap::Window::kDay, sela::store::KindBit(sela::store::RewardKind::kJob),
                 200'000'000'000};
        t.day = "2024-03-10";
        t.created_ms = 1'710'028'800'000 + issued;
        t.job_id = "job_" + std::to_string(issued);
        batch.push_back(std::move(t));
      }
      const int64_t n = static_cast<int64_t>(batch.size());
      env.store->ApplyTransfers(std::move(batch), "", [&, n](sela::Result<std::vector<sela::store::AppliedTransfer>> r) {
        if (!r) ++failed;
        done += n;
      });
    }
    env.store->Flush();
    env.posts.RunAll();
  }
  const double s = Seconds(t0, Clock::now());
  const double cpu = CpuSeconds() - cpu0;
  std::optional<sela::store::LedgerAudit> audit;
  env.store->AuditLedger([&](sela::Result<sela::store::LedgerAudit> r) { if (r) audit = *r; });
  env.Settle();
  std::printf(
      "{\"bench\":\"ledger_transfers\",\"transfers\":%lld,\"per_call\":%lld,\"seconds\":%.3f,"
      "\"transfers_per_s\":%.0f,\"cpu_seconds\":%.3f,\"transfers_per_cpu_s\":%.0f,\"failed_calls\":%lld,"
      "\"balanced\":%s}\n",
      static_cast<long long>(count), static_cast<long long>(per_call), s, count / s, cpu, count / cpu,
      static_cast<long long>(failed),
      audit && audit->balanced() && audit->transfers == count ? "true" : "false");
  return failed == 0 ? 0 : 1;
}

int Distribute(int64_t principals) {
  Env env;
  // Yesterday's and today's rows of every principal (one page of each is a
  // store read), with a speed test each.
  const std::string day = "2024-03-10";
  const auto s0 = Clock::now();
  for (int64_t i = 0; i < principals;) {
    std::vector<sela::store::UptimeDelta> deltas;
    for (int k = 0; k < 5'000 && i < principals; ++k, ++i) {
      sela::store::UptimeDelta d;
      d.principal = "node-" + std::to_string(i);
      d.day = day;
      d.online_ms = (60 + i % 1'380) * 60'000 + i % 60'000;
      d.sessions = 1;
      d.speed_sum = static_cast<double>(i % 120);
      d.speed_count = 1;
      d.ping_sum = static_cast<double>(i % 200);
      d.ping_count = 1;
      deltas.push_back(std::move(d));
    }
    env.store->AddUptime(std::move(deltas), 1'710'100'000'000, [](sela::Status st) {
      if (!st.ok()) std::fprintf(stderr, "AddUptime: %s\n", st.ToString().c_str());
    });
  }
  env.Settle();
  const double seed_s = Seconds(s0, Clock::now());

  struct FixedClock final : sela::Clock {
    sela::MonoTime Now() const override { return sela::MonoTime{}; }
    int64_t WallMs() const override { return 1'710'100'000'000; }
  } clock;
  sela::rewards::DistributorOptions o;
  o.owner = "bench";
  sela::rewards::Distributor distributor(o, *env.store, clock);

  std::atomic<bool> running = true;
  std::atomic<int64_t> peak = RssBytes();
  const int64_t before = peak.load();
  std::thread sampler([&] {
    while (running) {
      peak = std::max(peak.load(), RssBytes());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::optional<sela::Result<sela::rewards::RunOutcome>> outcome;
  const auto t0 = Clock::now();
  const double cpu0 = CpuSeconds();
  distributor.RunUptime(sela::rewards::Trigger::kManual,
                        [&](sela::Result<sela::rewards::RunOutcome> r) { outcome.emplace(std::move(r)); });
  env.Settle();
  const double s = Seconds(t0, Clock::now());
  const double cpu = CpuSeconds() - cpu0;
  running = false;
  sampler.join();
  if (!outcome || !outcome->has_value()) {
    std::fprintf(stderr, "run failed: %s\n", outcome ? (*outcome).error().ToString().c_str() : "no answer");
    return 1;
  }
  const sela::store::RunRecord& run = (*outcome)->run;
  std::printf(
      "{\"bench\":\"distribution_run\",\"principals\":%lld,\"paid\":%lld,\"units\":%lld,\"seconds\":%.3f,"
      "\"cpu_seconds\":%.3f,\"rss_growth_bytes\":%lld,\"rss_peak_bytes\":%lld,\"seed_seconds\":%.3f}\n",
      static_cast<long long>(principals), static_cast<long long>(run.users), static_cast<long long>(run.total_units), s,
      cpu,
      static_cast<long long>(peak.load() - before), static_cast<long long>(peak.load()), seed_s);
  return run.users == principals ? 0 : 1;
}

// sela-loadgen's plain principals: prefix + the index, zero-padded to
// max(6, digits of nodes - 1) (tools/loadgen/principal.cc).
std::string LoadgenPrincipal(const std::string& prefix, int64_t index, int64_t nodes) {
  int width = 1;
  for (int64_t n = nodes > 0 ? nodes - 1 : 0; n >= 10; n /= 10) ++width;
  std::string digits = std::to_string(index);
  if (static_cast<int>(digits.size()) < std::max(width, 6)) digits.insert(0, std::max(width, 6) - digits.size(), '0');
  return prefix + digits;
}

int SeedReferrals(const std::string& path, int64_t nodes, const std::string& prefix) {
  Env env(path);
  std::vector<std::string> codes(static_cast<size_t>(nodes));
  for (int64_t i = 0; i < nodes; ++i) {
    env.store->RegisterNode(LoadgenPrincipal(prefix, i, nodes), "1", 1'710'028'800'000,
                            [&codes, i](sela::Result<sela::store::NodeRecord> r) {
                              if (r) codes[static_cast<size_t>(i)] = r->referral_code;
                            });
  }
  env.Settle();
  int64_t referred = 0;
  for (int64_t i = 1; i < nodes; ++i) {
    env.store->RegisterReferral(LoadgenPrincipal(prefix, i, nodes), codes[static_cast<size_t>((i - 1) / 2)],
                                1'710'028'800'000, [&](sela::Result<sela::store::ReferralOutcome> r) {
                                  if (r && r->refusal == sela::store::ReferralRefusal::kNone) ++referred;
                                });
  }
  env.Settle();
  std::printf("{\"bench\":\"seed_referrals\",\"nodes\":%lld,\"referred\":%lld}\n", static_cast<long long>(nodes),
              static_cast<long long>(referred));
  return referred == nodes - 1 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "transfers") {
    return Transfers(std::atoll(Arg(argc, argv, "--count", "300000")), std::atoll(Arg(argc, argv, "--per-call", "1")));
  }
  if (mode == "distribute") return Distribute(std::atoll(Arg(argc, argv, "--principals", "250000")));
  if (mode == "seed-referrals") {
    const std::string db = Arg(argc, argv, "--db", "");
    if (db.empty()) {
      std::fprintf(stderr, "seed-referrals needs --db PATH\n");
      return 2;
    }
    return SeedReferrals(db, std::atoll(Arg(argc, argv, "--nodes", "10000")), Arg(argc, argv, "--prefix", "loadgen-"));
  }
  std::fprintf(stderr,
               "usage: ledger_bench transfers [--count N] [--per-call K] | distribute [--principals N] |\n"
               "       seed-referrals --db PATH [--nodes N] [--prefix P]\n");
  return 2;
}
