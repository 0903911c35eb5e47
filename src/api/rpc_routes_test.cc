#include "api/rpc_routes.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace sela::api {
namespace {

TEST(RpcRouteTable, IsTheTableInTheDocument) {
  std::ifstream in(SELA_REST_RPC_DOC);
  std::stringstream doc;
  doc << in.rdbuf();
  ASSERT_FALSE(doc.str().empty()) << "cannot read " << SELA_REST_RPC_DOC;
  const std::string table = RouteTableMarkdown(RpcRouteTable());
  EXPECT_NE(doc.str().find(table), std::string::npos) << "docs/REST-RPC.md must contain this table:\n" << table;
}

TEST(RpcRouteTable, EveryRouteOfTheOriginalRouterIsListedOnce) {
  std::set<std::string> ids;
  for (const auto& route : RpcRouteTable()) {
    EXPECT_TRUE(ids.insert(std::string(route.info.id)).second) << route.info.id;
    EXPECT_TRUE(route.info.path.starts_with("/api/rpc/")) << route.info.path;
    // A served route has a handler; a listed-only one says why it is not served.
    EXPECT_NE(route.handler == nullptr, route.info.pending.empty()) << route.info.id;
  }
  for (int i = 1; i <= 30; ++i) EXPECT_TRUE(ids.contains("R" + std::to_string(i))) << "R" << i;
}

TEST(RpcRouteTable, SystemAndAdminRoutesNeedTheAdminToken) {
  for (const auto& route : RpcRouteTable()) {
    if (route.info.path.starts_with("/api/rpc/system/") || route.info.path.starts_with("/api/rpc/admin/")) {
      EXPECT_EQ(route.info.auth, RestAuth::kAdmin) << route.info.path;
    }
  }
}

TEST(JobJson, ListsTheOriginalFieldsInItsOrderAndOmitsWhatDoesNotApply) {
  store::JobRecord job;
  job.job_id = "job_1_0";
  job.client_uuid = "u";
  job.job_type = "HTML";
  job.target = "https://example.com";
  job.state = store::JobState::kPending;
  job.created_ms = job.assigned_ms = 5;
  EXPECT_EQ(JobJson(job),
            R"({"clientUUID":"u","storedID":"","jobType":"HTML","target":"https://example.com","state":"pending",)"
            R"("user_principal_id":"","reward":0,"jobID":"job_1_0","assignedAt":5,"completeAt":0,"job_views":0,)"
            R"("job_downloads":0,"attempts":0,"listed":false})");
  job.state = store::JobState::kCompleted;
  job.node_principal = "node-principal-secret";
  job.node_client_id = "1764100000123";
  job.reward_units = 14'820'000;
  job.price_cents = 340;
  job.objects_count = 20;
  job.file_size_kb = 2;
  job.result_hash = "ab";
  const std::string completed = JobJson(job);
  EXPECT_NE(completed.find(R"("storedID":"ab")"), std::string::npos) << completed;
  EXPECT_NE(completed.find(R"("reward":0.1482)"), std::string::npos) << completed;
  // Customers never see the node that ran the job (issue 11), in the field
  // clients parse.
  EXPECT_NE(completed.find(R"("user_principal_id":"")"), std::string::npos) << completed;
  EXPECT_EQ(completed.find("node-principal-secret"), std::string::npos) << completed;
  EXPECT_NE(completed.find(R"("price":3.4,"objectsCount":20,"fileSizeKB":2})"), std::string::npos) << completed;
  EXPECT_EQ(completed.find("error"), std::string::npos);
  EXPECT_EQ(completed.find("resultFileId"), std::string::npos);
  job.result_file_id = "file_1_a";
  job.listed = true;
  EXPECT_NE(JobJson(job).find(R"("listed":true,"resultFileId":"file_1_a")"), std::string::npos) << JobJson(job);
  job.result_file_id.clear();
  job.state = store::JobState::kFailed;
  job.error = "Job job_1_0 timed out after 1000ms";
  const std::string failed = JobJson(job);
  EXPECT_NE(failed.find(R"("error":"Job job_1_0 timed out after 1000ms")"), std::string::npos) << failed;
  EXPECT_EQ(failed.find("price"), std::string::npos);
}

}  // namespace
}  // namespace sela::api
