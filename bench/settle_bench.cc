// settle_bench: settlement of N principals through the whole path (SQLite
// journal, Settler, agent, HTTP, BLS-certified answers) against the fake IC
// endpoint run as its own process (tools/fake-ic), whose memory is read
// from /proc. docs/CHAIN.md "Benchmarks".
//
//   settle_bench FAKE_IC_BINARY N [IN_FLIGHT] [ROUND_US]
//
// ROUND_US > 0 starts the fake with --round-us (answers certified in
// rounds under one signature, as the IC does); 0 (default) signs each.
// Prints the load average, the time to create the run, the time until
// every settlement is confirmed, settlements per second, the settling
// side's (this process: store, Settler, agent) and the fake endpoint's
// peak and final RSS, and the verifier's signature-cache hits. Checks that
// the fake ledger's total supply equals what was credited and that it
// holds exactly N blocks (no transfer applied twice); exits 1 otherwise.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include "auth/signing_key.h"
#include "chain/agent.h"
#include "chain/executor.h"
#include "chain/http_client.h"
#include "chain/icrc1_client.h"
#include "codec/principal.h"
#include "core/clock.h"
#include "settle/settler.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using namespace sela;  // NOLINT: a benchmark's main file.

struct Loop {
  std::mutex mu;
  std::deque<std::function<void()>> q;
  void Post(std::function<void()> f) {
    std::lock_guard l(mu);
    q.push_back(std::move(f));
  }
  size_t RunAll() {
    size_t n = 0;
    while (true) {
      std::function<void()> f;
      {
        std::lock_guard l(mu);
        if (q.empty()) return n;
        f = std::move(q.front());
        q.pop_front();
      }
      f();
      ++n;
    }
  }
};

std::string Principal(uint32_t n) {
  std::string bytes(29, '\x33');
  for (int i = 0; i < 4; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>(n >> (8 * i));
  bytes[28] = '\x02';
  return codec::Principal::FromBytes(bytes).value().ToText();
}

long RssKb(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return -1;
}

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <typename T, typename Op>
Result<T> Sync(Loop& loop, Op op) {
  std::optional<Result<T>> out;
  op([&out](Result<T> r) { out = std::move(r); });
  while (!out) {
    if (loop.RunAll() == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return std::move(*out);
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

int Run(const std::string& fake_ic, uint32_t n, uint32_t in_flight, int64_t round_us) {
  std::printf("load average at start %s\n", LoadAverage().c_str());
  // The fake's minter: a fixed Ed25519 identity.
  auto key = auth::SigningKey::Ed25519FromSeed(std::string(32, '\x07')).value();
  chain::Identity identity(std::move(key));
  char dir[] = "/tmp/settle_bench_XXXXXX";
  if (mkdtemp(dir) == nullptr) return 1;
  const std::string port_file = std::string(dir) + "/port";
  const pid_t child = fork();
  if (child == 0) {
    const std::string minter = identity.principal().ToText();
    const std::string round = "--round-us=" + std::to_string(round_us);
    if (round_us > 0) {
      execl(fake_ic.c_str(), fake_ic.c_str(), minter.c_str(), port_file.c_str(), round.c_str(),
            static_cast<char*>(nullptr));
    } else {
      execl(fake_ic.c_str(), fake_ic.c_str(), minter.c_str(), port_file.c_str(), static_cast<char*>(nullptr));
    }
    _exit(127);
  }
  std::string port, root;
  for (int i = 0; i < 200 && port.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(port_file);
    in >> port >> root;
  }
  if (port.empty()) return 1;
  // The Settler logs a line per transfer sent and confirmed, as in the
  // server: to a file here, not the terminal.
  const std::string log_path = std::string(dir) + "/settle.log";
  spdlog::set_default_logger(spdlog::basic_logger_mt("settle_bench", log_path));
  SystemClock clock;
  Loop loop;
  store::SqliteOptions so;
  so.path = std::string(dir) + "/sela.db";
  so.random = [x = uint64_t{1}]() mutable { return x++; };
  auto store = store::SqliteStore::Open(so, [&loop](std::function<void()> f) { loop.Post(std::move(f)); }).value();
  // Nodes earn: one admin credit each, in batches.
  chain::icrc1::Uint128 credited = 0;
  for (uint32_t from = 0; from < n; from += 10'000) {
    std::vector<store::Transfer> batch;
    for (uint32_t i = from; i < std::min(n, from + 10'000); ++i) {
      store::Transfer t;
      t.id = "admin:bench:" + std::to_string(i);
      t.kind = store::RewardKind::kAdmin;
      t.principal = Principal(i);
      t.amount_units = 1'000 + i;
      credited += t.amount_units;
      t.day = "2025-11-25";
      batch.push_back(std::move(t));
    }
    auto r = Sync<std::vector<store::AppliedTransfer>>(loop, [&](auto cb) { store->ApplyTransfers(std::move(batch), "", cb); });
    if (!r) return 1;
  }
  chain::HttpClientOptions ho;
  ho.idle_connections_max = in_flight;
  auto http = chain::HttpClient::Create(chain::Url::Parse("http://127.0.0.1:" + port).value(), ho).value();
  chain::AgentOptions ao;
  ao.root_key_der_hex = root;
  auto agent = chain::Agent::Create(*http, identity, ao, chain::SystemAgentEnv(clock)).value();
  chain::Icrc1Client ledger(*agent, codec::Principal::FromText("y5ego-zyaaa-aaaao-qkfhq-cai").value());
  chain::Executor executor(in_flight, 1 << 20, [&loop](std::function<void()> f) { loop.Post(std::move(f)); });
  MetricsRegistry metrics;
  settle::SettlerOptions opts;
  opts.enabled = true;
  opts.in_flight_max = in_flight;
  opts.batch_limit = 10'000;
  opts.due_per_tick = 4 * in_flight;
  settle::Settler settler(opts, *store, clock, [&](const chain::icrc1::TransferArg& arg, settle::TransferDone done) {
    executor.Run<chain::TransferOutcome>([&ledger, arg] { return ledger.Transfer(arg); }, std::move(done));
  }, metrics);
  const auto t0 = std::chrono::steady_clock::now();
  auto run = Sync<settle::RunSummary>(loop, [&](auto cb) { settler.StartRun("bench", cb); });
  if (!run) return 1;
  const double create_s = Since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  // As the server's loop: a Tick a second (app/main.cc), callbacks as they
  // come; done when every settlement of the run is confirmed.
  const Counter& confirmed = metrics.GetCounter("sela_settlement_confirmed_total", "Settlements confirmed on the ledger.");
  auto last_tick = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  uint64_t seen = 0;
  auto progress = std::chrono::steady_clock::now();
  while (static_cast<int64_t>(confirmed.value()) < run->settlements) {
    if (std::chrono::steady_clock::now() - last_tick >= std::chrono::seconds(1)) {
      last_tick = std::chrono::steady_clock::now();
      settler.Tick();
      if (confirmed.value() != seen) {
        seen = confirmed.value();
        progress = last_tick;
      } else if (last_tick - progress > std::chrono::seconds(120)) {
        std::printf("stalled: %llu of %lld confirmed, none for 120 s (see %s)\n", static_cast<unsigned long long>(seen),
                    static_cast<long long>(run->settlements), log_path.c_str());
        kill(child, SIGTERM);
        waitpid(child, nullptr, 0);
        return 1;
      }
    }
    if (loop.RunAll() == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const int64_t confirmed_in_store =
      Sync<store::SettlementSummary>(loop, [&](auto cb) { store->GetSettlementSummary(cb); })->count_by_state[2];
  const double settle_s = Since(t1);
  const codec::Principal ledger_id = codec::Principal::FromText("y5ego-zyaaa-aaaao-qkfhq-cai").value();
  const auto supply_reply = agent->Query(ledger_id, "icrc1_total_supply", std::string("DIDL\x00\x00", 6));
  const auto supply = supply_reply && supply_reply->replied ? chain::icrc1::DecodeNat(supply_reply->reply)
                                                            : Result<chain::icrc1::Uint128>(Err(Internal("no supply")));
  const auto blocks = ledger.GetBlocks({{0, 0}});
  const bool supply_ok = supply && *supply == credited;
  const bool blocks_ok = blocks && blocks->log_length == n && confirmed_in_store == run->settlements;
  std::printf("principals %u  in_flight %u  round_us %lld  create %.2f s  settle %.1f s  %.0f settlements/s\n", n,
              in_flight, static_cast<long long>(round_us), create_s, settle_s, static_cast<double>(n) / settle_s);
  std::printf("settling side (this process) RSS peak %ld KiB, now %ld KiB;  fake-ic RSS peak %ld KiB, now %ld KiB\n",
              RssKb(getpid(), "VmHWM:"), RssKb(getpid(), "VmRSS:"), RssKb(child, "VmHWM:"), RssKb(child, "VmRSS:"));
  std::printf("verifier signature-cache hits %llu of %u transfers\n",
              static_cast<unsigned long long>(agent->signature_cache_hits()), n);
  std::printf("ledger supply %s (credited %s: %s), blocks %s (%s)  load average at end %s\n",
              supply ? codec::Uint128ToString(*supply).c_str() : "?",
              codec::Uint128ToString(credited).c_str(), supply_ok ? "equal" : "DIFFERENT",
              blocks ? codec::Uint128ToString(blocks->log_length).c_str() : "?", blocks_ok ? "one per principal" : "WRONG",
              LoadAverage().c_str());
  spdlog::default_logger()->flush();
  std::printf("log %lld bytes (two lines per settlement)\n",
              static_cast<long long>(std::ifstream(log_path, std::ios::ate | std::ios::binary).tellg()));
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  store.reset();
  std::system((std::string("rm -rf ") + dir).c_str());
  return supply_ok && blocks_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: settle_bench FAKE_IC_BINARY N [IN_FLIGHT] [ROUND_US]\n");
    return 2;
  }
  return Run(argv[1], static_cast<uint32_t>(std::stoul(argv[2])), argc > 3 ? static_cast<uint32_t>(std::stoul(argv[3])) : 8,
             argc > 4 ? std::stoll(argv[4]) : 0);
}
