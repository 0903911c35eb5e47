// What sela-monitor shows: pure functions from the dashboard feed's samples
// (docs/OPERATIONS.md "Dashboard feed") to text, so they are tested without
// a server or a terminal.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "json.h"

namespace monitor {

// A sparkline of values (oldest first) in at most `width` cells of
// "▁▂▃▄▅▆▇█", scaled from 0 to the largest value; nulls are spaces.
std::string Sparkline(const std::vector<double>& values, size_t width);

// One value of every sample by a path of member names ("jobs",
// "completed_per_s"); -1 where the value is null or missing.
std::vector<double> Series(const std::vector<loadgen::JsonValue>& samples, std::vector<std::string_view> path);

struct ViewOptions {
  std::string server;  // "127.0.0.1:8082", shown in the title.
  size_t width = 100;  // Terminal columns.
  bool color = true;   // ANSI bold for the headings.
};

// The whole screen for the newest sample (samples: oldest first, non-empty),
// lines ending in "\n", without cursor control.
std::string RenderView(const std::vector<loadgen::JsonValue>& samples, const ViewOptions& options);

// Clears the terminal and puts the cursor top left, then the view: a redraw
// in place.
inline constexpr std::string_view kHomeAndClear = "\x1b[H\x1b[2J";

}  // namespace monitor
