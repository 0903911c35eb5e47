// The rewards ledger under a seeded random history (ARCHITECTURE.md §7):
// nodes connect and disconnect (some never answer a ping), time crosses UTC
// midnights, uptime is checkpointed, jobs are completed through
// Store::CompleteJob, which pays each job and its referral shares in the
// transaction that completes it, distributions run, and the process is
// killed at random store operations and restarted. After every step:
// - the ledger balances (issued == held, every total equals its transfers);
// - no minute is paid twice: per principal and day, the minutes of its
//   uptime transfers add up to paid_minutes, which never exceeds the
//   measured whole minutes; each job and each share is paid at most once;
// - the store never holds more uptime than the nodes were online, and a
//   crash loses only what accrued since the last acknowledged checkpoint.
// At the end every measured minute is paid and the stored uptime equals the
// time online minus exactly what the crashes lost; every job that exists is
// completed and paid once (its reward_units is its transfer's credit, its
// referrers' shares are floor(credit * bp / 10000)), no node's job credits
// pass the daily cap, and each account's job and task-share credits are
// exactly the sums of those.
//
// The process is the registry, the distributor and a CrashStore over the
// store (SQLite, or Redis on a real redis-server): a crash drops every
// store operation from a random one on and every callback; a restart
// reopens the store (the same file, or the same Redis keys) with a new
// registry and distributor (nodes reconnect), and sends again the job
// results that were not acknowledged, as nodes do.
#include <gtest/gtest.h>

#include <cstdlib>
#include <array>
#include <map>
#include <random>
#include <set>

#include "nodes/registry.h"
#include "rewards/distributor.h"
#include "rewards/ids.h"
#include "rewards/rules.h"
#include "core/calendar.h"
#include "store/redis/redis_test_util.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_contract_test.h"
#include "testing/fake_clock.h"
#include "testing/crash_store.h"

namespace sela::rewards {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kCheckpointMs = 10 * kMinute;
constexpr int64_t kStart = 1'710'028'800'000 - 3 * 3'600'000;  // 2024-03-09 21:00 UTC.
// 30 hours from 21:00: two UTC midnights.
constexpr int64_t kDuration = 30 * 3'600'000;

struct Interval {
  int64_t begin, end;
};

// Online time within [from, to) of the union of the intervals.
int64_t UnionWithin(std::vector<Interval> v, int64_t from, int64_t to) {
  std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
  int64_t total = 0;
  int64_t covered_to = from;
  for (const Interval& i : v) {
    const int64_t b = std::max(i.begin, covered_to);
    const int64_t e = std::min(i.end, to);
    if (e > b) {
      total += e - b;
      covered_to = e;
    }
  }
  return total;
}

class Simulation {
 public:
  Simulation(uint64_t seed, std::unique_ptr<store::testing::StoreEnv> env)
      : rng_(seed), clock_(kStart), env_(std::move(env)) {
    rules_.job_daily_cap_units = SpUnits(2);  // Small, so that caps are hit.
    Open();
    for (const std::string& p : principals_) store_->RegisterNode(p, "1", clock_.WallMs(), [](auto) {});
    store_->RegisterApiClient(store::testing::Client(kClient, 1'000'000, 1),
                              [](Result<store::ApiClient> r) { ASSERT_TRUE(r.has_value()); });
    Settle();
  }
  ~Simulation() { Close(); }

  void Run() {
    // Referral chains: p1 <- p2 <- p3 (p3's L1 is p2, L2 is p1).
    ReferOrDie("p2", "p1");
    ReferOrDie("p3", "p2");
    next_checkpoint_ = clock_.WallMs() + kCheckpointMs;
    while (clock_.WallMs() < kStart + kDuration) {
      ASSERT_NO_FATAL_FAILURE(Step());
      ASSERT_NO_FATAL_FAILURE(CheckInvariants());
    }
    faulty_->CrashAtOperation(UINT64_MAX);  // No crash in the final settling.
    ASSERT_NO_FATAL_FAILURE(Checkpoint());
    ASSERT_NO_FATAL_FAILURE(RunDistribution());
    ASSERT_NO_FATAL_FAILURE(CheckInvariants());
    ASSERT_NO_FATAL_FAILURE(CheckEnd());
  }

 private:
  // Runs the store and the callbacks until nothing is left.
  void Settle() {
    while (true) {
      store_->Flush();
      if (posts_.RunAll() == 0) return;
    }
  }

  void Open() {
    store_ = env_->Open(posts_.AsPostFn()).value();
    faulty_ = std::make_unique<sela::testing::CrashStore>(*store_);
    registry_ = std::make_unique<nodes::NodeRegistry>(nodes::RegistryOptions{.uptime_needs_pong = true});
    DistributorOptions o;
    o.rules = rules_;
    o.owner = "process-" + std::to_string(++generation_);
    o.page_rows = 3;
    distributor_ = std::make_unique<Distributor>(o, *faulty_, clock_);
    conns_.clear();
  }
  void Close() {
    distributor_.reset();
    faulty_.reset();
    store_.reset();
    posts_.RunAll();
  }

  void ReferOrDie(const std::string& referee, const std::string& referrer) {
    std::optional<store::NodeRecord> owner;
    store_->GetNode(referrer, [&](Result<std::optional<store::NodeRecord>> r) { owner = **r; });
    Settle();
    std::optional<store::ReferralOutcome> out;
    store_->RegisterReferral(referee, owner->referral_code, clock_.WallMs(),
                             [&](Result<store::ReferralOutcome> r) { out = *r; });
    Settle();
    ASSERT_EQ(out->refusal, store::ReferralRefusal::kNone);
  }

  void Step() {
    const int64_t now = clock_.WallMs();
    if (now >= next_checkpoint_) return Checkpoint();
    switch (rng_() % 16) {
      case 0: case 1: case 2: return Connect(principals_[rng_() % principals_.size()]);
      case 3: case 4: return Disconnect();
      case 5: case 6: return CompleteJob();
      case 7: return RunDistribution();
      case 8:
        if (rng_() % 6 == 0) RunWeekly();
        return;
      case 9: return ArmCrash();
      default:
        return Advance();
    }
  }

  void Advance() {
    // Up to the next checkpoint, sometimes to just before or after midnight.
    const int64_t now = clock_.WallMs();
    int64_t to = now + 1 + static_cast<int64_t>(rng_() % kCheckpointMs);
    const int64_t midnight = (now / 86'400'000 + 1) * 86'400'000;
    if (rng_() % 4 == 0 && midnight - now < kCheckpointMs) to = midnight - 1 + static_cast<int64_t>(rng_() % 3);
    clock_.Advance(Millis(std::min(to, next_checkpoint_) - now));
  }

  void Connect(const std::string& p) {
    const int64_t now = clock_.WallMs();
    const nodes::NodeIndex node = registry_->Connect(p, now, now);
    ASSERT_NE(node, nodes::kNoNode);
    conns_.push_back({p, node});
    // The bare socket never answers the server's pings; the others at once.
    if (p != kBare) {
      registry_->Verify(node, now);
      if (rng_() % 3 == 0) registry_->RecordSpeed(node, rng_() % 120, std::nullopt, rng_() % 200, now);
    }
    // Online (for the model) from the first connection that answers.
    if (p != kBare && open_[p]++ == 0) intervals_[p].push_back({now, INT64_MAX});
  }

  void Disconnect() {
    if (conns_.empty()) return;
    const size_t i = rng_() % conns_.size();
    const auto [p, node] = conns_[i];
    conns_.erase(conns_.begin() + static_cast<ptrdiff_t>(i));
    registry_->Disconnect(node, clock_.WallMs());
    if (p != kBare && --open_[p] == 0) intervals_[p].back().end = clock_.WallMs();
  }

  void Checkpoint() {
    const int64_t now = clock_.WallMs();
    next_checkpoint_ = now + kCheckpointMs;
    std::vector<store::UptimeDelta> deltas = registry_->Checkpoint(now);
    if (deltas.empty()) {
      last_ack_checkpoint_ = now;
      return;
    }
    bool acked = false;
    faulty_->AddUptime(std::move(deltas), now, [&](Status st) { acked = st.ok(); });
    Settle();
    if (acked) last_ack_checkpoint_ = now;
    if (faulty_->crashed()) Restart();
  }

  // A job leased to an online node (created leased, one store operation),
  // then its result: CompleteJob pays the node and its referrers.
  void CompleteJob() {
    std::vector<std::string> online;
    for (const auto& [p, n] : open_) {
      if (n > 0) online.push_back(p);
    }
    if (online.empty()) return;
    const std::string job_id = "job_" + std::to_string(++jobs_made_);
    jobs_[job_id].worker = online[rng_() % online.size()];
    store::CreateJobRequest request;
    request.job = store::testing::NewJob(job_id, kClient, clock_.WallMs());
    request.job.state = store::JobState::kOngoing;
    request.job.attempt = 1;
    request.job.node_principal = jobs_[job_id].worker;
    request.job.lease_deadline_ms = clock_.WallMs() + 300'000;
    request.charge_usage = false;
    faulty_->CreateJob(request, [](Result<store::CreateJobOutcome> r) {
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
    });
    SendResult(job_id);
    Settle();
    if (faulty_->crashed()) Restart();
  }

  // The node's result, as the job service completes it: the reward for a
  // random time held, today's UTC day, the daily cap and the task shares.
  void SendResult(const std::string& job_id) {
    SimJob& job = jobs_[job_id];
    store::JobCompletion c;
    c.node_principal = job.worker;
    c.attempt = 1;
    c.result = "[1]";
    c.result_hash = store::testing::FakeSha256(1);
    c.result_content_type = "application/json";
    const int64_t held_ms = 1 + static_cast<int64_t>(rng_() % 200'000);
    c.reward = JobRewardSpecFor("HTML", held_ms, UtcDayOf(clock_.WallMs()), rules_);
    faulty_->CompleteJob(job_id, c, clock_.WallMs(), [this, job_id](Result<store::CompletedJob> r) {
      if (!r.has_value() && r.error().code() == Code::kNotFound) {
        jobs_[job_id].lost = true;  // Its creation died with the process.
        return;
      }
      ASSERT_TRUE(r.has_value()) << job_id << ": " << r.error().ToString();
      jobs_[job_id].acked = true;
    });
  }

  void RunDistribution() {
    distributor_->RunUptime(Trigger::kSchedule, [](Result<RunOutcome>) {});
    Settle();
    if (faulty_->crashed()) Restart();
  }
  void RunWeekly() {
    distributor_->RunReferralWeekly(Trigger::kSchedule, [](Result<RunOutcome>) {});
    Settle();
    if (faulty_->crashed()) Restart();
  }

  void ArmCrash() {
    if (crash_armed_) return;
    crash_armed_ = true;
    faulty_->CrashAtOperation(faulty_->operations() + rng_() % 12);
  }

  // The process died: what the registry accrued since the last acknowledged
  // checkpoint is lost, every socket closed. Then it starts again and the
  // nodes that were online reconnect.
  void Restart() {
    const int64_t now = clock_.WallMs();
    for (auto& [p, intervals] : intervals_) {
      std::vector<Interval> closed = intervals;
      for (Interval& i : closed) i.end = std::min(i.end, now);
      lost_[p] += UnionWithin(closed, last_ack_checkpoint_, now);
      if (open_[p] > 0) intervals.back().end = now;
    }
    std::map<std::string, int> was_open = open_;
    open_.clear();
    Close();
    crash_armed_ = false;
    ++crashes_;
    Open();
    last_ack_checkpoint_ = now;
    next_checkpoint_ = now + kCheckpointMs;
    std::optional<Result<std::optional<RunOutcome>>> resumed;
    distributor_->Resume(0, [&](Result<std::optional<RunOutcome>> r) { resumed.emplace(std::move(r)); });
    Settle();
    ASSERT_TRUE(resumed.has_value() && resumed->has_value()) << "resume after a crash";
    // Nodes send again the results the dead process had not acknowledged:
    // the store completes and pays the job now, or answers a repeat (it
    // had completed and paid it before the crash), or NotFound (the job's
    // creation was lost).
    for (const auto& [job_id, job] : jobs_) {
      if (!job.acked && !job.lost) SendResult(job_id);
    }
    Settle();
    for (const auto& [p, n] : was_open) {
      if (n > 0) Connect(p);
    }
  }

  // Every job that exists was completed and paid once, with its shares;
  // every account's job and task-share credits are exactly those.
  void CheckJobs() {
    std::map<std::string, std::array<int64_t, store::kRewardKinds>> expected;
    int64_t paid = 0;
    for (const auto& entry : jobs_) {
      const std::string& job_id = entry.first;
      const SimJob& job = entry.second;
      const auto t = Read<std::optional<store::TransferRecord>>(
          [&](auto done) { store_->GetTransfer(JobTransferId(job_id), done); });
      if (job.lost) {
        EXPECT_FALSE(t.has_value()) << job_id << " was paid but never created";
        continue;
      }
      EXPECT_TRUE(job.acked) << job_id << ": its result was never acknowledged";
      ASSERT_TRUE(t.has_value()) << job_id << " was never paid";
      const auto stored = Read<std::optional<store::JobRecord>>([&](auto done) { store_->GetJob(job_id, done); });
      ASSERT_TRUE(stored.has_value());
      EXPECT_EQ(stored->state, store::JobState::kCompleted) << job_id;
      EXPECT_EQ(stored->reward_units, t->credited_units) << job_id << ": the job shows what was credited";
      const int64_t credited = t->credited_units;
      paid += credited > 0;
      expected[job.worker][0] += credited;
      const auto referrers = referrers_.find(job.worker);
      for (uint32_t level = 1; level <= 2; ++level) {
        const uint32_t bp = level == 1 ? rules_.task_l1_bp : rules_.task_l2_bp;
        const std::string referrer = referrers == referrers_.end() ? "" : referrers->second[level - 1];
        const int64_t share = ShareOf(credited, bp);
        const auto s = Read<std::optional<store::TransferRecord>>(
            [&](auto done) { store_->GetTransfer(ReferralTaskId(job_id, level), done); });
        if (referrer.empty() || share == 0) {
          EXPECT_FALSE(s.has_value()) << job_id << " level " << level;
          continue;
        }
        ASSERT_TRUE(s.has_value()) << job_id << " level " << level << ": share not paid";
        EXPECT_EQ(s->transfer.principal, referrer);
        EXPECT_EQ(s->credited_units, share) << job_id << " level " << level;
        expected[referrer][level] += share;
      }
    }
    EXPECT_GT(paid, 10) << "the history should pay jobs";
    for (const std::string& p : principals_) {
      const auto account = Read<store::AccountSummary>([&](auto done) { store_->GetAccount(p, done); });
      using store::RewardKind;
      EXPECT_EQ(account.credited_by_kind[static_cast<size_t>(RewardKind::kJob)], expected[p][0]) << p;
      EXPECT_EQ(account.credited_by_kind[static_cast<size_t>(RewardKind::kReferralTask1)], expected[p][1]) << p;
      EXPECT_EQ(account.credited_by_kind[static_cast<size_t>(RewardKind::kReferralTask2)], expected[p][2]) << p;
      const auto days = Read<std::vector<store::EarningsDay>>(
          [&](auto done) { store_->GetEarningsDays(p, "2000-01-01", "2100-01-01", done); });
      for (const auto& d : days) {
        EXPECT_LE(d.units[static_cast<size_t>(RewardKind::kJob)], rules_.job_daily_cap_units) << p << " " << d.day;
      }
    }
  }

  // Reads straight from the store (not through the CrashStore).
  template <typename T, typename Issue>
  T Read(Issue&& issue) {
    std::optional<Result<T>> got;
    issue([&](Result<T> r) { got.emplace(std::move(r)); });
    Settle();
    EXPECT_TRUE(got.has_value() && got->has_value());
    return got.has_value() && got->has_value() ? std::move(**got) : T{};
  }

  // Everything the invariants need, read in one pass of the store (every
  // read is issued, then the store is settled once).
  struct Snapshot {
    std::optional<Result<store::LedgerAudit>> audit;
    std::map<std::string, std::optional<Result<store::TransferPage>>> transfers;
    std::map<std::string, std::optional<Result<std::vector<store::UptimeDay>>>> days;
  };
  Snapshot Take() {
    Snapshot snap;
    store_->AuditLedger([&](Result<store::LedgerAudit> r) { snap.audit.emplace(std::move(r)); });
    for (const std::string& p : principals_) {
      store::TransferQuery q;
      q.principal = p;
      q.kinds = store::KindBit(store::RewardKind::kUptime);
      q.limit = 1000;
      store_->ListTransfers(q, [&snap, p](Result<store::TransferPage> r) { snap.transfers[p].emplace(std::move(r)); });
      store_->GetUptimeDays(p, "2000-01-01", "2100-01-01", [&snap, p](Result<std::vector<store::UptimeDay>> r) {
        snap.days[p].emplace(std::move(r));
      });
    }
    Settle();
    return snap;
  }

  void CheckInvariants() {
    const Snapshot snap = Take();
    ASSERT_TRUE(snap.audit.has_value() && snap.audit->has_value());
    const store::LedgerAudit& audit = **snap.audit;
    ASSERT_TRUE(audit.balanced()) << "issued " << audit.issued_units << " held " << audit.held_units;
    for (const std::string& p : principals_) {
      const auto& page = snap.transfers.at(p);
      const auto& days = snap.days.at(p);
      ASSERT_TRUE(page.has_value() && page->has_value() && days.has_value() && days->has_value());
      ASSERT_LT((*page)->transfers.size(), 1000u) << "more uptime transfers than one page holds";
      std::map<std::string, int64_t> minutes_paid;  // By day.
      for (const auto& r : (*page)->transfers) minutes_paid[r.transfer.day] += r.transfer.minutes;
      int64_t stored_ms = 0;
      for (const auto& d : **days) {
        stored_ms += d.online_ms;
        ASSERT_EQ(minutes_paid[d.day], d.paid_minutes) << p << " " << d.day;
        ASSERT_LE(d.paid_minutes, d.online_ms / kMinute) << p << " " << d.day << ": a minute paid that was not measured";
      }
      if (p == kBare) {
        ASSERT_EQ(stored_ms, 0) << "a connection that never answered a ping earned uptime";
        continue;
      }
      std::vector<Interval> upto = intervals_[p];
      for (Interval& i : upto) i.end = std::min(i.end, clock_.WallMs());
      ASSERT_LE(stored_ms, UnionWithin(upto, INT64_MIN, INT64_MAX) - lost_[p]) << p << ": stored ahead of time online";
    }
  }

  void CheckEnd() {
    for (const std::string& p : principals_) {
      if (p == kBare) continue;
      const auto days = Read<std::vector<store::UptimeDay>>(
          [&](auto done) { store_->GetUptimeDays(p, "2000-01-01", "2100-01-01", done); });
      int64_t stored_ms = 0;
      for (const auto& d : days) {
        stored_ms += d.online_ms;
        EXPECT_EQ(d.paid_minutes, d.online_ms / kMinute) << p << " " << d.day << ": every measured minute is paid";
      }
      std::vector<Interval> all = intervals_[p];
      for (Interval& i : all) i.end = std::min(i.end, clock_.WallMs());
      EXPECT_EQ(stored_ms, UnionWithin(all, INT64_MIN, INT64_MAX) - lost_[p]) << p;
    }
    ASSERT_NO_FATAL_FAILURE(CheckJobs());
    EXPECT_GT(crashes_, 0) << "the history should include crashes";
  }

  static constexpr char kBare[] = "bare-socket";
  const std::vector<std::string> principals_ = {"p1", "p2", "p3", "p4", kBare};
  std::mt19937_64 rng_;
  sela::testing::FakeClock clock_;
  RewardRules rules_;
  std::unique_ptr<store::testing::StoreEnv> env_;
  store::testing::PostQueue posts_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<sela::testing::CrashStore> faulty_;
  std::unique_ptr<nodes::NodeRegistry> registry_;
  std::unique_ptr<Distributor> distributor_;
  int generation_ = 0;
  std::vector<std::pair<std::string, nodes::NodeIndex>> conns_;
  std::map<std::string, int> open_;                        // Live connections that answer pings.
  std::map<std::string, std::vector<Interval>> intervals_; // Online (answering) per principal.
  std::map<std::string, int64_t> lost_;                    // Online time the crashes lost.
  struct SimJob {
    std::string worker;
    bool acked = false;  // Its completion was acknowledged.
    bool lost = false;   // The store never had it (NotFound after a crash).
  };
  static constexpr char kClient[] = "sim-client";
  // Who refers whom (Run): level 1 and level 2 referrers.
  const std::map<std::string, std::array<std::string, 2>> referrers_ = {{"p2", {"p1", ""}}, {"p3", {"p2", "p1"}}};
  std::map<std::string, SimJob> jobs_;
  int64_t jobs_made_ = 0;
  int64_t next_checkpoint_ = 0;
  int64_t last_ack_checkpoint_ = kStart;
  bool crash_armed_ = false;
  int crashes_ = 0;
};

// The SQLite store in a file of its own, seeded by the simulation's seed.
class SqliteEnv final : public store::testing::StoreEnv {
 public:
  explicit SqliteEnv(uint64_t seed) : seed_(seed) {}
  Result<std::unique_ptr<store::Store>> Open(store::PostFn post) override {
    store::SqliteOptions options;
    options.path = dir_.path() + "/sela.db";
    options.random = [rng = std::mt19937_64(seed_ + opens_++)]() mutable { return rng(); };
    return store::SqliteStore::Open(options, std::move(post));
  }

 private:
  store::testing::TempDir dir_;
  uint64_t seed_;
  uint64_t opens_ = 0;
};

// Each seed is a different history (about 1,000 steps, 10-20 crashes);
// more seeds find nothing new in CI time. REWARDS_SIM_SEEDS runs more.
void RunSeeds(uint64_t default_seeds,
              const std::function<std::unique_ptr<store::testing::StoreEnv>(uint64_t seed)>& make_env) {
  const char* seeds_env = std::getenv("REWARDS_SIM_SEEDS");
  const uint64_t seeds = seeds_env ? std::strtoull(seeds_env, nullptr, 10) : default_seeds;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Simulation sim(seed, make_env(seed));
    sim.Run();
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(RewardsSimulation, TheLedgerStaysBalancedAndPaysEachMinuteOnceAcrossCrashes) {
  RunSeeds(2, [](uint64_t seed) { return std::make_unique<SqliteEnv>(seed); });
}

// The same histories on the Redis store (a redis-server of the test's own).
// One seed by default: every step audits the whole ledger in one script,
// and CI time is short.
TEST(RewardsSimulation, OnRedisTheLedgerStaysBalancedAndPaysEachMinuteOnceAcrossCrashes) {
  RunSeeds(1, [](uint64_t) { return std::make_unique<store::testing::RedisEnv>(); });
}

}  // namespace
}  // namespace sela::rewards
