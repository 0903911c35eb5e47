// The /api/files route table and what it shows (the routes themselves run
// end to end in tests/e2e/test_files.py).
#include "api/file_routes.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "api/blob_download.h"

namespace sela::api {
namespace {

TEST(FileRouteTable, IsTheTableInTheDocument) {
  std::ifstream in(SELA_FILES_DOC);
  std::stringstream doc;
  doc << in.rdbuf();
  ASSERT_FALSE(doc.str().empty()) << "cannot read " << SELA_FILES_DOC;
  const std::string table = RouteTableMarkdown(FileRouteTable());
  EXPECT_NE(doc.str().find(table), std::string::npos) << "docs/FILES.md must contain this table:\n" << table;
}

TEST(FileRouteTable, ListsF1ToF7OnceEachUnderApiFilesForPrincipals) {
  std::set<std::string> ids;
  for (const auto& route : FileRouteTable()) {
    EXPECT_TRUE(ids.insert(std::string(route.info.id)).second) << route.info.id;
    EXPECT_TRUE(route.info.path.starts_with("/api/files")) << route.info.path;
    EXPECT_EQ(route.info.auth, RestAuth::kPrincipalCompat) << route.info.id;
    EXPECT_NE(route.handler, nullptr) << route.info.id;
  }
  EXPECT_EQ(ids, (std::set<std::string>{"F1", "F2", "F3", "F4", "F5", "F6", "F7"}));
}

TEST(FileJson, IsTheOriginalsFileMetadataWithoutItsServerPath) {
  store::FileRecord f;
  f.file_id = "file_1_ab";
  f.owner = "node-a";
  f.job_id = "job_1_0";
  f.name = "r.json";
  f.content_type = "application/json";
  f.size = 10;
  f.chunk_bytes = 4;
  f.created_ms = 5;
  f.updated_ms = 6;
  f.expires_ms = 7;
  EXPECT_EQ(FileJson(f),
            R"({"id":"file_1_ab","name":"r.json","content_type":"application/json","size":10,"created_at":5,)"
            R"("updated_at":6,"user_principal_id":"node-a","job_id":"job_1_0","state":"uploading",)"
            R"("received_bytes":0,"chunk_size":4,"expires_at":7})");
  f.state = store::FileState::kComplete;
  f.sha256 = std::string(64, 'a');
  f.chunk_bytes = 0;
  const std::string complete = FileJson(f);
  EXPECT_NE(complete.find(R"("hash":")" + f.sha256 + "\""), std::string::npos) << complete;
  EXPECT_EQ(complete.find("expires_at"), std::string::npos);
  EXPECT_EQ(complete.find("file_path"), std::string::npos);
}

TEST(ContentDisposition, KeepsPlainNamesAsTheOriginalAndEscapesTheRest) {
  EXPECT_EQ(ContentDisposition("scrape_result_job_1_0.json"), "attachment; filename=\"scrape_result_job_1_0.json\"");
  EXPECT_EQ(ContentDisposition("résumé v2.pdf"),
            "attachment; filename=\"r__sum__ v2.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20v2.pdf");
  EXPECT_EQ(ContentDisposition("a\"b\\c"), "attachment; filename=\"a_b_c\"; filename*=UTF-8''a%22b%5Cc");
}

}  // namespace
}  // namespace sela::api
