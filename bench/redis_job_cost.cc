// redis_job_cost: what one job costs the Redis store and Redis itself, along
// the server's hot path, counted and timed outside the server so that a
// script change can be judged apart from the noise of a whole run.
//
// A fresh redis-server (its appendfsync as asked) and a RedisStore served by
// an event loop thread, as in sela-server. Every job is created already
// leased (charged, sync, with a deadline, as scrapeUrl with a free node does)
// and completed with a result of --result-bytes; batch b holds the creations
// of --jobs-per-batch new jobs and the completions of batch b-1's, issued in
// one pass of the loop (one write), as under load.
//
// Prints: Redis commands and scripts per job (the store's requests, and
// Redis's INFO commandstats), Redis's CPU per job (from /proc), the store's
// CPU per job (this process: the loop thread's work, and the issuing), jobs/s
// and the wall time of one batch's round trip.
//
//   build/release/bench/redis_job_cost [--jobs 20000] [--jobs-per-batch 64]
//                                       [--result-bytes 1024] [--fsync none|everysec|always]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "store/redis/redis_server_process.h"

namespace {

using sela::Result;
using sela::store::ApiClient;
using sela::store::CompleteOutcome;
using sela::store::CreateJobOutcome;
using sela::store::CreateJobRequest;
using sela::store::JobCompletion;
using sela::store::JobRecord;
using sela::store::JobState;
using sela::store::RedisStore;
using sela::store::testing::LoopThread;
using sela::store::testing::RedisServer;

struct Options {
  int jobs = 20'000;
  int per_batch = 64;
  int result_bytes = 1024;
  std::string fsync;  // "" = none.
};

bool ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const std::string value = argv[i + 1];
    if (name == "--jobs") {
      o.jobs = std::stoi(value);
    } else if (name == "--jobs-per-batch") {
      o.per_batch = std::stoi(value);
    } else if (name == "--result-bytes") {
      o.result_bytes = std::stoi(value);
    } else if (name == "--fsync") {
      o.fsync = value == "none" ? "" : value;
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && o.jobs > 0 && o.per_batch > 0 && o.result_bytes >= 0;
}

double CpuSecondsOfPid(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double OwnCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// {command: calls} from INFO commandstats.
std::map<std::string, uint64_t> CommandCalls(RedisServer& server) {
  std::map<std::string, uint64_t> calls;
  const std::string info = server.Command({"INFO", "commandstats"}).value_or("");
  std::istringstream lines(info);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("cmdstat_")) continue;
    const size_t colon = line.find(':');
    const size_t at = line.find("calls=");
    if (colon == std::string::npos || at == std::string::npos) continue;
    calls[line.substr(8, colon - 8)] = std::stoull(line.substr(at + 6));
  }
  return calls;
}

JobRecord LeasedJob(int i, int64_t now_ms) {
  JobRecord job;
  job.job_id = "job_" + std::to_string(now_ms) + "_" + std::to_string(i);
  job.client_uuid = "bench";
  job.job_type = "HTML";
  job.target = "https://example.com/" + std::to_string(i);
  job.state = JobState::kOngoing;
  job.attempt = 1;
  job.node_principal = "node-bench";
  job.node_client_id = "1700000000000";
  job.created_ms = now_ms;
  job.assigned_ms = now_ms;
  job.lease_deadline_ms = now_ms + 300'000;
  job.deadline_ms = now_ms + 30'000;
  job.sync = true;
  return job;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: redis_job_cost [--jobs N] [--jobs-per-batch K] [--result-bytes B] "
                 "[--fsync none|everysec|always]\n");
    return 2;
  }
  auto server = RedisServer::Start({.appendfsync = o.fsync, .password = ""});
  if (!server) {
    std::fprintf(stderr, "redis_job_cost: %s\n", server.error().ToString().c_str());
    return 1;
  }
  LoopThread loop;
  std::vector<std::function<void()>> posted;
  std::mutex mu;
  auto post = [&](std::function<void()> fn) {
    std::lock_guard lock(mu);
    posted.push_back(std::move(fn));
  };
  auto run_posted = [&] {
    std::vector<std::function<void()>> now;
    {
      std::lock_guard lock(mu);
      now.swap(posted);
    }
    for (auto& fn : now) fn();
  };
  auto opened = RedisStore::Open(TestRedisOptions(**server, "bench", 1), loop.loop(), post);
  if (!opened) {
    std::fprintf(stderr, "redis_job_cost: %s\n", opened.error().ToString().c_str());
    return 1;
  }
  std::unique_ptr<RedisStore> store = std::move(*opened);
  const int64_t now_ms = 1'700'000'000'000;
  bool ok = true;
  store->RegisterApiClient(ApiClient{"bench", std::string(64, 'a'), 0, 1'000'000'000, now_ms},
                           [&](Result<ApiClient> r) { ok = ok && r.has_value(); });
  store->Flush();
  run_posted();

  const std::string result = "[" + std::string(o.result_bytes > 2 ? o.result_bytes - 2 : 0, '1') + "]";
  std::vector<std::string> previous;
  int failures = 0;
  const auto calls_before = CommandCalls(**server);
  const uint64_t sent_before = 0;
  const double redis_cpu_before = CpuSecondsOfPid((*server)->pid());
  const double own_cpu_before = OwnCpuSeconds();
  const auto started = std::chrono::steady_clock::now();
  int created = 0;
  int batches = 0;
  while (created < o.jobs || !previous.empty()) {
    std::vector<std::string> ids;
    std::promise<void> issued;
    loop.loop().Post([&] {
      for (int i = 0; i < o.per_batch && created < o.jobs; ++i, ++created) {
        CreateJobRequest request;
        request.job = LeasedJob(created, now_ms);
        ids.push_back(request.job.job_id);
        store->CreateJob(request, [&](Result<CreateJobOutcome> r) { failures += r.has_value() ? 0 : 1; });
      }
      for (const std::string& id : previous) {
        JobCompletion c;
        c.node_principal = "node-bench";
        c.attempt = 1;
        c.result_hash = std::string(64, 'b');
        c.result_content_type = "application/json";
        c.result = result;
        // Paid as the server pays (a capped transfer and two task shares'
        // lookups), so the figures include the payment.
        c.reward = {.amount_units = 1000, .daily_cap_units = 1'000'000'000, .referral_l1_bp = 500,
                    .referral_l2_bp = 200, .day = "2026-01-01"};
        store->CompleteJob(id, c, now_ms + 5, [&](Result<sela::store::CompletedJob> r) { failures += r.has_value() ? 0 : 1; });
      }
      issued.set_value();
    });
    issued.get_future().wait();
    store->Flush();
    run_posted();
    previous = std::move(ids);
    ++batches;
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double redis_cpu = CpuSecondsOfPid((*server)->pid()) - redis_cpu_before;
  const double own_cpu = OwnCpuSeconds() - own_cpu_before;
  const auto calls_after = CommandCalls(**server);
  uint64_t evalsha = 0;
  uint64_t top_level = 0;
  std::string breakdown;
  for (const auto& [name, n] : calls_after) {
    const uint64_t d = n - (calls_before.contains(name) ? calls_before.at(name) : 0);
    if (d == 0 || name == "info") continue;
    breakdown += " " + name + "=" + std::to_string(d);
  }
  std::promise<uint64_t> sent;
  loop.loop().Post([&] { sent.set_value(store->commands_sent()); });
  const uint64_t commands = sent.get_future().get() - sent_before;
  evalsha = calls_after.contains("evalsha") ? calls_after.at("evalsha") - (calls_before.contains("evalsha") ? calls_before.at("evalsha") : 0) : 0;
  top_level = commands;
  const double jobs = o.jobs;
  std::printf(
      "jobs %d, %d per batch, result %d B, appendfsync %s: %.2f commands/job (%.2f scripts/job), "
      "redis %.1f us CPU/job, store %.1f us CPU/job, %.0f jobs/s, %.2f ms per batch round trip, "
      "%d failed\n  redis calls inside and outside scripts:%s\n",
      o.jobs, o.per_batch, o.result_bytes, o.fsync.empty() ? "none" : o.fsync.c_str(),
      static_cast<double>(top_level) / jobs, static_cast<double>(evalsha) / jobs, redis_cpu * 1e6 / jobs,
      own_cpu * 1e6 / jobs, jobs / wall_s, wall_s * 1e3 / batches, failures, breakdown.c_str());
  store.reset();
  run_posted();
  return ok && failures == 0 ? 0 : 1;
}
