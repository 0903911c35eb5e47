// The operators' live view: a sampler that turns the server's own counters
// into one small JSON sample per second, and the WebSocket feed that sends
// those samples to the dashboard at /admin and to sela-monitor
// (docs/OPERATIONS.md "Dashboard feed").
//
// DashboardSampler keeps the last `history_samples` samples; each is
// rendered to JSON once, when taken, so N viewers cost N sends of the same
// text and nothing more. Rates (per second) are deltas of the cumulative
// counters between two samples; round-trip percentiles are estimated from
// the job round-trip histogram's buckets over the last `percentile_window`
// samples, as Prometheus' histogram_quantile does; top errors are the error
// counters that grew most over the last `error_window_samples` samples.
//
// DashboardFeed owns the WebSocket connections of GET /admin/feed (routed to
// it by WsDemux). A viewer authenticates with ADMIN_TOKEN, either in the
// upgrade's `Authorization: Bearer` header or, since browsers cannot set
// headers on a WebSocket, in its first message {"type":"auth","token":..}
// within `auth_timeout_ms`. Then it gets {"type":"hello",...,"history":[..]}
// and one {"type":"sample","sample":{..}} per interval. Refusals close with
// 4403 (no ADMIN_TOKEN configured), 4401 (wrong or missing token, or too
// slow) or 1013 (too many viewers). Messages after authentication are
// ignored. The token is never logged.
//
// Threading: everything on the event loop's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "net/server.h"

namespace sela::api {

struct DashboardOptions {
  int64_t sample_interval_ms = 1000;
  std::size_t history_samples = 300;     // Five minutes at one per second.
  std::size_t percentile_window = 5;     // Samples the percentiles look back over.
  std::size_t error_window_samples = 60; // Top errors: growth over the last minute.
  std::size_t top_errors = 8;
  std::size_t viewers_max = 32;          // Authenticated or not.
  int64_t auth_timeout_ms = 5000;
  std::size_t auth_message_bytes_max = 1024;
};

// What the sampler reads from live state rather than from counters.
struct DashboardLive {
  uint64_t nodes_online = 0;
  uint64_t jobs_pending = 0;
  uint64_t jobs_open = 0;
};

// Ledger totals, once the rewards ledger exists (null in the sample until then).
struct DashboardLedger {
  bool available = false;
  int64_t issued_units = 0;
  int64_t paid_units = 0;
};

struct DashboardSources {
  std::function<DashboardLive()> live;
  std::function<DashboardLedger()> ledger = {};
};

// The q-quantile (0 < q < 1) of observations counted per bucket: `counts`
// has bounds.size() + 1 entries, the last for +Inf. Interpolates linearly
// inside the bucket that holds the quantile (from 0 for the first); in the
// +Inf bucket it answers the last bound. Negative when there are none.
double BucketQuantile(std::span<const double> bounds, std::span<const uint64_t> counts, double q);

class DashboardSampler {
 public:
  DashboardSampler(DashboardOptions options, const Clock& clock, const MetricsRegistry& metrics,
                   DashboardSources sources);

  // Takes a sample now and returns its JSON text.
  const std::string& Sample();
  // The last sample (empty before the first).
  const std::string& latest() const;
  // The kept samples, oldest first, as a JSON array.
  std::string HistoryJson() const;
  const DashboardOptions& options() const { return options_; }

 private:
  struct Point {
    MonoTime at{};
    uint64_t registrations = 0;
    uint64_t created = 0;
    uint64_t leased = 0;
    uint64_t completed = 0;
    uint64_t failed = 0;
    uint64_t http_requests = 0;
    std::vector<uint64_t> round_trip;          // Per bucket, not cumulative.
    std::map<std::string, uint64_t> errors;    // Error series → cumulative count.
    std::string json;
  };
  Point Read() const;
  std::string Render(const Point& now, const Point& before) const;
  std::string RoundTripJson(const Point& now) const;
  std::string TopErrorsJson(const Point& now) const;

  DashboardOptions options_;
  const Clock& clock_;
  const MetricsRegistry& metrics_;
  DashboardSources sources_;
  Point baseline_;           // Counters when the sampler started.
  std::deque<Point> points_;
};

// Where the feed writes: the server, or a fake in tests.
class WsOut {
 public:
  virtual ~WsOut() = default;
  virtual bool Send(net::ConnId id, std::string_view text) = 0;
  virtual void Close(net::ConnId id, uint16_t code, std::string_view reason) = 0;
  virtual void SetDeadline(net::ConnId id, MonoTime deadline) = 0;
  virtual void ClearDeadline(net::ConnId id) = 0;
};

// WsOut over a net::Server (which must outlive it).
class ServerWsOut final : public WsOut {
 public:
  explicit ServerWsOut(net::Server& server) : server_(server) {}
  bool Send(net::ConnId id, std::string_view text) override { return server_.Send(id, text); }
  void Close(net::ConnId id, uint16_t code, std::string_view reason) override { server_.Close(id, code, reason); }
  void SetDeadline(net::ConnId id, MonoTime deadline) override { server_.SetDeadline(id, deadline); }
  void ClearDeadline(net::ConnId id) override { server_.ClearDeadline(id); }

 private:
  net::Server& server_;
};

namespace feed_close {
inline constexpr uint16_t kTryAgainLater = 1013;
inline constexpr uint16_t kUnauthorized = 4401;
inline constexpr uint16_t kDisabled = 4403;
}  // namespace feed_close

class DashboardFeed final : public net::WsHandler {
 public:
  // `admin_token` empty: every viewer is refused with 4403.
  DashboardFeed(DashboardSampler& sampler, const Clock& clock, std::string admin_token, MetricsRegistry& metrics);
  void Attach(WsOut* out) { out_ = out; }

  // Takes a sample and sends it to every authenticated viewer; call every
  // sample_interval_ms.
  void Tick();

  void OnWsOpen(net::ConnId id, const net::HttpRequest& request) override;
  void OnWsMessage(net::ConnId id, bool text, std::string_view payload) override;
  void OnWsClosed(net::ConnId id, uint16_t code) override;
  void OnWsDeadline(net::ConnId id) override;

  std::size_t viewers() const { return viewers_.size(); }

 private:
  struct Viewer {
    net::ConnId id;
    bool authenticated;
  };
  Viewer* Find(net::ConnId id);
  void Admit(Viewer& viewer);
  void Refuse(net::ConnId id, uint16_t code, std::string_view reason);

  DashboardSampler& sampler_;
  const Clock& clock_;
  std::string admin_token_;
  WsOut* out_ = nullptr;
  std::vector<Viewer> viewers_;  // At most viewers_max: a linear scan is cheapest.
  Gauge* viewers_gauge_;
  Counter* refused_;
};

}  // namespace sela::api
