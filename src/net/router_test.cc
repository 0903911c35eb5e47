#include "net/router.h"
#include "net/server.h"

#include <gtest/gtest.h>

namespace sela::net {
namespace {

HttpRequest Req(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

TEST(Router, MatchesCaseInsensitivelyWithATrailingSlashAndParams) {
  Router router;
  int hit = 0;
  router.Add("GET", "/api/rpc/job/:id", [&](HttpRequest&, HttpReply) { hit = 1; });
  router.Add("POST", "/api/rpc/scrapeUrl", [&](HttpRequest&, HttpReply) { hit = 2; });
  HttpRequest a = Req("GET", "/API/rpc/Job/abc%20d/");
  const Route* m = router.Find(a);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->pattern, "/api/rpc/job/:id");
  EXPECT_EQ(a.Param("id"), "abc d");
  HttpRequest b = Req("POST", "/api/rpc/scrapeURL");
  EXPECT_NE(router.Find(b), nullptr);
  HttpRequest head = Req("HEAD", "/api/rpc/job/1");
  EXPECT_NE(router.Find(head), nullptr);
}

TEST(Router, DoesNotMatchOtherShapes) {
  Router router;
  router.Add("GET", "/a/b", [](HttpRequest&, HttpReply) {});
  router.Add("GET", "/", [](HttpRequest&, HttpReply) {});
  for (const char* p : {"/a", "/a/b/c", "/a//b", "/a/b//", "a/b"}) {
    HttpRequest r = Req("GET", p);
    EXPECT_EQ(router.Find(r), nullptr) << p;
  }
  HttpRequest root = Req("GET", "/");
  EXPECT_NE(router.Find(root), nullptr);
  HttpRequest post = Req("POST", "/a/b");
  EXPECT_EQ(router.Find(post), nullptr);
}

TEST(Router, TheFirstRouteAddedThatMatchesWins) {
  Router router;
  router.Add("GET", "/api/:kind/list", [](HttpRequest&, HttpReply) {});
  router.Add("GET", "/api/jobs/list", [](HttpRequest&, HttpReply) {});
  router.Add("POST", "/api/jobs/:id", [](HttpRequest&, HttpReply) {});
  router.Add("*", "/api/jobs/:id", [](HttpRequest&, HttpReply) {});
  HttpRequest list = Req("GET", "/api/jobs/list");
  ASSERT_NE(router.Find(list), nullptr);
  EXPECT_EQ(router.Find(list)->pattern, "/api/:kind/list");
  EXPECT_EQ(list.Param("kind"), "jobs");
  // The method is part of the match: the POST route is passed over.
  HttpRequest get = Req("GET", "/api/jobs/7");
  ASSERT_NE(router.Find(get), nullptr);
  EXPECT_EQ(router.Find(get)->method, "*");
  EXPECT_EQ(get.Param("id"), "7");
  EXPECT_EQ(get.params.size(), 1u);
}

TEST(Router, APathLongerThanEveryRouteMatchesNone) {
  Router router;
  router.Add("GET", "/:a/:b", [](HttpRequest&, HttpReply) {});
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "/x";
  HttpRequest r = Req("GET", deep);
  EXPECT_EQ(router.Find(r), nullptr);
  HttpRequest two = Req("GET", "/x/y");
  EXPECT_NE(router.Find(two), nullptr);
}

TEST(Router, TellsTheBodyLimitOfARequestLineBeforeTheBodyIsRead) {
  Router router;
  router.Add("POST", "/api/files/:id", [](HttpRequest&, HttpReply) {}, 8u << 20);
  router.Add("POST", "/api/rpc/scrapeUrl", [](HttpRequest&, HttpReply) {});
  EXPECT_EQ(router.BodyLimit("POST", "/API/files/abc/"), 8u << 20);
  // No limit of its own, another method, or no route: the server's default.
  EXPECT_EQ(router.BodyLimit("POST", "/api/rpc/scrapeUrl"), 0u);
  EXPECT_EQ(router.BodyLimit("GET", "/api/files/abc"), 0u);
  EXPECT_EQ(router.BodyLimit("POST", "/nowhere"), 0u);
}

}  // namespace
}  // namespace sela::net
