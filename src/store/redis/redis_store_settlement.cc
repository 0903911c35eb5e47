// The settlement journal on Redis (store.h "Settlement on the chain";
// settlement_types.h): NOT IMPLEMENTED YET. Every operation answers
// Unavailable "<Op>: not implemented on the Redis backend yet", so a server
// with REDIS_URL and BLOCKCHAIN_ENABLED cannot settle; the contract tests
// that need it are listed in redis_contract_skips.cc.
#include "store/redis/redis_store.h"
#include "store/redis/redis_store_impl.h"

namespace sela::store {

void RedisStore::CreateSettlements(const SettlementBatch&, Callback<SettlementBatchResult> done) {
  NotYet(std::move(done), "CreateSettlements");
}
void RedisStore::ListDueSettlements(int64_t, uint32_t, Callback<std::vector<SettlementRecord>> done) {
  NotYet(std::move(done), "ListDueSettlements");
}
void RedisStore::UpdateSettlement(const SettlementRecord&, Callback<SettlementRecord> done) {
  NotYet(std::move(done), "UpdateSettlement");
}
void RedisStore::GetSettlement(const std::string&, Callback<std::optional<SettlementRecord>> done) {
  NotYet(std::move(done), "GetSettlement");
}
void RedisStore::ListSettlements(const SettlementQuery&, Callback<std::vector<SettlementRecord>> done) {
  NotYet(std::move(done), "ListSettlements");
}
void RedisStore::GetSettlementSummary(Callback<SettlementSummary> done) {
  NotYet(std::move(done), "GetSettlementSummary");
}
void RedisStore::GetSettledTotal(const std::string&, Callback<SettledTotal> done) {
  NotYet(std::move(done), "GetSettledTotal");
}
void RedisStore::ListSettledTotals(Callback<std::vector<SettledTotal>> done) {
  NotYet(std::move(done), "ListSettledTotals");
}

}  // namespace sela::store
