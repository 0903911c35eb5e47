#include "chain/icrc1_types.h"

#include "chain/icrc1_internal.h"

namespace sela::chain::icrc1 {
namespace internal {

using candid::Prim;
using candid::TypeRef;
using candid::Value;

const LedgerTypes& Types() {
  static const LedgerTypes types;
  return types;
}

std::string EncodeOne(TypeRef type, Value value) {
  const TypeRef types[] = {type};
  const Value values[] = {std::move(value)};
  // Our own values always match our own types: a failure is a bug.
  Result<std::string> out = candid::Encode(Types().t, types, values);
  if (!out.has_value()) std::abort();
  return std::move(out).value();
}

Result<Value> DecodeOne(std::string_view bytes) {
  ASSIGN_OR_RETURN(std::vector<Value> values, candid::Decode(bytes));
  if (values.empty()) return Err(InvalidArgument("candid: expected a value, got none"));
  return std::move(values[0]);  // Extra trailing values are allowed by Candid's subtyping.
}

LedgerTypes::LedgerTypes() {
  const TypeRef nat = TypeRef::Of(Prim::kNat);
  const TypeRef text = TypeRef::Of(Prim::kText);
  const TypeRef blob = t.Blob();
  const TypeRef opt_blob = t.Opt(blob);
  account = t.Record({{"owner", TypeRef::Of(Prim::kPrincipal)}, {"subaccount", opt_blob}});
  transfer_arg = t.Record({{"to", account}, {"fee", t.Opt(nat)}, {"memo", opt_blob}, {"from_subaccount", opt_blob},
                           {"created_at_time", t.Opt(TypeRef::Of(Prim::kNat64))}, {"amount", nat}});
  const TypeRef error = t.Variant({
      {"GenericError", t.Record({{"message", text}, {"error_code", nat}})},
      {"TemporarilyUnavailable", TypeRef::Of(Prim::kNull)},
      {"BadBurn", t.Record({{"min_burn_amount", nat}})},
      {"Duplicate", t.Record({{"duplicate_of", nat}})},
      {"BadFee", t.Record({{"expected_fee", nat}})},
      {"CreatedInFuture", t.Record({{"ledger_time", TypeRef::Of(Prim::kNat64)}})},
      {"TooOld", TypeRef::Of(Prim::kNull)},
      {"InsufficientFunds", t.Record({{"balance", nat}})},
  });
  transfer_result = t.Variant({{"Ok", nat}, {"Err", error}});
  opt_account = t.Opt(account);
  standards = t.Vec(t.Record({{"name", text}, {"url", text}}));
  get_blocks_args = t.Vec(t.Record({{"start", nat}, {"length", nat}}));
  value = t.Reserve();
  t.Define(value, t.Variant({{"Blob", blob}, {"Text", text}, {"Nat", nat}, {"Int", TypeRef::Of(Prim::kInt)},
                              {"Array", t.Vec(value)}, {"Map", t.Vec(t.Tuple({text, value}))}}));
  get_blocks_result = t.Reserve();
  const TypeRef callback = t.Func({get_blocks_args}, {get_blocks_result}, {1});
  t.Define(get_blocks_result,
           t.Record({{"log_length", nat},
                     {"blocks", t.Vec(t.Record({{"id", nat}, {"block", value}}))},
                     {"archived_blocks", t.Vec(t.Record({{"args", get_blocks_args}, {"callback", callback}}))}}));
}

}  // namespace internal

namespace {

using candid::Prim;
using candid::TypeRef;
using candid::Value;
using internal::DecodeOne;
using internal::EncodeOne;
using internal::Types;

Value OptBlob(const std::optional<std::string>& b) { return b ? Value::Some(Value::Blob(*b)) : Value::None(); }

Result<std::optional<std::string>> ReadOptBlob(const Value& record, std::string_view name) {
  ASSIGN_OR_RETURN(const Value* inner, candid::AsOpt(record.Field(name), name));
  if (inner == nullptr) return std::optional<std::string>();
  ASSIGN_OR_RETURN(const std::string_view b, candid::AsBlob(inner, name));
  return std::optional<std::string>(std::string(b));
}

Value AccountValue(const Account& a) {
  return Value::Record({{"owner", Value::Principal(a.owner)}, {"subaccount", OptBlob(a.subaccount)}});
}

Result<Account> ReadAccount(const Value* v) {
  if (v == nullptr || v->kind != Value::Kind::kRecord) return Err(InvalidArgument("candid: account is not a record"));
  Account a;
  ASSIGN_OR_RETURN(a.owner, candid::AsPrincipal(v->Field("owner"), "owner"));
  ASSIGN_OR_RETURN(a.subaccount, ReadOptBlob(*v, "subaccount"));
  return a;
}

Result<TransferResult> ReadNumber(const Value& body, std::string_view field, TransferResult& r) {
  ASSIGN_OR_RETURN(r.error.number, candid::AsNat(body.Field(field), field));
  return r;
}

}  // namespace

std::string_view KindName(TransferError::Kind kind) {
  static constexpr std::string_view kNames[] = {"GenericError", "TemporarilyUnavailable", "BadBurn", "Duplicate",
                                                "BadFee", "CreatedInFuture", "TooOld", "InsufficientFunds",
                                                "Unknown"};
  return kNames[static_cast<size_t>(kind)];
}

std::string EncodeTransferArg(const TransferArg& a) {
  return EncodeOne(Types().transfer_arg,
                   Value::Record({{"to", AccountValue(a.to)},
                                  {"fee", a.fee ? Value::Some(Value::Nat(*a.fee)) : Value::None()},
                                  {"memo", OptBlob(a.memo)},
                                  {"from_subaccount", OptBlob(a.from_subaccount)},
                                  {"created_at_time", a.created_at_time ? Value::Some(Value::Nat64(*a.created_at_time))
                                                                        : Value::None()},
                                  {"amount", Value::Nat(a.amount)}}));
}

Result<TransferArg> DecodeTransferArg(std::string_view candid) {
  ASSIGN_OR_RETURN(const Value v, DecodeOne(candid));
  TransferArg a;
  ASSIGN_OR_RETURN(a.to, ReadAccount(v.Field("to")));
  ASSIGN_OR_RETURN(const Value* fee, candid::AsOpt(v.Field("fee"), "fee"));
  if (fee != nullptr) {
    ASSIGN_OR_RETURN(a.fee, candid::AsNat(fee, "fee"));
  }
  ASSIGN_OR_RETURN(a.memo, ReadOptBlob(v, "memo"));
  ASSIGN_OR_RETURN(a.from_subaccount, ReadOptBlob(v, "from_subaccount"));
  ASSIGN_OR_RETURN(const Value* at, candid::AsOpt(v.Field("created_at_time"), "created_at_time"));
  if (at != nullptr) {
    ASSIGN_OR_RETURN(a.created_at_time, candid::AsNat64(at, "created_at_time"));
  }
  ASSIGN_OR_RETURN(a.amount, candid::AsNat(v.Field("amount"), "amount"));
  return a;
}

std::string EncodeTransferResult(const TransferResult& r) {
  if (r.ok) return EncodeOne(Types().transfer_result, Value::Variant("Ok", Value::Nat(r.block_index)));
  using K = TransferError::Kind;
  const TransferError& e = r.error;
  Value inner;
  switch (e.kind) {
    case K::kGenericError:
      inner = Value::Record({{"message", Value::Text(e.message)}, {"error_code", Value::Nat(e.number)}});
      break;
    case K::kBadBurn: inner = Value::Record({{"min_burn_amount", Value::Nat(e.number)}}); break;
    case K::kDuplicate: inner = Value::Record({{"duplicate_of", Value::Nat(e.number)}}); break;
    case K::kBadFee: inner = Value::Record({{"expected_fee", Value::Nat(e.number)}}); break;
    case K::kCreatedInFuture: inner = Value::Record({{"ledger_time", Value::Nat64(e.ledger_time_ns)}}); break;
    case K::kInsufficientFunds: inner = Value::Record({{"balance", Value::Nat(e.number)}}); break;
    default: break;  // TemporarilyUnavailable, TooOld: null.
  }
  return EncodeOne(Types().transfer_result, Value::Variant("Err", Value::Variant(KindName(e.kind), std::move(inner))));
}

Result<TransferResult> DecodeTransferResult(std::string_view candid) {
  ASSIGN_OR_RETURN(const Value v, DecodeOne(candid));
  if (v.kind != Value::Kind::kVariant) return Err(InvalidArgument("candid: transfer result is not a variant"));
  TransferResult r;
  if (v.IsCase("Ok")) {
    r.ok = true;
    ASSIGN_OR_RETURN(r.block_index, candid::AsNat(&v.items[0], "Ok"));
    return r;
  }
  if (!v.IsCase("Err") || v.items[0].kind != Value::Kind::kVariant) {
    return Err(InvalidArgument("candid: transfer result is neither Ok nor Err"));
  }
  const Value& err = v.items[0];
  const Value& body = err.items[0];
  using K = TransferError::Kind;
  TransferError& e = r.error;
  e.kind = K::kUnknown;
  e.unknown_case = err.ids[0];
  for (int k = 0; k < static_cast<int>(K::kUnknown); ++k) {
    if (err.IsCase(KindName(static_cast<K>(k)))) e.kind = static_cast<K>(k);
  }
  switch (e.kind) {
    case K::kGenericError: {
      ASSIGN_OR_RETURN(const std::string_view message, candid::AsText(body.Field("message"), "message"));
      e.message = std::string(message.substr(0, 1024));
      return ReadNumber(body, "error_code", r);
    }
    case K::kBadBurn: return ReadNumber(body, "min_burn_amount", r);
    case K::kDuplicate: return ReadNumber(body, "duplicate_of", r);
    case K::kBadFee: return ReadNumber(body, "expected_fee", r);
    case K::kInsufficientFunds: return ReadNumber(body, "balance", r);
    case K::kCreatedInFuture: {
      ASSIGN_OR_RETURN(e.ledger_time_ns, candid::AsNat64(body.Field("ledger_time"), "ledger_time"));
      return r;
    }
    default: return r;
  }
}

std::string EncodeAccount(const Account& account) { return EncodeOne(Types().account, AccountValue(account)); }

Result<Account> DecodeAccount(std::string_view candid) {
  ASSIGN_OR_RETURN(const Value v, DecodeOne(candid));
  return ReadAccount(&v);
}

std::string EncodeNat(Uint128 value) { return EncodeOne(TypeRef::Of(Prim::kNat), Value::Nat(value)); }

Result<Uint128> DecodeNat(std::string_view candid) {
  ASSIGN_OR_RETURN(const Value v, DecodeOne(candid));
  return candid::AsNat(&v, "reply");
}

std::string EncodeEmptyArgs() { return std::string("DIDL\x00\x00", 6); }

std::string EncodeOptAccount(const std::optional<Account>& account) {
  return EncodeOne(Types().opt_account, account ? Value::Some(AccountValue(*account)) : Value::None());
}

Result<std::optional<Account>> DecodeOptAccount(std::string_view candid) {
  ASSIGN_OR_RETURN(const Value v, DecodeOne(candid));
  ASSIGN_OR_RETURN(const Value* inner, candid::AsOpt(&v, "minting account"));
  if (inner == nullptr) return std::optional<Account>();
  ASSIGN_OR_RETURN(Account a, ReadAccount(inner));
  return std::optional<Account>(std::move(a));
}

std::string EncodeStandards(const std::vector<Standard>& standards) {
  std::vector<Value> items;
  for (const Standard& s : standards) {
    items.push_back(Value::Record({{"name", Value::Text(s.name)}, {"url", Value::Text(s.url)}}));
  }
  return EncodeOne(Types().standards, Value::Vec(std::move(items)));
}

Result<std::vector<Standard>> DecodeStandards(std::string_view candid) {
  ASSIGN_OR_RETURN(const Value v, DecodeOne(candid));
  if (v.kind != Value::Kind::kVec) return Err(InvalidArgument("candid: standards are not a vec"));
  std::vector<Standard> out;
  for (const Value& item : v.items) {
    ASSIGN_OR_RETURN(const std::string_view name, candid::AsText(item.Field("name"), "name"));
    ASSIGN_OR_RETURN(const std::string_view url, candid::AsText(item.Field("url"), "url"));
    out.push_back({std::string(name), std::string(url)});
  }
  return out;
}

}  // namespace sela::chain::icrc1
