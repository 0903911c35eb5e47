// ICRC-3 block log types (icrc1_types.h): get_blocks and mint blocks.
#include <cstdint>
#include <cstdlib>

#include "chain/icrc1_internal.h"
#include "chain/icrc1_types.h"

namespace sela::chain::icrc1 {
namespace {

using candid::Value;
using internal::DecodeOne;
using internal::EncodeOne;
using internal::Types;

Value RangesValue(const std::vector<BlockRange>& ranges) {
  std::vector<Value> items;
  for (const BlockRange& r : ranges) {
    items.push_back(Value::Record({{"start", Value::Nat(r.start)}, {"length", Value::Nat(r.length)}}));
  }
  return Value::Vec(std::move(items));
}

Result<std::vector<BlockRange>> ReadRanges(const Value& v) {
  if (v.kind != Value::Kind::kVec) return Err(InvalidArgument("candid: block ranges are not a vec"));
  std::vector<BlockRange> out;
  for (const Value& item : v.items) {
    BlockRange r;
    ASSIGN_OR_RETURN(r.start, candid::AsNat(item.Field("start"), "start"));
    ASSIGN_OR_RETURN(r.length, candid::AsNat(item.Field("length"), "length"));
    out.push_back(r);
  }
  return out;
}

// ICRC-3 Value helpers: Map lookup and typed leaves.
const Value* MapGet(const Value& v, std::string_view key) {
  if (!v.IsCase("Map") || v.items[0].kind != Value::Kind::kVec) return nullptr;
  for (const Value& entry : v.items[0].items) {
    const Value* k = entry.FieldById(0);
    if (k != nullptr && k->kind == Value::Kind::kText && k->bytes == key) return entry.FieldById(1);
  }
  return nullptr;
}

Result<Uint128> IcrcNat(const Value* v, std::string_view what) {
  if (v == nullptr || !v->IsCase("Nat")) return Err(InvalidArgument("ICRC-3 block: " + std::string(what) + " is not a Nat"));
  return candid::AsNat(&v->items[0], what);
}

Result<std::string_view> IcrcBlob(const Value* v, std::string_view what) {
  if (v == nullptr || !v->IsCase("Blob")) return Err(InvalidArgument("ICRC-3 block: " + std::string(what) + " is not a Blob"));
  return candid::AsBlob(&v->items[0], what);
}

Result<std::string_view> IcrcText(const Value* v, std::string_view what) {
  if (v == nullptr || !v->IsCase("Text")) return Err(InvalidArgument("ICRC-3 block: " + std::string(what) + " is not Text"));
  return candid::AsText(&v->items[0], what);
}

Value IcrcMap(std::vector<std::pair<std::string, Value>> entries) {
  std::vector<Value> items;
  for (auto& [key, value] : entries) items.push_back(Value::Tuple({Value::Text(key), std::move(value)}));
  return Value::Variant("Map", Value::Vec(std::move(items)));
}

Value IcrcNatValue(Uint128 n) { return Value::Variant("Nat", Value::Nat(n)); }
Value IcrcBlobValue(std::string b) { return Value::Variant("Blob", Value::Blob(std::move(b))); }

Result<Account> ReadIcrcAccount(const Value* v) {
  if (v == nullptr || !v->IsCase("Array") || v->items[0].kind != Value::Kind::kVec) {
    return Err(InvalidArgument("ICRC-3 block: account is not an Array"));
  }
  const std::vector<Value>& parts = v->items[0].items;
  if (parts.empty() || parts.size() > 2) return Err(InvalidArgument("ICRC-3 block: account has 1 or 2 parts"));
  Account a;
  ASSIGN_OR_RETURN(const std::string_view owner, IcrcBlob(&parts[0], "owner"));
  ASSIGN_OR_RETURN(a.owner, codec::Principal::FromBytes(owner));
  if (parts.size() == 2) {
    ASSIGN_OR_RETURN(const std::string_view sub, IcrcBlob(&parts[1], "subaccount"));
    a.subaccount = std::string(sub);
  }
  return a;
}

}  // namespace

std::string EncodeGetBlocksArgs(const std::vector<BlockRange>& ranges) {
  return EncodeOne(Types().get_blocks_args, RangesValue(ranges));
}

Result<std::vector<BlockRange>> DecodeGetBlocksArgs(std::string_view candid) {
  ASSIGN_OR_RETURN(const Value v, DecodeOne(candid));
  return ReadRanges(v);
}

Result<std::string> EncodeGetBlocksResult(const GetBlocksResult& r) {
  std::vector<Value> blocks;
  for (const Block& b : r.blocks) blocks.push_back(Value::Record({{"id", Value::Nat(b.id)}, {"block", b.block}}));
  std::vector<Value> archived;
  for (const ArchivedBlocks& a : r.archived_blocks) {
    archived.push_back(Value::Record({{"args", RangesValue(a.args)},
                                      {"callback", Value::Func(a.callback_canister, a.callback_method)}}));
  }
  const candid::TypeRef types[] = {Types().get_blocks_result};
  const Value values[] = {Value::Record({{"log_length", Value::Nat(r.log_length)},
                                         {"blocks", Value::Vec(std::move(blocks))},
                                         {"archived_blocks", Value::Vec(std::move(archived))}})};
  // Block values come from the caller and may not be ICRC-3 Values.
  return candid::Encode(Types().t, types, values);
}

Result<GetBlocksResult> DecodeGetBlocksResult(std::string_view candid) {
  ASSIGN_OR_RETURN(const Value v, DecodeOne(candid));
  GetBlocksResult r;
  ASSIGN_OR_RETURN(r.log_length, candid::AsNat(v.Field("log_length"), "log_length"));
  const Value* blocks = v.Field("blocks");
  const Value* archived = v.Field("archived_blocks");
  if (blocks == nullptr || blocks->kind != Value::Kind::kVec || archived == nullptr ||
      archived->kind != Value::Kind::kVec) {
    return Err(InvalidArgument("candid: get_blocks result lacks blocks or archived_blocks"));
  }
  for (const Value& b : blocks->items) {
    Block block;
    ASSIGN_OR_RETURN(block.id, candid::AsNat(b.Field("id"), "id"));
    const Value* body = b.Field("block");
    if (body == nullptr) return Err(InvalidArgument("candid: block without a body"));
    block.block = *body;
    r.blocks.push_back(std::move(block));
  }
  for (const Value& a : archived->items) {
    ArchivedBlocks entry;
    const Value* args = a.Field("args");
    const Value* callback = a.Field("callback");
    if (args == nullptr || callback == nullptr || callback->kind != Value::Kind::kFunc) {
      return Err(InvalidArgument("candid: archived blocks without args or callback"));
    }
    ASSIGN_OR_RETURN(entry.args, ReadRanges(*args));
    ASSIGN_OR_RETURN(entry.callback_canister, codec::Principal::FromBytes(callback->bytes));
    entry.callback_method = callback->method;
    r.archived_blocks.push_back(std::move(entry));
  }
  return r;
}

Result<std::optional<Mint>> MintOfBlock(const Value& block) {
  const Value* tx = MapGet(block, "tx");
  const Value* btype = MapGet(block, "btype");
  const Value* op = tx ? MapGet(*tx, "op") : nullptr;
  bool is_mint = false;
  if (btype != nullptr) {
    ASSIGN_OR_RETURN(const std::string_view b, IcrcText(btype, "btype"));
    is_mint = b == "1mint";
  } else if (op != nullptr) {
    ASSIGN_OR_RETURN(const std::string_view o, IcrcText(op, "op"));
    is_mint = o == "mint";
  }
  if (!is_mint) return std::optional<Mint>();
  if (tx == nullptr) return Err(InvalidArgument("ICRC-3 block: mint without tx"));
  Mint m;
  ASSIGN_OR_RETURN(m.to, ReadIcrcAccount(MapGet(*tx, "to")));
  ASSIGN_OR_RETURN(m.amount, IcrcNat(MapGet(*tx, "amt"), "amt"));
  if (const Value* memo = MapGet(*tx, "memo")) {
    ASSIGN_OR_RETURN(const std::string_view b, IcrcBlob(memo, "memo"));
    m.memo = std::string(b);
  }
  if (const Value* ts = MapGet(*tx, "ts")) {
    ASSIGN_OR_RETURN(const Uint128 t, IcrcNat(ts, "tx.ts"));
    m.created_at_time = static_cast<uint64_t>(t);
  }
  ASSIGN_OR_RETURN(const Uint128 ts, IcrcNat(MapGet(block, "ts"), "ts"));
  m.timestamp_ns = static_cast<uint64_t>(ts);
  return std::optional<Mint>(std::move(m));
}

Result<uint64_t> BlockTimestamp(const Value& block) {
  ASSIGN_OR_RETURN(const Uint128 ts, IcrcNat(MapGet(block, "ts"), "ts"));
  if (ts > UINT64_MAX) return Err(InvalidArgument("ICRC-3 block: ts is over 64 bits"));
  return static_cast<uint64_t>(ts);
}

candid::Value MintBlockValue(const Mint& mint, const std::string& parent_hash) {
  std::vector<Value> to = {IcrcBlobValue(std::string(mint.to.owner.bytes()))};
  if (mint.to.subaccount) to.push_back(IcrcBlobValue(*mint.to.subaccount));
  std::vector<std::pair<std::string, Value>> tx;
  tx.emplace_back("op", Value::Variant("Text", Value::Text("mint")));
  tx.emplace_back("amt", IcrcNatValue(mint.amount));
  tx.emplace_back("to", Value::Variant("Array", Value::Vec(std::move(to))));
  if (mint.memo) tx.emplace_back("memo", IcrcBlobValue(*mint.memo));
  if (mint.created_at_time) tx.emplace_back("ts", IcrcNatValue(*mint.created_at_time));
  std::vector<std::pair<std::string, Value>> top;
  if (!parent_hash.empty()) top.emplace_back("phash", IcrcBlobValue(parent_hash));
  top.emplace_back("ts", IcrcNatValue(mint.timestamp_ns));
  top.emplace_back("tx", IcrcMap(std::move(tx)));
  return IcrcMap(std::move(top));
}

}  // namespace sela::chain::icrc1
