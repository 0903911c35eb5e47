#include "api/node_routes.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <boost/json/parse.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "api/node_views.h"
#include "api/rest_table.h"
#include "codec/js_json.h"
#include "api/api_test_util.h"
#include "api/node_routes_test_store.h"
#include "testing/fake_clock.h"


namespace sela::api {
namespace {

using test_util::Day;
using test_util::JsonRequest;
using test_util::Request;

// --- Routes through the table, with an in-memory store -------------------------

using node_test::FakeStore;
using node_test::Node;

class NodeRoutesTest : public ::testing::Test {
 protected:
  NodeRoutesTest()
      : ctx_{NodeRoutesDeps{
                 .clock = clock_,
                 .store = store_,
                 .registry = registry_,
                 .send_to_node =
                     [this](nodes::NodeIndex node, std::string_view text, std::string_view data) {
                       sent_.emplace_back(std::string(registry_.View(node)->principal),
                                          AdminNotificationFrame(text, data));
                       return size_t{1};
                     },
                 .send_to_all =
                     [this](std::string_view text, std::string_view data) {
                       sent_.emplace_back("*", AdminNotificationFrame(text, data));
                       return registry_.size();
                     },
                 .last_checkpoint_ms = [] { return int64_t{0}; },
             },
             {}} {
    ctx_.options.rest.admin_token = "tok";
  }

  const RestRoute<NodeRoutesContext>& RouteById(std::string_view id) {
    for (const auto& r : NodeRouteTable()) {
      if (r.info.id == id) return r;
    }
    ADD_FAILURE() << "no route " << id;
    return NodeRouteTable().front();
  }

  // Runs the route and returns its one response.
  net::HttpResponse Run(std::string_view id, net::HttpRequest request,
                        std::vector<std::pair<std::string, std::string>> params = {}) {
    request.params = std::move(params);
    int answers = 0;
    net::HttpResponse out;
    RunRestRoute(RouteById(id), ctx_, ctx_.options.rest, request, [&](net::HttpResponse r) {
      ++answers;
      out = std::move(r);
    });
    EXPECT_EQ(answers, 1) << id << " must answer exactly once";
    return out;
  }

  static net::HeaderList Admin() { return {{"Authorization", "Bearer tok"}}; }
  static net::HeaderList As(std::string principal) { return {{"x-user-principal-id", std::move(principal)}}; }

  testing::FakeClock clock_;
  FakeStore store_;
  nodes::NodeRegistry registry_;
  std::vector<std::pair<std::string, std::string>> sent_;
  NodeRoutesContext ctx_;
};

TEST_F(NodeRoutesTest, HealthAndStatsAnswerTheOriginalBodies) {
  EXPECT_EQ(Run("N1", Request("GET", "/api/node/health")).body,
            R"({"success":true,"message":"Node service is healthy","data":{"status":"OK"}})");
  EXPECT_EQ(Run("N2", Request("GET", "/api/node/stats")).body,
            R"({"success":true,"message":"Node service statistics retrieved","data":{"name":"Node Service",)"
            R"("features":["Job assignment and processing","File storage and retrieval",)"
            R"("Authentication and authorization","Client management","Database operations",)"
            R"("Business logic coordination"]}})");
}

TEST_F(NodeRoutesTest, AuthCheckNeedsAnActiveNodeRecord) {
  EXPECT_EQ(Run("N10", Request("GET", "/api/node/auth/check", "", As("p1"))).body,
            R"({"success":false,"message":"Authentication failed: Client not found","data":null})");
  store_.nodes["p1"] = Node("p1", store::NodeStatus::kInactive);
  EXPECT_EQ(Run("N10", Request("GET", "/api/node/auth/check", "", As("p1"))).status, 401u);
  store_.nodes["p1"].status = store::NodeStatus::kActive;
  EXPECT_EQ(Run("N10", Request("GET", "/api/node/auth/check", "", As("p1"))).body,
            R"({"success":true,"message":"Authentication successful","data":{"status":"RequestAuth OK"}})");
  EXPECT_EQ(Run("N10", Request("GET", "/api/node/auth/check")).status, 401u);
}

TEST_F(NodeRoutesTest, StoreFailuresAre503WhenBusyAnd500Otherwise) {
  store_.fail = ResourceExhausted("queue full");
  const net::HttpResponse busy = Run("N6", Request("GET", "/api/node/user/uptime", "", As("p1")));
  EXPECT_EQ(busy.status, 503u);
  store_.fail = Internal("disk on fire");
  const net::HttpResponse broken = Run("N6", Request("GET", "/api/node/user/uptime", "", As("p1")));
  EXPECT_EQ(broken.status, 500u);
  EXPECT_EQ(broken.body, R"({"success":false,"message":"Failed to retrieve uptime data","data":null})");
  EXPECT_EQ(broken.body.find("disk"), std::string::npos);
  EXPECT_EQ(Run("N10", Request("GET", "/api/node/auth/check", "", As("p1"))).status, 500u);
  EXPECT_EQ(Run("N3", Request("GET", "/api/node/nodes", "", Admin())).status, 500u);
}

TEST_F(NodeRoutesTest, UptimeReadsStoredDaysAndTheLiveRegistry) {
  const int64_t now = clock_.WallMs();
  const std::string today = nodes::UtcDay(now);
  store_.days = {Day("2000-01-01", 3'600'000), Day(today, 60'000)};
  registry_.Connect("p1", 1, now - 120'000);
  const net::HttpResponse r = Run("N6", Request("GET", "/api/node/user/uptime", "", As("p1")));
  EXPECT_EQ(r.status, 200u);
  // Stored 61 min + 2 live minutes not yet checkpointed (checkpoint time 0).
  EXPECT_NE(r.body.find(R"("totalUptime":"01:03:00")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("isCurrentlyOnline":true,"currentSessionDuration":"00:02:00")"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("activeSessionMinutes":"2.00")"), std::string::npos) << r.body;
}

TEST_F(NodeRoutesTest, DetailedUptimeValidatesDays) {
  const auto bad = Run("N7", Request("GET", "/api/node/user/uptime/detailed", "days=abc", As("p1")));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.body, R"({"success":false,"message":"Invalid days parameter: expected an integer from 0 to 366","data":null})");
  EXPECT_EQ(Run("N7", Request("GET", "/api/node/user/uptime/detailed", "days=1&days=2", As("p1"))).status, 400u);
  const int64_t now = clock_.WallMs();
  store_.days = {Day(nodes::UtcDay(now - 2 * 86'400'000LL), 60'000), Day(nodes::UtcDay(now), 60'000)};
  const auto one = Run("N7", Request("GET", "/api/node/user/uptime/detailed", "days=1", As("p1")));
  EXPECT_NE(one.body.find(R"("days_active":1)"), std::string::npos) << one.body;
  const auto week = Run("N7", Request("GET", "/api/node/user/uptime/detailed", "", As("p1")));
  EXPECT_NE(week.body.find(R"("days":7)"), std::string::npos) << week.body;
  EXPECT_NE(week.body.find(R"("days_active":2)"), std::string::npos) << week.body;
}

TEST_F(NodeRoutesTest, AdminRoutesNeedTheBearerToken) {
  for (std::string_view id : {"N3", "N4", "N12", "N13", "NX1"}) {
    EXPECT_EQ(Run(id, JsonRequest("POST", "/", "{}")).status, 401u) << id;
    EXPECT_EQ(Run(id, JsonRequest("POST", "/", "{}", {{"Authorization", "Bearer nope"}})).status, 401u) << id;
    // A principal is no credential here.
    EXPECT_EQ(Run(id, JsonRequest("POST", "/", "{}", As("p1"))).status, 401u) << id;
  }
  ctx_.options.rest.admin_token.clear();
  for (std::string_view id : {"N3", "N4", "N12", "N13", "NX1"}) {
    EXPECT_EQ(Run(id, JsonRequest("POST", "/", "{}", Admin())).status, 403u) << id;
  }
  EXPECT_TRUE(sent_.empty());
}

TEST_F(NodeRoutesTest, NodeListsAreFullForAllAndLiveOnlyForRunning) {
  store_.nodes["p1"] = Node("p1", store::NodeStatus::kActive, 10, "5");
  store_.nodes["p2"] = Node("p2");
  registry_.Connect("p2", 9, clock_.WallMs());
  const auto all = Run("N3", Request("GET", "/api/node/nodes", "", Admin()));
  EXPECT_NE(all.body.find(R"("user_principal_id":"p1")"), std::string::npos);
  EXPECT_NE(all.body.find(R"("user_principal_id":"p2")"), std::string::npos);
  const auto running = Run("N4", Request("GET", "/api/node/nodes/running", "", Admin()));
  EXPECT_EQ(running.body.find(R"("user_principal_id":"p1")"), std::string::npos) << running.body;
  EXPECT_NE(running.body.find(R"("user_principal_id":"p2")"), std::string::npos) << running.body;
  EXPECT_NE(running.body.find(R"("isOnline":true)"), std::string::npos) << running.body;
  EXPECT_NE(running.body.find(R"("todaysEarnings":0,"balance":0,)"), std::string::npos) << running.body;
}

// N3 pages (issue 11): ?limit= records after ?after=, X-Next-After on a
// full page; the original's shape (data an array) on every page.
TEST_F(NodeRoutesTest, TheNodeListPagesByNumericId) {
  for (const char* p : {"p1", "p2", "p3"}) store_.nodes[p] = Node(p);
  const auto first = Run("N3", Request("GET", "/api/node/nodes", "limit=2", Admin()));
  ASSERT_EQ(first.status, 200u) << first.body;
  EXPECT_NE(first.body.find(R"("user_principal_id":"p2")"), std::string::npos) << first.body;
  EXPECT_EQ(first.body.find(R"("user_principal_id":"p3")"), std::string::npos) << first.body;
  const std::string next = std::to_string(store_.nodes["p2"].numeric_id);
  EXPECT_EQ(first.headers, (net::HeaderList{{"X-Next-After", next}}));
  const auto last = Run("N3", Request("GET", "/api/node/nodes", "limit=2&after=" + next, Admin()));
  EXPECT_NE(last.body.find(R"("data":[{"user_principal_id":"p3")"), std::string::npos) << last.body;
  EXPECT_TRUE(last.headers.empty());
  for (const char* query : {"limit=0", "limit=1001", "limit=x", "after=-1", "after=1&after=2"}) {
    EXPECT_EQ(Run("N3", Request("GET", "/api/node/nodes", query, Admin())).status, 400u) << query;
  }
}

// N4 pages like N3, over the connected nodes; a bounded read a request.
TEST_F(NodeRoutesTest, TheRunningListPagesOverConnectedNodesWithABoundedScan) {
  for (const char* p : {"p1", "p2", "p3", "p4", "p5", "p6", "p7"}) store_.nodes[p] = Node(p);
  for (const char* p : {"p2", "p3", "p7"}) registry_.Connect(p, 1, clock_.WallMs());
  auto id = [&](const char* p) { return std::to_string(store_.nodes[p].numeric_id); };
  auto page = [&](std::string q) { return Run("N4", Request("GET", "/api/node/nodes/running", q, Admin())); };
  const auto unpaged = page("");  // The first page holds them all, as before.
  for (const char* p : {"p2", "p3", "p7"}) EXPECT_NE(unpaged.body.find(p), std::string::npos) << p;
  EXPECT_TRUE(unpaged.headers.empty());
  const auto first = page("limit=2");
  EXPECT_NE(first.body.find(R"("data":[{"user_principal_id":"p2")"), std::string::npos) << first.body;
  EXPECT_NE(first.body.find(R"("user_principal_id":"p3")"), std::string::npos) << first.body;
  EXPECT_EQ(first.headers, (net::HeaderList{{"X-Next-After", id("p3")}}));
  const auto last = page("limit=2&after=" + id("p3"));
  EXPECT_NE(last.body.find(R"("data":[{"user_principal_id":"p7")"), std::string::npos) << last.body;
  EXPECT_TRUE(last.headers.empty());
  // One read of 2 records a request: p4, p5 (offline) end a request early.
  ctx_.options.nodes_page_max = 2;
  ctx_.options.running_scan_pages = 1;
  const auto bounded = page("after=" + id("p3"));
  EXPECT_NE(bounded.body.find(R"("data":[])"), std::string::npos) << bounded.body;
  EXPECT_EQ(bounded.headers, (net::HeaderList{{"X-Next-After", id("p5")}}));
  EXPECT_NE(page("after=" + id("p5")).body.find("p7"), std::string::npos);
  EXPECT_TRUE(page("after=" + id("p7")).headers.empty());
  for (const char* query : {"limit=0", "limit=3", "after=x"}) EXPECT_EQ(page(query).status, 400u) << query;
}

TEST_F(NodeRoutesTest, NodeListsShowTheLedgersBalanceAndTodaysCredits) {
  store_.nodes["p1"] = Node("p1");
  store_.nodes["p2"] = Node("p2");
  store_.balances = {{"issuance:job", -150'000'000, -25'000'000}, {"p2", 150'000'000, 25'000'000}};
  const auto all = Run("N3", Request("GET", "/api/node/nodes", "", Admin()));
  EXPECT_EQ(store_.balances_day, nodes::UtcDay(clock_.WallMs()));
  const size_t p1 = all.body.find(R"("user_principal_id":"p1")");
  const size_t p2 = all.body.find(R"("user_principal_id":"p2")");
  ASSERT_NE(p1, std::string::npos);
  ASSERT_NE(p2, std::string::npos);
  ASSERT_LT(p1, p2) << all.body;
  EXPECT_EQ(all.body.find(R"("todaysEarnings":0,"balance":0,)", p1), all.body.find(R"("todaysEarnings")", p1))
      << "p1 has no account: " << all.body;
  EXPECT_EQ(all.body.find(R"("todaysEarnings":0.25,"balance":1.5,)", p2), all.body.find(R"("todaysEarnings")", p2))
      << all.body;
}

// What settlement made of a balance (docs/CHAIN.md "Operations").
TEST_F(NodeRoutesTest, NodeListsShowWhatIsSettledOnTheChain) {
  store_.nodes["p1"] = Node("p1");
  store_.nodes["p2"] = Node("p2");
  store_.balances = {{"p2", 150'000'000, 0}};
  store_.settled = {{"p2", 100'000'000, 40'000'000}};
  const auto all = Run("N3", Request("GET", "/api/node/nodes", "", Admin()));
  const size_t p1 = all.body.find(R"("user_principal_id":"p1")");
  const size_t p2 = all.body.find(R"("user_principal_id":"p2")");
  ASSERT_LT(p1, p2) << all.body;
  EXPECT_LT(all.body.find(R"("settledBalance":0,"settlingBalance":0})", p1), p2) << all.body;
  EXPECT_NE(all.body.find(R"("settledBalance":0.4,"settlingBalance":0.6})", p2), std::string::npos) << all.body;
}

TEST_F(NodeRoutesTest, ClientMessageGoesToTheLiveNodeByClientIdThenPrincipal) {
  registry_.Connect("p1", 111, clock_.WallMs());
  registry_.Connect("p2", 222, clock_.WallMs());
  auto r = Run("N12", JsonRequest("POST", "/", R"({"userPrincipalId":"p1","text":"HI","data":{"k":1}})", Admin()),
               {{"clientId", "222"}});
  EXPECT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].first, "p2");
  EXPECT_EQ(sent_[0].second, R"({"function":"Notification","message":"HI","data":{"k":1},"status":"OK"})");
  r = Run("N12", JsonRequest("POST", "/", R"({"userPrincipalId":"p1"})", Admin()), {{"clientId", "999"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(sent_.back().first, "p1");
  EXPECT_EQ(sent_.back().second,
            R"({"function":"Notification","message":"NOTIFICATION","data":"Admin message","status":"OK"})");
  EXPECT_NE(r.body.find(R"("message":"{\"function\":\"JobSent\")"), std::string::npos) << r.body;
}

TEST_F(NodeRoutesTest, ClientMessageNeverFallsBackToAnotherNode) {
  registry_.Connect("p1", 111, clock_.WallMs());
  const auto r = Run("N12", JsonRequest("POST", "/", R"({"userPrincipalId":"ghost"})", Admin()), {{"clientId", "x"}});
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body, R"({"success":false,"message":"Failed to send message: Node is not connected","data":null})");
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(Run("N12", JsonRequest("POST", "/", "{}", Admin()), {{"clientId", "1"}}).body,
            R"({"success":false,"message":"Missing clientId or userPrincipalId","data":null})");
  EXPECT_EQ(Run("N12", JsonRequest("POST", "/", R"({"userPrincipalId":"p1","text":7})", Admin()),
                {{"clientId", "1"}})
                .status,
            400u);
}

TEST_F(NodeRoutesTest, BroadcastReachesEveryLiveNodeAndValidatesLikeTheOriginal) {
  EXPECT_EQ(Run("N13", JsonRequest("POST", "/", R"({"text":"HI"})", Admin())).body,
            R"({"success":false,"message":"Missing required fields: text, user_principal_id","data":null})");
  registry_.Connect("p1", 1, clock_.WallMs());
  registry_.Connect("p2", 2, clock_.WallMs());
  const auto r = Run("N13", JsonRequest("POST", "/", R"({"text":"HI","user_principal_id":"admin"})", Admin()));
  EXPECT_EQ(r.body, R"({"success":true,"message":"Broadcast completed","data":{"message":"Message broadcasted successfully","clientsReached":2}})");
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].second, R"({"function":"Notification","message":"HI","data":"","status":"OK"})");
}

TEST_F(NodeRoutesTest, CapacityChangesTheStoreAndTheLiveRegistry) {
  store_.nodes["p1"] = Node("p1");
  const nodes::NodeIndex node = registry_.Connect("p1", 1, clock_.WallMs());
  const auto r = Run("NX1", JsonRequest("PUT", "/", R"({"maxConcurrentJobs":4})", Admin()), {{"principal", "p1"}});
  EXPECT_EQ(r.body, R"({"success":true,"message":"Client capacity updated successfully","data":)"
                    R"({"user_principal_id":"p1","oldCapacity":10,"newCapacity":4,"isOnline":true}})");
  EXPECT_EQ(store_.nodes["p1"].max_concurrent_jobs, 4u);
  EXPECT_EQ(registry_.View(node)->max_concurrent_jobs, 4u);
}

TEST_F(NodeRoutesTest, CapacityRefusesBadValuesAndUnknownNodes) {
  store_.nodes["p1"] = Node("p1");
  for (std::string body : {R"({})", R"({"maxConcurrentJobs":0})", R"({"maxConcurrentJobs":"4"})"}) {
    EXPECT_EQ(Run("NX1", JsonRequest("PUT", "/", body, Admin()), {{"principal", "p1"}}).body,
              R"({"success":false,"message":"Missing or invalid maxConcurrentJobs","data":null})")
        << body;
  }
  for (std::string body : {R"({"maxConcurrentJobs":2.5})", R"({"maxConcurrentJobs":-1})",
                           R"({"maxConcurrentJobs":101})"}) {
    EXPECT_EQ(Run("NX1", JsonRequest("PUT", "/", body, Admin()), {{"principal", "p1"}}).status, 400u) << body;
  }
  EXPECT_EQ(Run("NX1", JsonRequest("PUT", "/", R"({"maxConcurrentJobs":3})", Admin()), {{"principal", "nobody"}}).body,
            R"({"success":false,"message":"Client not found","data":null})");
  EXPECT_EQ(store_.nodes["p1"].max_concurrent_jobs, 10u);
}

// --- The table itself ------------------------------------------------------------

TEST(NodeRouteTable, RegistersEveryServedRouteAndNoPendingOne) {
  net::Router router;
  testing::FakeClock clock;
  FakeStore store;
  nodes::NodeRegistry registry;
  AddNodeRoutes(router,
                {.clock = clock,
                 .store = store,
                 .registry = registry,
                 .send_to_node = [](nodes::NodeIndex, std::string_view, std::string_view) { return size_t{0}; },
                 .send_to_all = [](std::string_view, std::string_view) { return size_t{0}; },
                 .last_checkpoint_ms = [] { return int64_t{0}; }},
                {});
  size_t served = 0;
  for (const auto& route : NodeRouteTable()) {
    std::string path(route.info.path);
    for (std::string_view param : {":clientId", ":principal"}) {
      if (auto at = path.find(param); at != std::string::npos) path.replace(at, param.size(), "x");
    }
    net::HttpRequest request = Request(std::string(route.info.method), path);
    const net::Route* match = router.Find(request);
    if (route.handler == nullptr) {
      EXPECT_EQ(match, nullptr) << route.info.id << " is pending and must answer 404";
      EXPECT_FALSE(route.info.pending.empty()) << route.info.id;
    } else {
      ++served;
      ASSERT_NE(match, nullptr) << route.info.id;
      EXPECT_EQ(match->pattern, route.info.path);
    }
  }
  EXPECT_EQ(router.routes().size(), served);
}

TEST(NodeRouteTable, IsTheTableInTheDocument) {
  std::ifstream in(SELA_REST_NODE_DOC);
  std::stringstream doc;
  doc << in.rdbuf();
  ASSERT_FALSE(doc.str().empty()) << "cannot read " << SELA_REST_NODE_DOC;
  const std::string table = RouteTableMarkdown(NodeRouteTable());
  EXPECT_NE(doc.str().find(table), std::string::npos) << "docs/REST-NODE.md must contain this table:\n" << table;
}

}  // namespace
}  // namespace sela::api
