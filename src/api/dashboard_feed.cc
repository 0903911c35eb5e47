// DashboardFeed (declared in dashboard.h): the WebSocket side of /admin/feed.
#include <algorithm>

#include "api/dashboard.h"
#include "api/rest_table.h"
#include "codec/js_json.h"
#include "codec/json.h"

namespace sela::api {

DashboardFeed::DashboardFeed(DashboardSampler& sampler, const Clock& clock, std::string admin_token,
                             MetricsRegistry& metrics)
    : sampler_(sampler),
      clock_(clock),
      admin_token_(std::move(admin_token)),
      viewers_gauge_(&metrics.GetGauge("sela_admin_feed_viewers", "Open dashboard feed connections.")),
      refused_(&metrics.GetCounter("sela_admin_feed_refused_total",
                                   "Dashboard feed connections refused (token, limit, timeout).")) {}

DashboardFeed::Viewer* DashboardFeed::Find(net::ConnId id) {
  for (Viewer& v : viewers_) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

void DashboardFeed::Refuse(net::ConnId id, uint16_t code, std::string_view reason) {
  refused_->Inc();
  // Forgotten now: whatever it sends while closing is not looked at.
  std::erase_if(viewers_, [id](const Viewer& v) { return v.id == id; });
  viewers_gauge_->Set(static_cast<int64_t>(viewers_.size()));
  out_->Close(id, code, reason);
}

void DashboardFeed::Admit(Viewer& viewer) {
  viewer.authenticated = true;
  out_->ClearDeadline(viewer.id);
  const DashboardOptions& o = sampler_.options();
  std::string hello = codec::JsonObjectWriter(64 + o.history_samples * 900)
                          .String("type", "hello")
                          .Integer("interval_ms", o.sample_interval_ms)
                          .Integer("history_samples", static_cast<int64_t>(o.history_samples))
                          .Raw("history", sampler_.HistoryJson())
                          .Finish();
  out_->Send(viewer.id, hello);
}

void DashboardFeed::OnWsOpen(net::ConnId id, const net::HttpRequest& request) {
  if (admin_token_.empty()) {
    Refuse(id, feed_close::kDisabled, "Admin routes are disabled: ADMIN_TOKEN is not configured");
    return;
  }
  if (viewers_.size() >= sampler_.options().viewers_max) {
    Refuse(id, feed_close::kTryAgainLater, "Too many dashboard viewers");
    return;
  }
  viewers_.push_back({id, false});
  viewers_gauge_->Set(static_cast<int64_t>(viewers_.size()));
  if (const std::string_view header = request.Header("Authorization"); !header.empty()) {
    if (CheckAdminToken(header, admin_token_) != AdminCheck::kAllowed) {
      Refuse(id, feed_close::kUnauthorized, "Invalid authorization token");
      return;
    }
    Admit(viewers_.back());
    return;
  }
  out_->SetDeadline(id, clock_.Now() + Millis(sampler_.options().auth_timeout_ms));
}

void DashboardFeed::OnWsMessage(net::ConnId id, bool text, std::string_view payload) {
  Viewer* viewer = Find(id);
  if (viewer == nullptr || viewer->authenticated) return;
  const std::size_t bytes_max = sampler_.options().auth_message_bytes_max;
  std::string_view token;
  auto parsed = codec::ParseJson(payload, {.bytes_max = bytes_max, .depth_max = 2});
  if (text && parsed && parsed->is_object()) {
    const auto& object = parsed->as_object();
    const auto type = codec::GetString(object, "type", 16);
    const auto given = codec::GetString(object, "token", bytes_max);
    if (type && *type == "auth" && given) token = *given;
  }
  if (token.empty()) {
    Refuse(id, feed_close::kUnauthorized, "Expected {\"type\":\"auth\",\"token\":...}");
    return;
  }
  // The same constant-time comparison as the admin REST routes.
  std::string header = "Bearer ";
  header += token;
  if (CheckAdminToken(header, admin_token_) != AdminCheck::kAllowed) {
    Refuse(id, feed_close::kUnauthorized, "Invalid authorization token");
    return;
  }
  Admit(*viewer);
}

void DashboardFeed::OnWsClosed(net::ConnId id, uint16_t) {
  std::erase_if(viewers_, [id](const Viewer& v) { return v.id == id; });
  viewers_gauge_->Set(static_cast<int64_t>(viewers_.size()));
}

void DashboardFeed::OnWsDeadline(net::ConnId id) {
  Viewer* viewer = Find(id);
  if (viewer != nullptr && !viewer->authenticated) {
    Refuse(id, feed_close::kUnauthorized, "No authentication within the time allowed");
  }
}

void DashboardFeed::Tick() {
  const std::string& sample = sampler_.Sample();
  if (viewers_.empty() || out_ == nullptr) return;
  std::string message = codec::JsonObjectWriter(32 + sample.size())
                            .String("type", "sample")
                            .Raw("sample", sample)
                            .Finish();
  for (const Viewer& v : viewers_) {
    if (v.authenticated) out_->Send(v.id, message);
  }
}

}  // namespace sela::api
