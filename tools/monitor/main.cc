// sela-monitor: a terminal view of a running server's dashboard feed
// (nodes, jobs/s, latency, errors), redrawn in place once per second; with
// --once it prints one sample and exits, with --json as the feed's JSON.
// See README.md beside this file.
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "feed_client.h"
#include "json.h"
#include "view.h"

namespace {

constexpr const char* kUsage =
    "usage: sela-monitor [--host HOST] [--port PORT] [--once] [--json] [--no-color] [--token-file FILE]\n"
    "  Shows the dashboard feed of the sela-server at HOST:PORT (default 127.0.0.1:8082).\n"
    "  The admin token comes from $ADMIN_TOKEN, or from the first line of --token-file.\n"
    "  --once   print the newest sample and exit (0 when one was read)\n"
    "  --json   print samples as the feed's JSON, one per line (with --once: one line)\n";

struct Args {
  monitor::FeedClientOptions feed;
  bool once = false;
  bool json = false;
  bool color = true;
  std::string token_file;
};

bool ParseArgs(int argc, char** argv, Args& args, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--once") {
      args.once = true;
    } else if (a == "--json") {
      args.json = true;
    } else if (a == "--no-color") {
      args.color = false;
    } else if (a == "--host") {
      const char* v = value();
      if (v == nullptr) return error = "--host needs a value", false;
      args.feed.host = v;
    } else if (a == "--port") {
      const char* v = value();
      unsigned port = 0;
      const char* end = v == nullptr ? nullptr : v + std::char_traits<char>::length(v);
      if (v == nullptr || std::from_chars(v, end, port).ptr != end || port == 0 || port > 65535) {
        return error = "--port needs a port number (1-65535)", false;
      }
      args.feed.port = static_cast<uint16_t>(port);
    } else if (a == "--token-file") {
      const char* v = value();
      if (v == nullptr) return error = "--token-file needs a path", false;
      args.token_file = v;
    } else {
      return error = "unknown option " + a, false;
    }
  }
  return true;
}

bool ReadToken(Args& args, std::string& error) {
  if (!args.token_file.empty()) {
    std::ifstream in(args.token_file);
    if (!in || !std::getline(in, args.feed.token)) return error = "cannot read " + args.token_file, false;
  } else if (const char* t = std::getenv("ADMIN_TOKEN"); t != nullptr) {
    args.feed.token = t;
  }
  if (args.feed.token.empty()) return error = "no admin token: set ADMIN_TOKEN or use --token-file", false;
  return true;
}

size_t TerminalWidth() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 100;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "sela-monitor: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Args args;
  std::string error;
  if (!ParseArgs(argc, argv, args, error) || !ReadToken(args, error)) {
    std::fprintf(stderr, "sela-monitor: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  monitor::FeedClient client;
  if (auto st = client.Connect(args.feed); !st) return Fail(st.error());
  std::vector<loadgen::JsonValue> samples;
  size_t history_max = 300;
  const monitor::ViewOptions view{args.feed.host + ":" + std::to_string(args.feed.port), TerminalWidth(),
                                  args.color && isatty(STDOUT_FILENO)};
  while (true) {
    auto text = client.Next();
    if (!text) return Fail(text.error());
    auto message = loadgen::ParseJson(*text);
    if (!message) return Fail("bad message from the server: " + message.error());
    const std::string& type = (*message)["type"].AsString();
    bool fresh = false;
    if (type == "hello") {
      history_max = static_cast<size_t>(std::max<int64_t>(1, (*message)["history_samples"].AsInt()));
      samples = (*message)["history"].AsArray();
      // --once answers from the history when there is one.
      fresh = args.once && !samples.empty();
    } else if (type == "sample") {
      samples.push_back((*message)["sample"]);
      if (samples.size() > history_max) samples.erase(samples.begin());
      fresh = true;
    }
    if (!fresh || samples.empty()) continue;
    if (args.json) {
      std::printf("%s\n", samples.back().Serialize().c_str());
    } else {
      std::printf("%s%s", args.once ? "" : std::string(monitor::kHomeAndClear).c_str(),
                  monitor::RenderView(samples, view).c_str());
    }
    std::fflush(stdout);
    if (args.once) break;
  }
  client.Close();
  return 0;
}
