#include "nodes/registry.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "nodes/principal_index.h"
#include "nodes/text_arena.h"
#include "nodes/utc_day.h"

namespace sela::nodes {
namespace {

static_assert(kNodesLimit - 1 == PrincipalIndex::kIndexMax);
static_assert(kPrincipalBytesLimit <= TextArena::kTextBytesMax);
// Node::principal_bytes has 13 bits.
static_assert(kPrincipalBytesLimit < (1u << 13));

// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the range of times the
// registry accepts, so that day arithmetic on them cannot overflow.
constexpr int64_t kTimeMin = -62'167'219'200'000;
constexpr int64_t kTimeMax = 253'402'300'799'999;

// Nodes live in fixed blocks, so growing never copies them and at most one
// partly used block is overhead.
constexpr uint32_t kBlockNodes = 1024;

// Bad options are a programming error, so they stop the process in every
// build type rather than only where assert() is compiled in.
void CheckOption(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "NodeRegistry: %s\n", what);
  std::abort();
}

// One live node. Kept at 48 bytes: this is the per-node cost that the
// server's memory target is made of.
struct Node {
  int64_t online_since_ms = 0;
  int64_t last_activity_ms = 0;
  int64_t client_id_ms = 0;
  // The principal's text in the arena; while the slot is free, the next free
  // slot instead.
  TextArena::Ref principal_ref = TextArena::kNoRef;
  uint16_t principal_bytes : 13 = 0;
  // The registration that made the node live is not in `pending` yet: the
  // next checkpoint counts it as a session on the day of online_since_ms,
  // or Disconnect moves it to `pending` first. So a node that registers and
  // stays costs nothing there (a pending entry is some 200 bytes).
  uint16_t first_session_unreported : 1 = 0;
  // Online time accrues (see RegistryOptions::uptime_needs_pong).
  uint16_t verified : 1 = 0;
  uint16_t connections = 0;  // Zero exactly when the slot is free.
  float download_speed = 0;
  float upload_speed = 0;
  float ping_ms = 0;
  uint16_t max_concurrent_jobs = 0;
  uint16_t active_jobs = 0;
};
static_assert(sizeof(Node) == 48);

// What one principal accrued on one UTC day since the last checkpoint.
struct Accrual {
  int64_t online_ms = 0;
  uint32_t sessions = 0;
  uint32_t speed_count = 0;
  uint32_t ping_count = 0;
  double speed_sum = 0;
  double ping_sum = 0;

  // Sessions saturate (see Connect); the rest cannot overflow.
  void AddSessions(uint32_t n) { sessions = n > UINT32_MAX - sessions ? UINT32_MAX : sessions + n; }
  void Add(const Accrual& other) {
    online_ms += other.online_ms;
    AddSessions(other.sessions);
    speed_count += other.speed_count;
    ping_count += other.ping_count;
    speed_sum += other.speed_sum;
    ping_sum += other.ping_sum;
  }
  bool IsEmpty() const {
    return online_ms == 0 && sessions == 0 && speed_count == 0 && ping_count == 0;
  }
};

struct PendingKey {
  std::string principal;
  int64_t day;
};
struct PendingKeyView {
  std::string_view principal;
  int64_t day;
};

// Transparent, so that a lookup by string_view allocates nothing; keyed with
// the registry's SipHash key because principals come from peers.
struct PendingHash {
  using is_transparent = void;
  SipKey key;
  size_t operator()(const PendingKeyView& k) const {
    return SipHash24(key, k.principal) ^ (static_cast<uint64_t>(k.day) * 0x9e3779b97f4a7c15ULL);
  }
  size_t operator()(const PendingKey& k) const { return (*this)(PendingKeyView{k.principal, k.day}); }
};
struct PendingEqual {
  using is_transparent = void;
  static PendingKeyView View(const PendingKey& k) { return {k.principal, k.day}; }
  static PendingKeyView View(const PendingKeyView& k) { return k; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    const PendingKeyView x = View(a);
    const PendingKeyView y = View(b);
    return x.day == y.day && x.principal == y.principal;
  }
};

using PendingMap = std::unordered_map<PendingKey, Accrual, PendingHash, PendingEqual>;

// A checkpoint's row before it becomes a store::UptimeDelta. The principal
// is a pending key or a live node's text, both kept until the rows are done.
struct Row {
  std::string_view principal;
  int64_t day;
  Accrual accrual;
};

// Calls fn(day, ms) for each UTC day that [from_ms, to_ms) overlaps. Both
// times are within [kTimeMin, kTimeMax], so nothing here can overflow.
template <typename Fn>
void ForEachDayPart(int64_t from_ms, int64_t to_ms, Fn&& fn) {
  while (from_ms < to_ms) {
    const int64_t day = DayNumber(from_ms);
    const int64_t part_end_ms = std::min(to_ms, (day + 1) * kDayMs);
    fn(day, part_end_ms - from_ms);
    from_ms = part_end_ms;
  }
}

uint16_t ClampJobs(uint32_t jobs) { return static_cast<uint16_t>(std::min(jobs, kJobsPerNodeMax)); }

bool IsSample(const std::optional<double>& value) {
  return value && std::isfinite(*value) && *value >= 0 && *value <= FLT_MAX;
}

// Sorts the rows by principal then day and adds up those of one (principal,
// day). Only rows from the pending map carry speed and ping sums, and it has
// one per key, so the order of equal rows cannot change a floating-point sum.
std::vector<store::UptimeDelta> MergeRows(std::vector<Row>& rows) {
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.principal, a.day) < std::tie(b.principal, b.day);
  });
  std::vector<store::UptimeDelta> deltas;
  for (size_t r = 0; r < rows.size();) {
    Row& row = rows[r];
    size_t next = r + 1;
    for (; next < rows.size() && rows[next].day == row.day && rows[next].principal == row.principal;
         ++next) {
      row.accrual.Add(rows[next].accrual);
    }
    if (!row.accrual.IsEmpty()) {
      const Accrual& a = row.accrual;
      deltas.push_back({.principal = std::string(row.principal),
                        .day = FormatDay(row.day),
                        .online_ms = a.online_ms,
                        .sessions = a.sessions,
                        .speed_sum = a.speed_sum,
                        .speed_count = a.speed_count,
                        .ping_sum = a.ping_sum,
                        .ping_count = a.ping_count});
    }
    r = next;
  }
  return deltas;
}

}  // namespace

struct NodeRegistry::Impl {
  explicit Impl(const RegistryOptions& o)
      : options(o),
        index(o.principal_hash_key),
        pending(0, PendingHash{o.principal_hash_key}, PendingEqual{}) {}

  Node& At(NodeIndex i) { return blocks[i / kBlockNodes][i % kBlockNodes]; }
  const Node& At(NodeIndex i) const { return blocks[i / kBlockNodes][i % kBlockNodes]; }
  Node* Live(NodeIndex i) {
    if (i >= slot_count || At(i).connections == 0) return nullptr;
    return &At(i);
  }
  const Node* Live(NodeIndex i) const { return const_cast<Impl*>(this)->Live(i); }

  std::string_view PrincipalOf(const Node& node) const {
    return arena.Get(node.principal_ref, node.principal_bytes);
  }
  auto KeyOf() const {
    return [this](uint32_t i) { return PrincipalOf(At(i)); };
  }

  // The monotonic time of a call (see the header); Observe also records it.
  int64_t TimeOf(int64_t now_ms) const {
    return std::max(clock_ms, std::clamp(now_ms, kTimeMin, kTimeMax));
  }
  int64_t Observe(int64_t now_ms) { return clock_ms = TimeOf(now_ms); }

  Accrual& PendingFor(std::string_view principal, int64_t day) {
    auto it = pending.find(PendingKeyView{principal, day});
    if (it == pending.end()) {
      it = pending.emplace(PendingKey{std::string(principal), day}, Accrual{}).first;
    }
    return it->second;
  }

  // Where a live node's not yet reported online time begins.
  int64_t AccruedFrom(const Node& node) const {
    return std::max(node.online_since_ms, checkpoint_ms);
  }
  // The node's latest speed and ping as one sample of each UTC day after
  // the first that [from_ms, to_ms) reaches (see Checkpoint in the header).
  void CarrySamples(const Node& node, int64_t from_ms, int64_t to_ms);

  NodeIndex AllocateSlot() {
    if (free_head != kNoNode) {
      const NodeIndex i = free_head;
      free_head = At(i).principal_ref;
      return i;
    }
    if (slot_count % kBlockNodes == 0) blocks.push_back(std::make_unique<Node[]>(kBlockNodes));
    return slot_count++;
  }

  void FreeSlot(NodeIndex i) {
    At(i) = Node{};
    At(i).principal_ref = free_head;
    free_head = i;
  }

  NodeIndex AddNode(std::string_view principal, uint64_t hash, int64_t client_id_ms,
                    int64_t now_ms);
  // A checkpoint's rows for the live nodes: their first session if still
  // unreported, and their online time since the last checkpoint.
  void AppendLiveRows(int64_t now_ms, std::vector<Row>& rows);
  void CompactArenaIfWorthIt();

  const RegistryOptions options;
  PrincipalIndex index;
  TextArena arena;
  std::vector<std::unique_ptr<Node[]>> blocks;
  uint32_t slot_count = 0;  // Slots ever handed out; the free ones are on the free list.
  NodeIndex free_head = kNoNode;
  uint32_t live_count = 0;
  int64_t clock_ms = kTimeMin;       // Latest time seen.
  int64_t checkpoint_ms = kTimeMin;  // Time of the last checkpoint.
  // Sessions, samples and the online time of nodes that went offline, since
  // the last checkpoint. Live nodes' online time is computed at checkpoint.
  PendingMap pending;
};

NodeIndex NodeRegistry::Impl::AddNode(std::string_view principal, uint64_t hash,
                                      int64_t client_id_ms, int64_t now_ms) {
  if (live_count >= options.nodes_max) return kNoNode;
  const TextArena::Ref ref = arena.Add(principal);
  if (ref == TextArena::kNoRef) return kNoNode;
  const NodeIndex i = AllocateSlot();
  Node& node = At(i);
  node.online_since_ms = now_ms;
  node.last_activity_ms = now_ms;
  node.client_id_ms = client_id_ms;
  node.principal_ref = ref;
  node.principal_bytes = static_cast<uint16_t>(principal.size());
  node.connections = 1;
  node.first_session_unreported = 1;
  node.verified = options.uptime_needs_pong ? 0 : 1;
  node.max_concurrent_jobs = static_cast<uint16_t>(options.default_max_concurrent_jobs);
  index.Insert(i, hash, KeyOf());
  ++live_count;
  return i;
}

void NodeRegistry::Impl::AppendLiveRows(int64_t now_ms, std::vector<Row>& rows) {
  for (NodeIndex i = 0; i < slot_count; ++i) {
    Node& node = At(i);
    if (node.connections == 0) continue;
    const std::string_view principal = PrincipalOf(node);
    if (node.first_session_unreported) {
      rows.push_back({principal, DayNumber(node.online_since_ms), Accrual{.sessions = 1}});
      node.first_session_unreported = 0;
    }
    if (!node.verified) continue;
    ForEachDayPart(AccruedFrom(node), now_ms, [&](int64_t day, int64_t ms) {
      rows.push_back({principal, day, Accrual{.online_ms = ms}});
    });
  }
}

// Removed principals leave garbage in the arena; copying the live ones into a
// fresh arena reclaims it. Done only here (a checkpoint) because it moves the
// texts that NodeViews point to, and only when garbage is a large share, so
// the copy's cost is spread over the removals that made it necessary.
void NodeRegistry::Impl::CompactArenaIfWorthIt() {
  const uint64_t garbage = arena.garbage_bytes();
  if (garbage < TextArena::kChunkBytesMax || garbage < arena.live_bytes() / 4) return;
  TextArena fresh;
  for (NodeIndex i = 0; i < slot_count; ++i) {
    Node& node = At(i);
    if (node.connections == 0) continue;
    node.principal_ref = fresh.Add(PrincipalOf(node));
    CheckOption(node.principal_ref != TextArena::kNoRef, "arena compaction ran out of chunks");
  }
  arena = std::move(fresh);
}

NodeRegistry::NodeRegistry(RegistryOptions options) {
  CheckOption(options.principal_bytes_max >= 1 &&
                  options.principal_bytes_max <= kPrincipalBytesLimit,
              "principal_bytes_max out of range");
  CheckOption(options.default_max_concurrent_jobs <= kJobsPerNodeMax,
              "default_max_concurrent_jobs out of range");
  CheckOption(options.nodes_max >= 1 && options.nodes_max <= kNodesLimit,
              "nodes_max out of range");
  CheckOption(options.connections_per_node_max >= 1 &&
                  options.connections_per_node_max <= kConnectionsPerNodeLimit,
              "connections_per_node_max out of range");
  impl_ = std::make_unique<Impl>(options);
}

NodeRegistry::~NodeRegistry() = default;

NodeIndex NodeRegistry::Connect(std::string_view principal, int64_t client_id_ms,
                                int64_t now_ms) {
  Impl& m = *impl_;
  if (principal.empty() || principal.size() > m.options.principal_bytes_max) return kNoNode;
  const int64_t now = m.TimeOf(now_ms);
  const uint64_t hash = m.index.Hash(principal);
  NodeIndex i = m.index.Find(principal, hash, m.KeyOf());
  if (i == PrincipalIndex::kNotFound) {
    // Its session is counted through first_session_unreported.
    i = m.AddNode(principal, hash, client_id_ms, now);
    if (i != kNoNode) m.clock_ms = now;
    return i;
  }
  Node& node = m.At(i);
  if (node.connections >= m.options.connections_per_node_max) return kNoNode;
  ++node.connections;
  node.client_id_ms = client_id_ms;
  node.last_activity_ms = now;
  m.clock_ms = now;
  // Saturates rather than wraps: four billion registrations of one principal
  // between two checkpoints cannot happen, but must not turn into a small count.
  m.PendingFor(principal, DayNumber(now)).AddSessions(1);
  return i;
}

bool NodeRegistry::Disconnect(NodeIndex i, int64_t now_ms) {
  Impl& m = *impl_;
  Node* node = m.Live(i);
  if (node == nullptr) return false;
  const int64_t now = m.Observe(now_ms);
  if (--node->connections > 0) return false;

  const std::string_view principal = m.PrincipalOf(*node);
  if (node->first_session_unreported) {
    m.PendingFor(principal, DayNumber(node->online_since_ms)).AddSessions(1);
  }
  if (node->verified) {
    m.CarrySamples(*node, m.AccruedFrom(*node), now);
    ForEachDayPart(m.AccruedFrom(*node), now, [&](int64_t day, int64_t ms) {
      m.PendingFor(principal, day).online_ms += ms;
    });
  }
  m.index.Erase(i, m.index.Hash(principal), m.KeyOf());
  m.arena.Release(node->principal_bytes);
  m.FreeSlot(i);
  --m.live_count;
  return true;
}

NodeIndex NodeRegistry::Find(std::string_view principal) const {
  const Impl& m = *impl_;
  const NodeIndex i = m.index.Find(principal, m.index.Hash(principal), m.KeyOf());
  return i == PrincipalIndex::kNotFound ? kNoNode : i;
}

std::optional<NodeView> NodeRegistry::View(NodeIndex i) const {
  const Node* node = impl_->Live(i);
  if (node == nullptr) return std::nullopt;
  return NodeView{
      .principal = impl_->PrincipalOf(*node),
      .client_id_ms = node->client_id_ms,
      .connections = node->connections,
      .max_concurrent_jobs = node->max_concurrent_jobs,
      .active_jobs = node->active_jobs,
      .download_speed = node->download_speed,
      .upload_speed = node->upload_speed,
      .ping_ms = node->ping_ms,
      .online_since_ms = node->online_since_ms,
      .last_activity_ms = node->last_activity_ms,
      .uptime_verified = node->verified != 0,
  };
}

size_t NodeRegistry::size() const { return impl_->live_count; }

void NodeRegistry::Touch(NodeIndex i, int64_t now_ms) {
  Node* node = impl_->Live(i);
  if (node != nullptr) node->last_activity_ms = impl_->Observe(now_ms);
}

void NodeRegistry::Verify(NodeIndex i, int64_t now_ms) {
  Node* node = impl_->Live(i);
  if (node == nullptr || node->verified) return;
  node->verified = 1;
  node->online_since_ms = impl_->Observe(now_ms);
}

void NodeRegistry::Impl::CarrySamples(const Node& node, int64_t from_ms, int64_t to_ms) {
  if (from_ms >= to_ms || (node.download_speed <= 0 && node.ping_ms <= 0)) return;
  const std::string_view principal = PrincipalOf(node);
  for (int64_t day = DayNumber(from_ms) + 1; day <= DayNumber(to_ms - 1); ++day) {
    // Only into a day that has no sample of its own yet: then the latest
    // one was taken before its midnight.
    Accrual& a = PendingFor(principal, day);
    if (node.download_speed > 0 && a.speed_count == 0) {
      a.speed_sum += node.download_speed;
      a.speed_count = 1;
    }
    if (node.ping_ms > 0 && a.ping_count == 0) {
      a.ping_sum += node.ping_ms;
      a.ping_count = 1;
    }
  }
}

void NodeRegistry::RecordSpeed(NodeIndex i, std::optional<double> download,
                               std::optional<double> upload, std::optional<double> ping_ms,
                               int64_t now_ms) {
  Impl& m = *impl_;
  Node* node = m.Live(i);
  if (node == nullptr) return;
  const int64_t now = m.Observe(now_ms);
  node->last_activity_ms = now;
  if (IsSample(upload)) node->upload_speed = static_cast<float>(*upload);
  if (!IsSample(download) && !IsSample(ping_ms)) return;

  // Counts saturate like sessions in Connect; a sample past that is dropped
  // from the day's sums too, so the average stays right.
  Accrual& day = m.PendingFor(m.PrincipalOf(*node), DayNumber(now));
  if (IsSample(download)) {
    node->download_speed = static_cast<float>(*download);
    if (day.speed_count != UINT32_MAX) {
      day.speed_sum += *download;
      ++day.speed_count;
    }
  }
  if (IsSample(ping_ms)) {
    node->ping_ms = static_cast<float>(*ping_ms);
    if (day.ping_count != UINT32_MAX) {
      day.ping_sum += *ping_ms;
      ++day.ping_count;
    }
  }
}

void NodeRegistry::SetCapacity(NodeIndex i, uint32_t max_concurrent_jobs) {
  Node* node = impl_->Live(i);
  if (node != nullptr) node->max_concurrent_jobs = ClampJobs(max_concurrent_jobs);
}

void NodeRegistry::SetActiveJobs(NodeIndex i, uint32_t active_jobs) {
  Node* node = impl_->Live(i);
  if (node != nullptr) node->active_jobs = ClampJobs(active_jobs);
}

std::vector<store::UptimeDelta> NodeRegistry::Checkpoint(int64_t now_ms) {
  Impl& m = *impl_;
  const int64_t now = m.Observe(now_ms);
  for (NodeIndex i = 0; i < m.slot_count; ++i) {
    const Node& node = m.At(i);
    if (node.connections != 0 && node.verified) m.CarrySamples(node, m.AccruedFrom(node), now);
  }

  // The pending map is taken whole, so that rows can point at its keys; the
  // registry's starts again without even a bucket array, so that an idle
  // registry holds nothing there.
  PendingMap taken(0, m.pending.hash_function(), m.pending.key_eq());
  taken.swap(m.pending);
  std::vector<Row> rows;
  rows.reserve(taken.size() + m.live_count);
  for (const auto& [key, accrual] : taken) rows.push_back({key.principal, key.day, accrual});
  m.AppendLiveRows(now, rows);
  m.checkpoint_ms = now;
  std::vector<store::UptimeDelta> deltas = MergeRows(rows);
  // Only now: compaction moves the texts that rows point at.
  m.CompactArenaIfWorthIt();
  return deltas;
}

size_t NodeRegistry::SlotCount() const { return impl_->slot_count; }

bool NodeRegistry::IsLive(NodeIndex i) const { return impl_->Live(i) != nullptr; }

}  // namespace sela::nodes
