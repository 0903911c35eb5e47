// RedisStore: node identity (protocol v2 sign-in), paging through every
// node and the expiry of one-time records (see store.h; the scripts are in
// scripts.cc and scripts_files.cc).
#include <utility>

#include "store/redis/records.h"
#include "store/redis/redis_store.h"
#include "store/redis/redis_store_impl.h"

namespace sela::store {

using redis::Command;
using redis::Script;

void RedisStore::RegisterSignedNode(const std::string& principal, const std::string& client_id, int64_t now_ms,
                                    Callback<NodeRecord> done) {
  RegisterNodeAs(principal, client_id, now_ms, true, std::move(done));
}

void RedisStore::ListNodesPage(int64_t after_numeric_id, uint32_t limit, Callback<std::vector<NodeRecord>> done) {
  OnLoop([this, after_numeric_id, limit, done = std::move(done)]() mutable {
    if (limit == 0 || limit > options_.nodes_per_page_max) {
      return Answer(std::move(done), InvalidArgument("page limit " + std::to_string(limit) + " is outside 1.." +
                                                     std::to_string(options_.nodes_per_page_max)));
    }
    Command c = ScriptCall(Script::kNodesPage, 1);
    c.Arg(keys_.NodesAll()).Arg(keys_.nodes() + "node:").Int(after_numeric_id).Uint(limit);
    Send<std::vector<NodeRecord>>(std::move(done), c.Finish(), Kind::kScript, "ListNodesPage",
                                  [](const redisReply* r) -> Result<std::vector<NodeRecord>> {
                                    const redisReply* list = redis::Element(r, 1);
                                    if (!redis::IsArray(list) || list->elements % 2 != 0) {
                                      return Err(Internal("ListNodesPage: malformed page"));
                                    }
                                    std::vector<NodeRecord> nodes;
                                    for (size_t i = 0; i + 1 < list->elements; i += 2) {
                                      ASSIGN_OR_RETURN(std::optional<NodeRecord> node,
                                                       redis::DecodeNode(list->element[i + 1]));
                                      if (node) nodes.push_back(std::move(*node));
                                    }
                                    return nodes;
                                  });
  });
}

void RedisStore::ExpireNodeRecords(int64_t disconnected_before_ms, uint32_t limit, Callback<uint32_t> done) {
  OnLoop([this, disconnected_before_ms, limit, done = std::move(done)]() mutable {
    if (Status st = ValidateNowMs(disconnected_before_ms); !st.ok()) return Answer(std::move(done), std::move(st));
    if (limit == 0) return Fill(NewSlot(), [done = std::move(done)] { done(0u); });
    Command c = ScriptCall(Script::kExpireNodes, 4);
    c.Arg(keys_.NodesExpirable()).Arg(keys_.NodesAll()).Arg(keys_.NodesActive()).Arg(keys_.Referrals());
    c.Arg(keys_.nodes()).Int(disconnected_before_ms).Uint(limit);
    Send<uint32_t>(std::move(done), c.Finish(), Kind::kScript, "ExpireNodeRecords",
                   [](const redisReply* r) -> Result<uint32_t> {
                     const auto n = redis::ToInt(redis::Element(r, 1));
                     if (!n || *n < 0) return Err(Internal("ExpireNodeRecords: malformed reply"));
                     return static_cast<uint32_t>(*n);
                   });
  });
}

}  // namespace sela::store
