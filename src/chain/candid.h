// Candid (the Internet Computer's interface description language) binary
// encoding and decoding (dfinity/candid spec/Candid.md, "Binary Format";
// reference ic/PROTOCOL-NOTES.md §5).
//
// Types live in a TypeTable: primitives are negative opcodes, composites
// (opt, vec, record, variant, func, service) are table entries, recursive
// types are reserved first and defined later. Values are a generic tree
// (Value) in which records and variants carry field ids, never positions.
//
// Encode writes the type table in the order the IC's JavaScript agent does
// (post-order over fields sorted by id, recursive types first, structural
// duplicates merged), so our bytes equal agent-js's for the same types.
//
// Decode reads any message against its own wire type table, whatever order
// or extra fields and cases the sender used (the ledger and the Motoko file
// canister send their own tables), into Values; typed readers then pick
// fields by id and ignore the rest. Every dimension is bounded by
// DecodeLimits: table entries, arguments, nesting depth, number of values;
// byte and text lengths are bounded by the input. Text must be UTF-8.
//
// Thread-safety: values and free functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codec/leb128.h"
#include "codec/principal.h"
#include "core/status.h"

namespace sela::chain::candid {

using codec::Int128;
using codec::Uint128;

// idl_hash(name): the field id of a record field or variant case.
uint32_t FieldId(std::string_view name);

enum class Prim : int8_t {
  kNull = -1, kBool = -2, kNat = -3, kInt = -4, kNat8 = -5, kNat16 = -6, kNat32 = -7, kNat64 = -8,
  kInt8 = -9, kInt16 = -10, kInt32 = -11, kInt64 = -12, kFloat32 = -13, kFloat64 = -14, kText = -15,
  kReserved = -16, kEmpty = -17, kPrincipal = -24,
};

// A primitive (negative code) or a TypeTable index.
struct TypeRef {
  int32_t code = static_cast<int32_t>(Prim::kNull);
  static TypeRef Of(Prim p) { return {static_cast<int32_t>(p)}; }
  bool is_prim() const { return code < 0; }
  Prim prim() const { return static_cast<Prim>(code); }
  friend bool operator==(TypeRef, TypeRef) = default;
};

enum class Composite : int8_t { kOpt = -18, kVec = -19, kRecord = -20, kVariant = -21, kFunc = -22, kService = -23 };

struct Field {
  uint32_t id = 0;
  TypeRef type;
};

struct TypeEntry {
  Composite kind = Composite::kOpt;
  TypeRef inner;                                        // opt, vec
  std::vector<Field> fields;                            // record, variant: ids strictly increasing
  std::vector<TypeRef> args, rets;                      // func
  std::vector<uint8_t> annotations;                     // func: 1 query, 2 oneway, 3 composite_query
  std::vector<std::pair<std::string, TypeRef>> methods;  // service: names increasing, func types
};

class TypeTable {
 public:
  TypeRef Opt(TypeRef inner);
  TypeRef Vec(TypeRef inner);
  TypeRef Blob() { return Vec(TypeRef::Of(Prim::kNat8)); }
  // Named fields; they are sorted by id here.
  TypeRef Record(std::vector<std::pair<std::string_view, TypeRef>> fields);
  TypeRef Tuple(std::vector<TypeRef> elements);  // Record with ids 0, 1, ...
  TypeRef Variant(std::vector<std::pair<std::string_view, TypeRef>> cases);
  TypeRef Func(std::vector<TypeRef> args, std::vector<TypeRef> rets, std::vector<uint8_t> annotations);
  // Recursive types: Reserve a slot, use it inside other types, Define it.
  TypeRef Reserve();
  void Define(TypeRef slot, TypeRef definition);  // The slot becomes a copy of definition's entry.

  // Raw access (decoder).
  TypeRef Add(TypeEntry entry, bool recursive = false);
  const TypeEntry& at(TypeRef t) const { return entries_[static_cast<size_t>(t.code)]; }
  bool recursive(TypeRef t) const { return recursive_[static_cast<size_t>(t.code)]; }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<TypeEntry> entries_;
  std::vector<bool> recursive_;
};

struct Value {
  enum class Kind : uint8_t {
    kNull, kBool, kNat, kInt, kNat8, kNat16, kNat32, kNat64, kInt8, kInt16, kInt32, kInt64,
    kFloat32, kFloat64, kText, kReserved, kPrincipal, kOpt, kVec, kBlob, kRecord, kVariant, kFunc, kService,
  };
  Kind kind = Kind::kNull;
  Uint128 nat = 0;        // kBool (0/1), kNat, kNatN
  Int128 integer = 0;     // kInt, kIntN
  double real = 0;        // kFloat32/64
  std::string bytes;      // kText, kPrincipal, kBlob (vec nat8), kFunc/kService: the principal
  std::string method;     // kFunc
  std::vector<Value> items;    // kOpt (0 or 1), kVec, kRecord and kVariant values
  std::vector<uint32_t> ids;   // kRecord: ids parallel to items; kVariant: ids[0]

  static Value Null() { return {}; }
  static Value Bool(bool b);
  static Value Nat(Uint128 n);
  static Value Nat8(uint8_t n);
  static Value Nat64(uint64_t n);
  static Value Int(Int128 i);
  static Value Text(std::string s);
  static Value Principal(const codec::Principal& p);
  static Value Blob(std::string bytes);
  static Value None();
  static Value Some(Value v);
  static Value Vec(std::vector<Value> items);
  static Value Record(std::vector<std::pair<std::string_view, Value>> fields);
  static Value Tuple(std::vector<Value> elements);
  static Value Variant(std::string_view name, Value v);
  static Value Func(const codec::Principal& service, std::string method);

  // Record field by name (nullptr when absent or not a record).
  const Value* Field(std::string_view name) const;
  const Value* FieldById(uint32_t id) const;
  // Variant: whether the case is `name`, and its value.
  bool IsCase(std::string_view name) const { return kind == Kind::kVariant && ids[0] == FieldId(name); }
};

// Typed reads with clear errors; `what` names the field in messages.
Result<Uint128> AsNat(const Value* v, std::string_view what);  // nat, nat8..nat64
Result<uint64_t> AsNat64(const Value* v, std::string_view what);  // any nat that fits 64 bits
Result<Int128> AsInt(const Value* v, std::string_view what);
Result<bool> AsBool(const Value* v, std::string_view what);
Result<std::string_view> AsText(const Value* v, std::string_view what);
Result<std::string_view> AsBlob(const Value* v, std::string_view what);  // vec nat8
Result<codec::Principal> AsPrincipal(const Value* v, std::string_view what);
// opt T: the inner value or nullptr for none (and for a missing field).
Result<const Value*> AsOpt(const Value* v, std::string_view what);

Result<std::string> Encode(const TypeTable& table, std::span<const TypeRef> types, std::span<const Value> values);

struct DecodeLimits {
  size_t bytes_max = 4 << 20;    // A query reply is at most 3 MiB.
  size_t table_entries_max = 512;
  size_t fields_max = 1024;      // Of one record, variant or function.
  size_t args_max = 64;
  size_t depth_max = 64;
  size_t values_max = 200'000;   // Decoded values in the whole message (blob bytes do not count).
};

Result<std::vector<Value>> Decode(std::string_view bytes, const DecodeLimits& limits = {});

bool IsUtf8(std::string_view text);

}  // namespace sela::chain::candid
