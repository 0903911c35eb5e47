// The decorator the failure-path tests rely on: it fails exactly what it is
// told to, applies nothing it fails, and keeps the store's callback order.
#include "testing/fault_injection_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_test_util.h"
#include "store/store_contract_test.h"

namespace sela::testing {
namespace {

class FaultInjectionStoreTest : public ::testing::Test {
 protected:
  FaultInjectionStoreTest() {
    inner_ = store::testing::OpenTestSqlite(dir_, posts_);
    faults_ = std::make_unique<FaultInjectionStore>(*inner_);
  }
  ~FaultInjectionStoreTest() override { Settle(); }

  void Settle() {
    inner_->Flush();
    posts_.RunAll();
  }
  // Registers a node through the decorator; its outcome lands in `codes_`
  // (kOk or the failure's code), tagged with the principal.
  void Register(const std::string& principal) {
    faults_->RegisterNode(principal, "1", 1'700'000'000'000, [this, principal](Result<store::NodeRecord> r) {
      codes_.emplace_back(principal, r ? Code::kOk : r.error().code());
    });
  }
  bool Exists(const std::string& principal) {
    bool found = false;
    inner_->GetNode(principal, [&found](Result<std::optional<store::NodeRecord>> r) { found = r && r->has_value(); });
    Settle();
    return found;
  }

  store::testing::TempDir dir_;
  store::testing::PostQueue posts_;
  std::unique_ptr<store::Store> inner_;
  std::unique_ptr<FaultInjectionStore> faults_;
  std::vector<std::pair<std::string, Code>> codes_;
};

TEST_F(FaultInjectionStoreTest, FailsTheNthOperationOnlyAndInIssueOrder) {
  faults_->FailNth(2, Unavailable("injected"));
  Register("a");
  Register("b");
  Register("c");
  Settle();
  EXPECT_EQ(codes_, (std::vector<std::pair<std::string, Code>>{
                        {"a", Code::kOk}, {"b", Code::kUnavailable}, {"c", Code::kOk}}));
  EXPECT_TRUE(Exists("a"));
  EXPECT_FALSE(Exists("b"));  // Nothing of a failed operation is applied.
  EXPECT_TRUE(Exists("c"));
  EXPECT_EQ(faults_->issued(StoreOp::kRegisterNode), 3u);
  EXPECT_EQ(faults_->refused(), 1u);
}

TEST_F(FaultInjectionStoreTest, FailsOperationsOfAKindAsManyTimesAsToldOrUntilHealed) {
  faults_->FailOp(StoreOp::kRegisterNode, Internal("injected"), 2);
  faults_->FailOp(StoreOp::kPing, Unavailable("injected"));
  for (const char* p : {"a", "b", "c"}) Register(p);
  std::vector<Code> pings;
  for (int i = 0; i < 2; ++i) faults_->Ping([&pings](Status st) { pings.push_back(st.code()); });
  Settle();
  EXPECT_EQ(codes_, (std::vector<std::pair<std::string, Code>>{
                        {"a", Code::kInternal}, {"b", Code::kInternal}, {"c", Code::kOk}}));
  EXPECT_EQ(pings, (std::vector<Code>{Code::kUnavailable, Code::kUnavailable}));
  faults_->Heal();
  faults_->Ping([&pings](Status st) { pings.push_back(st.code()); });
  Settle();
  EXPECT_EQ(pings.back(), Code::kOk);
}

}  // namespace
}  // namespace sela::testing
