#include "view.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace monitor {

namespace {

using loadgen::JsonValue;

const JsonValue* Walk(const JsonValue& root, const std::vector<std::string_view>& path) {
  const JsonValue* v = &root;
  for (std::string_view key : path) {
    v = v->Find(key);
    if (v == nullptr) return nullptr;
  }
  return v;
}

std::string Number(const JsonValue* v, int decimals) {
  if (v == nullptr || !v->is_number()) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v->AsDouble());
  return buf;
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string Clock(int64_t wall_ms) {
  const std::time_t t = static_cast<std::time_t>(wall_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace

std::string Sparkline(const std::vector<double>& values, size_t width) {
  static constexpr std::string_view kBars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  const size_t n = std::min(values.size(), width);
  const auto first = values.end() - static_cast<std::ptrdiff_t>(n);
  double max = 0;
  for (auto it = first; it != values.end(); ++it) max = std::max(max, *it);
  std::string out;
  for (auto it = first; it != values.end(); ++it) {
    if (*it < 0) {
      out += ' ';
      continue;
    }
    const size_t level = max > 0 ? static_cast<size_t>(*it / max * 7.0 + 0.5) : 0;
    out += kBars[std::min<size_t>(level, 7)];
  }
  return out;
}

std::vector<double> Series(const std::vector<JsonValue>& samples, std::vector<std::string_view> path) {
  std::vector<double> out;
  out.reserve(samples.size());
  for (const JsonValue& s : samples) {
    const JsonValue* v = Walk(s, path);
    out.push_back(v != nullptr && v->is_number() ? v->AsDouble() : -1);
  }
  return out;
}

std::string RenderView(const std::vector<JsonValue>& samples, const ViewOptions& options) {
  const JsonValue& last = samples.back();
  const std::string bold = options.color ? "\x1b[1m" : "";
  const std::string plain = options.color ? "\x1b[0m" : "";
  const size_t spark = options.width > 48 ? options.width - 48 : 8;
  std::string out;
  out += bold + "sela-monitor  " + options.server + plain + "   " + Clock(last["ts"].AsInt()) +
         "   (one sample per second; Ctrl-C quits)\n\n";
  struct Row {
    std::string_view label;
    std::vector<std::string_view> path;
    int decimals;
  };
  const Row rows[] = {
      {"nodes online", {"nodes", "online"}, 0},
      {"registrations/s", {"nodes", "registrations_per_s"}, 1},
      {"jobs created/s", {"jobs", "created_per_s"}, 1},
      {"jobs leased/s", {"jobs", "leased_per_s"}, 1},
      {"jobs completed/s", {"jobs", "completed_per_s"}, 1},
      {"jobs failed/s", {"jobs", "failed_per_s"}, 1},
      {"queue (pending)", {"jobs", "pending"}, 0},
      {"round trip p50 ms", {"round_trip_ms", "p50"}, 2},
      {"round trip p99 ms", {"round_trip_ms", "p99"}, 2},
      {"HTTP requests/s", {"http_requests_per_s"}, 1},
  };
  for (const Row& row : rows) {
    out += Pad(std::string(row.label), 20) + Pad(Number(Walk(last, row.path), row.decimals), 14) +
           Sparkline(Series(samples, row.path), spark) + "\n";
  }
  out += "\njobs since start: " + Number(Walk(last, {"jobs", "created_total"}), 0) + " created, " +
         Number(Walk(last, {"jobs", "completed_total"}), 0) + " completed, " +
         Number(Walk(last, {"jobs", "failed_total"}), 0) + " failed\n";
  const JsonValue& ledger = last["ledger"];
  out += "ledger: " + (ledger.is_object() ? Number(ledger.Find("issued_sp"), 2) + " SP issued, " +
                                                Number(ledger.Find("paid_sp"), 2) + " SP paid"
                                          : std::string("not available yet")) + "\n";
  out += "\n" + bold + Pad("top errors", 52) + Pad("last min", 10) + "total" + plain + "\n";
  const auto& errors = last["errors"].AsArray();
  if (errors.empty()) out += "  none\n";
  for (const JsonValue& e : errors) {
    std::string name = e["name"].AsString();
    if (name.size() > 50) name = name.substr(0, 47) + "...";
    out += "  " + Pad(name, 50) + Pad(Number(e.Find("last_minute"), 0), 10) + Number(e.Find("total"), 0) + "\n";
  }
  return out;
}

}  // namespace monitor
