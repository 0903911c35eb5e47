#include "api/openapi.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <openssl/sha.h>
#include <set>
#include <sstream>

#include "api/file_routes.h"
#include "api/node_routes.h"
#include "api/ops_routes.h"
#include "api/reward_routes.h"
#include "api/rpc_routes.h"
#include "api/settlement_routes.h"
#include "api/static_assets.h"
#include "codec/hex.h"
#include "testing/fake_clock.h"

namespace sela::api {
namespace {

namespace json = boost::json;

// The router as main builds it: the same Add functions and tables (the
// REST tables with handlers that are never called).
net::Router ServerRouter(const Clock& clock, MetricsRegistry& metrics) {
  net::Router router;
  AddOpsRoutes(router, clock, metrics, {});
  auto rest = std::make_shared<const RestOptions>();
  RegisterRestRoutes<NodeRoutesContext>(router, NodeRouteTable(), nullptr, rest);
  RegisterRestRoutes<RpcRoutesContext>(router, RpcRouteTable(), nullptr, rest);
  RegisterRestRoutes<FileRoutesContext>(router, FileRouteTable(), nullptr, rest);
  RegisterRestRoutes<RewardRoutesContext>(router, RewardRouteTable(), nullptr, rest);
  RegisterRestRoutes<RewardRoutesContext>(router, ReferralRouteTable(), nullptr, rest);
  RegisterRestRoutes<RewardRoutesContext>(router, ReferralDistributionRouteTable(), nullptr, rest);
  RegisterRestRoutes<SettlementRoutesContext>(router, SettlementRouteTable(), nullptr, rest);
  return router;
}

class OpenApiTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  MetricsRegistry metrics_;
  std::vector<ApiGroup> groups_ = ServerApiGroups();
  json::object doc_ = json::parse(OpenApiJson(groups_, "1.2.3")).as_object();
};

TEST_F(OpenApiTest, TheServerRoutesAreExactlyTheDocumentedOnes) {
  const net::Router router = ServerRouter(clock_, metrics_);
  EXPECT_TRUE(CheckRoutesDocumented(router, groups_).ok()) << CheckRoutesDocumented(router, groups_).ToString();
}

TEST_F(OpenApiTest, ARouteWithoutAnEntryFailsTheCheck) {
  net::Router router = ServerRouter(clock_, metrics_);
  router.Add("GET", "/api/undocumented", [](net::HttpRequest&, net::HttpReply) {});
  const Status st = CheckRoutesDocumented(router, groups_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("served but not documented: GET /api/undocumented"), std::string::npos) << st.message();
}

TEST_F(OpenApiTest, AnEntryWithoutARouteFailsTheCheck) {
  const net::Router router = ServerRouter(clock_, metrics_);
  std::vector<ApiGroup> groups = groups_;
  groups[0].routes.push_back({"X1", "POST", "/api/ghost", RestAuth::kNone, "Not served."});
  const Status st = CheckRoutesDocumented(router, groups);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("documented but not served: POST /api/ghost"), std::string::npos) << st.message();
  // A pending entry is documented without a route, on purpose.
  groups = groups_;
  groups[0].routes.push_back({"X2", "POST", "/api/later", RestAuth::kNone, "Later.", "not built yet"});
  EXPECT_TRUE(CheckRoutesDocumented(router, groups).ok());
}

TEST_F(OpenApiTest, EveryTableRouteIsAnOperationWithItsIdAndAuth) {
  const json::object& paths = doc_.at("paths").as_object();
  size_t operations = 0;
  for (const auto& [path, item] : paths) operations += item.as_object().size();
  size_t routes = 0;
  for (const ApiGroup& g : groups_) {
    for (const RestRouteInfo& info : g.routes) {
      ++routes;
      const std::string path = OpenApiPath(info.path);
      ASSERT_TRUE(paths.contains(path)) << path;
      std::string method(info.method);
      for (char& c : method) c = static_cast<char>(std::tolower(c));
      const json::object& op = paths.at(path).as_object().at(method).as_object();
      EXPECT_EQ(op.at("operationId").as_string(), info.id);
      EXPECT_EQ(op.contains("security"), info.auth != RestAuth::kNone) << info.id;
      EXPECT_EQ(op.contains("x-sela-pending"), !info.pending.empty()) << info.id;
      EXPECT_EQ(op.at("responses").as_object().contains("101"), g.websocket) << info.id;
    }
  }
  EXPECT_EQ(operations, routes);
  EXPECT_EQ(doc_.at("openapi").as_string(), "3.1.0");
  EXPECT_EQ(doc_.at("info").as_object().at("version").as_string(), "1.2.3");
  // The WebSocket endpoints and the ops routes are in.
  EXPECT_TRUE(paths.at("/").as_object().contains("get"));
  EXPECT_TRUE(paths.at("/admin/feed").as_object().contains("get"));
  EXPECT_TRUE(paths.at("/metrics").as_object().contains("get"));
  EXPECT_TRUE(paths.at("/api/node/client/{clientId}/message").as_object().contains("post"));
}

// Item 4 of issue 11: the bare principal is taken on the original's
// PRINCIPAL routes that today's app calls and on no other; every route that
// acts for a node otherwise takes only the v2 node token. The list is
// pinned here and in docs/REST-NODE.md ("The bare principal").
TEST_F(OpenApiTest, TheBarePrincipalIsTakenOnlyOnTheOriginalRoutesTodaysAppCalls) {
  const std::set<std::string> expected = {"N5",  "N6",  "N7",  "N8",  "N9",  "N10", "F1",  "F2",  "F3",  "F4",
                                          "F5",  "F6",  "F7",  "Rf2", "Rf3", "Rf4", "Rf5", "Rf6", "Rf7", "Rf8"};
  std::ifstream in(SELA_REST_NODE_DOC);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  ASSERT_FALSE(doc.empty()) << "cannot read " << SELA_REST_NODE_DOC;
  std::set<std::string> compat;
  const json::object& paths = doc_.at("paths").as_object();
  for (const ApiGroup& g : groups_) {
    for (const RestRouteInfo& info : g.routes) {
      if (!NamesPrincipal(info.auth)) continue;
      std::string method(info.method);
      for (char& c : method) c = static_cast<char>(std::tolower(c));
      const json::array& security =
          paths.at(OpenApiPath(info.path)).as_object().at(method).as_object().at("security").as_array();
      ASSERT_FALSE(security.empty()) << info.id;
      EXPECT_TRUE(security[0].as_object().contains("nodeToken")) << info.id;
      if (info.auth == RestAuth::kPrincipalCompat) {
        compat.insert(std::string(info.id));
        ASSERT_EQ(security.size(), 2u) << info.id;
        EXPECT_TRUE(security[1].as_object().contains("principal")) << info.id;
        const std::string row = "| " + std::string(info.id) + " | " + std::string(info.method) + " | `" +
                                std::string(info.path) + "` | ";
        EXPECT_NE(doc.find(row), std::string::npos) << "docs/REST-NODE.md must list " << row;
      } else {
        EXPECT_EQ(security.size(), 1u) << info.id;
      }
    }
  }
  EXPECT_EQ(compat, expected);
}

TEST_F(OpenApiTest, PathParametersAndNotesBecomeParametersAndBodies) {
  const json::object& paths = doc_.at("paths").as_object();
  const json::object& msg = paths.at("/api/node/client/{clientId}/message").as_object().at("post").as_object();
  EXPECT_EQ(msg.at("parameters").as_array()[0].as_object().at("name").as_string(), "clientId");
  const json::object& body =
      msg.at("requestBody").at("content").at("application/json").at("schema").as_object();
  EXPECT_TRUE(body.at("properties").as_object().contains("text"));
  EXPECT_EQ(body.at("required").as_array(), json::array({"text"}));
  const json::object& range = paths.at("/api/rpc/getUsageInDateRange").as_object().at("get").as_object();
  EXPECT_EQ(range.at("parameters").as_array().size(), 2u);
}

TEST_F(OpenApiTest, EveryParameterNoteNamesARoute) {
  std::set<std::string_view> ids;
  for (const ApiGroup& g : groups_) {
    for (const RestRouteInfo& info : g.routes) ids.insert(info.id);
  }
  for (const ParamNote& note : ParamNotes()) {
    EXPECT_TRUE(ids.contains(note.id)) << note.id << " " << note.name;
    EXPECT_TRUE(note.in == "query" || note.in == "header" || note.in == "body") << note.in;
  }
}

TEST(OpenApiPath, TurnsRouterParametersIntoTemplates) {
  EXPECT_EQ(OpenApiPath("/api/rpc/job/:id/download"), "/api/rpc/job/{id}/download");
  EXPECT_EQ(OpenApiPath("/a/:x"), "/a/{x}");
  EXPECT_EQ(OpenApiPath("/a:b/c"), "/a:b/c");
}

TEST(JsonToYaml, WritesBlockYamlWithQuotedStrings) {
  EXPECT_EQ(JsonToYaml(R"({"a":1,"b":[true,null,{"c":"x\ny","d":[]}],"e":{}})"),
            "\"a\": 1\n\"b\":\n  - true\n  - null\n  - \"c\": \"x\\ny\"\n    \"d\": []\n\"e\": {}\n");
  EXPECT_EQ(JsonToYaml("[]"), "[]\n");
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return codec::HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

TEST(StaticAssets, EmbeddedBytesMatchTheirHashesAndEveryPageIsThere) {
  for (const StaticAsset& a : StaticAssets()) {
    EXPECT_FALSE(a.bytes.empty()) << a.url;
    EXPECT_EQ(Sha256Hex(a.bytes), a.sha256) << a.url;
    EXPECT_EQ(FindStaticAsset(a.url), &a);
  }
  for (const char* url : {"/admin", "/admin/dashboard.js", "/admin/dashboard.css", "/api/docs",
                          "/api/docs/swagger-ui-bundle.js", "/api/docs/swagger-ui.css", "/API/DOCS"}) {
    EXPECT_NE(FindStaticAsset(url), nullptr) << url;
  }
  EXPECT_EQ(FindStaticAsset("/admin/feed"), nullptr);
}

TEST(StaticAssets, VendoredSwaggerUiMatchesItsChecksums) {
  std::ifstream sums(SELA_SWAGGER_UI_DIR "/SHA256SUMS");
  ASSERT_TRUE(sums) << "missing " SELA_SWAGGER_UI_DIR "/SHA256SUMS";
  std::string hash, name;
  std::set<std::string> checked;
  while (sums >> hash >> name) {
    std::ifstream file(std::string(SELA_SWAGGER_UI_DIR "/") + name, std::ios::binary);
    ASSERT_TRUE(file) << name;
    std::stringstream bytes;
    bytes << file.rdbuf();
    EXPECT_EQ(Sha256Hex(bytes.str()), hash) << name;
    checked.insert(name);
  }
  EXPECT_TRUE(checked.contains("swagger-ui-bundle.js"));
  EXPECT_TRUE(checked.contains("LICENSE"));
  // The embedded copy is the vendored one.
  EXPECT_EQ(Sha256Hex(FindStaticAsset("/api/docs/swagger-ui-bundle.js")->bytes),
            [&] {
              std::ifstream f(SELA_SWAGGER_UI_DIR "/swagger-ui-bundle.js", std::ios::binary);
              std::stringstream s;
              s << f.rdbuf();
              return Sha256Hex(s.str());
            }());
}

}  // namespace
}  // namespace sela::api
