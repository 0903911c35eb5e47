// The reader of configuration variables, shared by config.cc and
// config_rewards.cc. Internal to core.
#pragma once

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.h"

namespace sela::config_internal {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

inline std::string Quoted(std::string_view value) {
  // Long values are cut so that a pasted blob cannot flood the start-up log.
  constexpr size_t kShownBytesMax = 64;
  std::string out = "\"";
  out += value.substr(0, kShownBytesMax);
  if (value.size() > kShownBytesMax) out += "...";
  out += '"';
  return out;
}

// Reads variables in a fixed order and keeps the first error, so the message
// a user sees does not depend on map iteration or on which checks ran.
class Reader {
 public:
  explicit Reader(const EnvMap& vars) : vars_(vars) {}

  const Status& status() const { return status_; }

  // Empty values count as unset, as with the original's `process.env.X || d`.
  const std::string* Find(std::string_view name) const {
    if (!status_.ok()) return nullptr;
    const auto it = vars_.find(std::string(name));
    if (it == vars_.end() || it->second.empty()) return nullptr;
    return &it->second;
  }

  void String(std::string_view name, std::string& out) {
    if (const std::string* value = Find(name)) out = *value;
  }

  template <typename T>
  void Unsigned(std::string_view name, T& out, uint64_t min, uint64_t max) {
    const std::string* value = Find(name);
    if (value == nullptr) return;
    uint64_t parsed = 0;
    const char* begin = value->data();
    const char* end = begin + value->size();
    // from_chars into an unsigned type takes no sign or blank and stops at
    // the first non-digit, so requiring it to consume the whole value accepts
    // plain decimal only: "80a", " 80", "+80" and "-1" are all rejected.
    const auto [ptr, ec] = std::from_chars(begin, end, parsed);
    if (ec != std::errc() || ptr != end || parsed < min || parsed > max) {
      Fail(std::string(name) + ": expected an integer in " + std::to_string(min) + ".." +
           std::to_string(max) + ", got " + Quoted(*value));
      return;
    }
    out = static_cast<T>(parsed);
  }

  void Bool(std::string_view name, bool& out) {
    const std::string* value = Find(name);
    if (value == nullptr) return;
    if (EqualsIgnoreCase(*value, "true") || *value == "1") {
      out = true;
    } else if (EqualsIgnoreCase(*value, "false") || *value == "0") {
      out = false;
    } else {
      Fail(std::string(name) + ": expected true, false, 1 or 0, got " + Quoted(*value));
    }
  }

  void Level(std::string_view name, LogLevel& out) {
    const std::string* value = Find(name);
    if (value == nullptr) return;
    if (const std::optional<LogLevel> level = ParseLogLevel(*value)) {
      out = *level;
      return;
    }
    Fail(std::string(name) +
         ": expected one of trace, debug, info, warn, warning, error, critical, off, got " +
         Quoted(*value));
  }

  void Fail(std::string message) {
    if (status_.ok()) status_ = InvalidArgument(std::move(message));
  }

  // "<burst>:<per_minute>" or "off".
  void Rate(std::string_view name, RateSpec& out) {
    constexpr uint64_t kU32Max = 0xffffffffu;
    const std::string* value = Find(name);
    if (value == nullptr) return;
    if (EqualsIgnoreCase(*value, "off")) {
      out.enabled = false;
      return;
    }
    const size_t colon = value->find(':');
    uint64_t burst = 0;
    uint64_t per_minute = 0;
    const char* begin = value->data();
    const char* mid = colon == std::string::npos ? nullptr : begin + colon;
    const char* end = begin + value->size();
    bool ok = mid != nullptr;
    if (ok) {
      const auto a = std::from_chars(begin, mid, burst);
      const auto b = std::from_chars(mid + 1, end, per_minute);
      ok = a.ec == std::errc() && a.ptr == mid && b.ec == std::errc() && b.ptr == end && burst >= 1 &&
           burst <= kU32Max && per_minute <= kU32Max;
    }
    if (!ok) {
      Fail(std::string(name) + ": expected <burst>:<per_minute> (burst >= 1) or off, got " + Quoted(*value));
      return;
    }
    out = RateSpec{static_cast<uint32_t>(burst), static_cast<uint32_t>(per_minute), true};
  }

  // One of `choices` (case-insensitive); returns its index in `out`.
  void Choice(std::string_view name, std::initializer_list<std::string_view> choices, size_t& out) {
    const std::string* value = Find(name);
    if (value == nullptr) return;
    size_t i = 0;
    std::string list;
    for (std::string_view c : choices) {
      if (EqualsIgnoreCase(*value, c)) {
        out = i;
        return;
      }
      list += (i++ == 0 ? "" : ", ") + std::string(c);
    }
    Fail(std::string(name) + ": expected one of " + list + ", got " + Quoted(*value));
  }

 private:
  const EnvMap& vars_;
  Status status_;
};


// REWARD_*, JOB_REWARD_* and REFERRAL_* (config_rewards.cc).
void ReadRewards(Reader& r, RewardConfig& rewards);
// SETTLEMENT_*, SELA_POINTS_CANISTER_ID, CANISTER_CONTROLLER_PEM (never
// echoed), IC_ROOT_KEY. main checks the PEM and the canister id's form.
void ReadChain(Reader& r, ChainConfig& chain);

}  // namespace sela::config_internal
