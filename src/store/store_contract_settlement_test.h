// The settlement journal's contract fixture (store_contract_settlement_test.cc);
// each backend's test file instantiates it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/store_contract_ledger_test.h"

namespace sela::store::testing {

class SettlementContractTest : public LedgerContractTest {
 protected:
  Result<SettlementBatchResult> Batch(const std::string& run, const std::string& after, int64_t now, uint32_t limit) {
    return Call<Result<SettlementBatchResult>>([&](auto done) {
      store().CreateSettlements({.run_id = run, .after_principal = after, .now_ms = now, .limit = limit}, done);
    });
  }
  Result<std::vector<SettlementRecord>> Due(int64_t now, uint32_t limit = 100) {
    return Call<Result<std::vector<SettlementRecord>>>([&](auto done) { store().ListDueSettlements(now, limit, done); });
  }
  Result<SettlementRecord> Update(const SettlementRecord& r) {
    return Call<Result<SettlementRecord>>([&](auto done) { store().UpdateSettlement(r, done); });
  }
  std::optional<SettlementRecord> Get(const std::string& id) {
    auto r = Call<Result<std::optional<SettlementRecord>>>([&](auto done) { store().GetSettlement(id, done); });
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r.has_value() ? *r : std::nullopt;
  }
  std::vector<SettlementRecord> List(SettlementQuery q) {
    auto r = Call<Result<std::vector<SettlementRecord>>>([&](auto done) { store().ListSettlements(q, done); });
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r.value_or(std::vector<SettlementRecord>{});
  }
  SettlementSummary Summary() {
    auto r = Call<Result<SettlementSummary>>([&](auto done) { store().GetSettlementSummary(done); });
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r.value_or(SettlementSummary{});
  }
  SettledTotal Total(const std::string& p) {
    auto r = Call<Result<SettledTotal>>([&](auto done) { store().GetSettledTotal(p, done); });
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r.value_or(SettledTotal{});
  }
  Result<std::vector<SettledTotal>> TotalsOf(std::vector<std::string> principals) {
    return Call<Result<std::vector<SettledTotal>>>(
        [&](auto done) { store().ListSettledTotalsOf(std::move(principals), done); });
  }
  std::vector<SettledTotal> Totals() {
    auto r = Call<Result<std::vector<SettledTotal>>>([&](auto done) { store().ListSettledTotals(done); });
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r.value_or(std::vector<SettledTotal>{});
  }
};

}  // namespace sela::store::testing
