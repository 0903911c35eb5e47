#include "options.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "coordinator.h"
#include "worker.h"

namespace loadgen {
namespace {

std::expected<Options, std::string> Parse(std::vector<std::string> args) { return ParseOptions(args); }

TEST(Options, DefaultsMatchTheDocumentation) {
  auto o = Parse({"hold"});
  ASSERT_TRUE(o.has_value()) << o.error();
  EXPECT_EQ(o->scenario, Scenario::kHold);
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->path, "/");
  EXPECT_EQ(o->source_ips, 32);
  EXPECT_FALSE(o->register_after_upgrades);
  EXPECT_EQ(o->connect_rate_per_s, 5000);
  EXPECT_EQ(o->heartbeat_s, 30);
  EXPECT_EQ(o->inflight, 1);
  EXPECT_EQ(o->principal_prefix, "loadgen-");
  EXPECT_EQ(o->procs, 0);
  EXPECT_EQ(o->settle_s, 2);
  EXPECT_EQ(o->max_runtime_s, 600);
  EXPECT_EQ(o->principal_in, PrincipalIn::kHeader);
  EXPECT_FALSE(o->raw);
}

TEST(Options, ParsesBothValueSpellings) {
  auto o = Parse({"ping", "--nodes", "19000", "--duration=2.5", "--raw", "--procs", "3",
                  "--principal-format=ic", "--no-auth-header", "--server-pid", "42"});
  ASSERT_TRUE(o.has_value()) << o.error();
  EXPECT_EQ(o->scenario, Scenario::kPing);
  EXPECT_EQ(o->nodes, 19000);
  EXPECT_DOUBLE_EQ(o->duration_s, 2.5);
  EXPECT_TRUE(o->raw);
  EXPECT_EQ(o->procs, 3);
  EXPECT_EQ(o->principal_format, PrincipalFormat::kIcText);
  EXPECT_EQ(o->principal_in, PrincipalIn::kFrame);
  EXPECT_EQ(o->server_pid, 42);
}

TEST(Options, ServerPidsListsMoreProcessesOfTheServer) {
  auto o = Parse({"hold", "--server-pid", "10", "--server-pids", "11,12,13"});
  ASSERT_TRUE(o.has_value()) << o.error();
  EXPECT_EQ(o->server_pid, 10);
  EXPECT_EQ(o->extra_server_pids, (std::vector<int64_t>{11, 12, 13}));
  for (const char* bad : {"", "1,,2", "x", "0", "1,"}) {
    EXPECT_FALSE(Parse({"hold", "--server-pids", bad}).has_value()) << bad;
  }
}

TEST(Options, PrincipalPlaceAndRegistrationPattern) {
  for (const auto& [word, place] : {std::pair{"header", PrincipalIn::kHeader}, std::pair{"url", PrincipalIn::kUrl},
                                    std::pair{"frame", PrincipalIn::kFrame}}) {
    auto o = Parse({"hold", "--principal-in", word, "--register-after-upgrades"});
    ASSERT_TRUE(o.has_value()) << o.error();
    EXPECT_EQ(o->principal_in, place);
    EXPECT_TRUE(o->register_after_upgrades);
  }
  EXPECT_FALSE(Parse({"hold", "--principal-in", "cookie"}).has_value());
}

TEST(Options, RejectsBadInputWithAMessage) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"fly"},
      {"hold", "--nodes"},
      {"hold", "--nodes", "0"},
      {"hold", "--nodes", "12x"},
      {"hold", "--inflight", "5000"},
      {"hold", "--bogus", "1"},
      {"hold", "--path", "no-slash"},
      {"hold", "--procs", "many"},
      {"hold", "--principal-prefix", "a b"},
      {"hold", "ping"},
  };
  for (const auto& args : bad) {
    auto o = Parse(args);
    EXPECT_FALSE(o.has_value()) << (args.empty() ? "" : args.back());
    if (!o) {
      EXPECT_FALSE(o.error().empty());
    }
  }
}

TEST(Options, JobsDefaultsMatchTheDocumentation) {
  auto o = Parse({"jobs"});
  ASSERT_TRUE(o.has_value()) << o.error();
  EXPECT_EQ(o->scenario, Scenario::kJobs);
  EXPECT_EQ(o->customers, 32);
  EXPECT_EQ(o->job_rate_per_s, 1000);
  EXPECT_EQ(o->pipeline, 1);
  EXPECT_EQ(o->result_bytes, 1024);
  EXPECT_EQ(o->result_delay_ms, 0);
  EXPECT_EQ(o->timeout_ms, 30000);
}

TEST(Options, ParsesTheJobsOptions) {
  auto o = Parse({"jobs", "--nodes", "10000", "--customers", "256", "--job-rate", "0",
                  "--pipeline=4", "--result-bytes", "2048", "--result-delay-ms", "2.5",
                  "--timeout-ms", "5000", "--duration", "5"});
  ASSERT_TRUE(o.has_value()) << o.error();
  EXPECT_EQ(o->nodes, 10000);
  EXPECT_EQ(o->customers, 256);
  EXPECT_EQ(o->job_rate_per_s, 0);
  EXPECT_EQ(o->pipeline, 4);
  EXPECT_EQ(o->result_bytes, 2048);
  EXPECT_DOUBLE_EQ(o->result_delay_ms, 2.5);
  EXPECT_EQ(o->timeout_ms, 5000);
}

TEST(Options, RejectsJobsOptionsOutOfRange) {
  const std::vector<std::vector<std::string>> bad = {
      {"jobs", "--customers", "0"},
      {"jobs", "--customers", "20000"},
      {"jobs", "--job-rate", "-1"},
      {"jobs", "--pipeline", "0"},
      {"jobs", "--pipeline", "65"},
      {"jobs", "--result-bytes", "18"},
      {"jobs", "--result-bytes", "10000000"},
      {"jobs", "--timeout-ms", "0"},
      {"jobs", "--duration", "0"},
      {"jobs", "--raw"},
  };
  for (const auto& args : bad) {
    auto o = Parse(args);
    EXPECT_FALSE(o.has_value()) << args[1];
    if (!o) {
      EXPECT_FALSE(o.error().empty());
    }
  }
}

TEST(ScenarioPhases, JobsConnectsSubmitsUntilStoppedAndCloses) {
  EXPECT_EQ(ScenarioPhases(Scenario::kJobs, 3),
            (std::vector<Phase>{Phase::kConnect, Phase::kJobs, Phase::kClose}));
  EXPECT_TRUE(PhaseNeedsStop(Phase::kJobs));
}

TEST(Endpoints, AcceptsLoopbackOnly) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"}) {
    Options o;
    o.host = host;
    EXPECT_TRUE(ResolveEndpoints(o).has_value()) << host;
  }
  for (const char* host : {"10.0.0.1", "0.0.0.0", "8.8.8.8", "128.0.0.1", "::", "::2",
                           "example.com", "127.0.0.1.example.com", ""}) {
    Options o;
    o.host = host;
    auto e = ResolveEndpoints(o);
    ASSERT_FALSE(e.has_value()) << host;
    EXPECT_NE(e.error().find("loopback"), std::string::npos);
  }
}

TEST(Endpoints, BuildsSourceAddressesRoundRobinList) {
  Options o;
  o.source_ips = 3;
  o.port = 9000;
  auto e = ResolveEndpoints(o);
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ(e->sources.size(), 3u);
  char text[INET_ADDRSTRLEN];
  auto* last = reinterpret_cast<const sockaddr_in*>(&e->sources[2]);
  inet_ntop(AF_INET, &last->sin_addr, text, sizeof(text));
  EXPECT_STREQ(text, "127.0.0.3");
  EXPECT_EQ(e->host_header, "127.0.0.1:9000");
  o.host = "::1";
  auto v6 = ResolveEndpoints(o);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->sources.size(), 1u);
  EXPECT_EQ(v6->host_header, "[::1]:9000");
}

TEST(WorkerProcesses, AutoSplitsByTheDescriptorLimit) {
  EXPECT_EQ(WorkerProcesses(19000, 0, 20000).value(), 1);
  EXPECT_EQ(WorkerProcesses(19000, 0, 1024).value(), 21);
  EXPECT_EQ(WorkerProcesses(100, 4, 1024).value(), 4);
}

TEST(WorkerProcesses, RefusesTooFewRequestedProcesses) {
  auto p = WorkerProcesses(19000, 2, 1024);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().find("--procs 21"), std::string::npos) << p.error();
  EXPECT_FALSE(WorkerProcesses(10, 0, 50).has_value());
}

}  // namespace
}  // namespace loadgen
