#include <algorithm>

#include "chain/candid.h"

namespace sela::chain::candid {

uint32_t FieldId(std::string_view name) {
  uint32_t h = 0;
  for (char c : name) h = h * 223 + static_cast<uint8_t>(c);
  return h;
}

namespace {

std::vector<Field> SortedFields(std::vector<std::pair<std::string_view, TypeRef>> named) {
  std::vector<Field> fields;
  fields.reserve(named.size());
  for (const auto& [name, type] : named) fields.push_back({FieldId(name), type});
  std::sort(fields.begin(), fields.end(), [](const Field& a, const Field& b) { return a.id < b.id; });
  return fields;
}

}  // namespace

TypeRef TypeTable::Add(TypeEntry entry, bool recursive) {
  entries_.push_back(std::move(entry));
  recursive_.push_back(recursive);
  return {static_cast<int32_t>(entries_.size() - 1)};
}

TypeRef TypeTable::Opt(TypeRef inner) {
  TypeEntry e;
  e.kind = Composite::kOpt;
  e.inner = inner;
  return Add(std::move(e));
}

TypeRef TypeTable::Vec(TypeRef inner) {
  TypeEntry e;
  e.kind = Composite::kVec;
  e.inner = inner;
  return Add(std::move(e));
}

TypeRef TypeTable::Record(std::vector<std::pair<std::string_view, TypeRef>> fields) {
  TypeEntry e;
  e.kind = Composite::kRecord;
  e.fields = SortedFields(std::move(fields));
  return Add(std::move(e));
}

TypeRef TypeTable::Tuple(std::vector<TypeRef> elements) {
  TypeEntry e;
  e.kind = Composite::kRecord;
  for (size_t i = 0; i < elements.size(); ++i) e.fields.push_back({static_cast<uint32_t>(i), elements[i]});
  return Add(std::move(e));
}

TypeRef TypeTable::Variant(std::vector<std::pair<std::string_view, TypeRef>> cases) {
  TypeEntry e;
  e.kind = Composite::kVariant;
  e.fields = SortedFields(std::move(cases));
  return Add(std::move(e));
}

TypeRef TypeTable::Func(std::vector<TypeRef> args, std::vector<TypeRef> rets, std::vector<uint8_t> annotations) {
  TypeEntry e;
  e.kind = Composite::kFunc;
  e.args = std::move(args);
  e.rets = std::move(rets);
  e.annotations = std::move(annotations);
  return Add(std::move(e));
}

TypeRef TypeTable::Reserve() { return Add(TypeEntry(), true); }

void TypeTable::Define(TypeRef slot, TypeRef definition) {
  entries_[static_cast<size_t>(slot.code)] = entries_[static_cast<size_t>(definition.code)];
}

Value Value::Bool(bool b) {
  Value v;
  v.kind = Kind::kBool;
  v.nat = b ? 1 : 0;
  return v;
}

Value Value::Nat(Uint128 n) {
  Value v;
  v.kind = Kind::kNat;
  v.nat = n;
  return v;
}

Value Value::Nat8(uint8_t n) {
  Value v = Nat(n);
  v.kind = Kind::kNat8;
  return v;
}

Value Value::Nat64(uint64_t n) {
  Value v = Nat(n);
  v.kind = Kind::kNat64;
  return v;
}

Value Value::Int(Int128 i) {
  Value v;
  v.kind = Kind::kInt;
  v.integer = i;
  return v;
}

Value Value::Text(std::string s) {
  Value v;
  v.kind = Kind::kText;
  v.bytes = std::move(s);
  return v;
}

Value Value::Principal(const codec::Principal& p) {
  Value v;
  v.kind = Kind::kPrincipal;
  v.bytes = std::string(p.bytes());
  return v;
}

Value Value::Blob(std::string bytes) {
  Value v;
  v.kind = Kind::kBlob;
  v.bytes = std::move(bytes);
  return v;
}

Value Value::None() {
  Value v;
  v.kind = Kind::kOpt;
  return v;
}

Value Value::Some(Value inner) {
  Value v;
  v.kind = Kind::kOpt;
  v.items.push_back(std::move(inner));
  return v;
}

Value Value::Vec(std::vector<Value> items) {
  Value v;
  v.kind = Kind::kVec;
  v.items = std::move(items);
  return v;
}

Value Value::Record(std::vector<std::pair<std::string_view, Value>> fields) {
  Value v;
  v.kind = Kind::kRecord;
  for (auto& [name, value] : fields) {
    v.ids.push_back(FieldId(name));
    v.items.push_back(std::move(value));
  }
  return v;
}

Value Value::Tuple(std::vector<Value> elements) {
  Value v;
  v.kind = Kind::kRecord;
  for (size_t i = 0; i < elements.size(); ++i) v.ids.push_back(static_cast<uint32_t>(i));
  v.items = std::move(elements);
  return v;
}

Value Value::Variant(std::string_view name, Value inner) {
  Value v;
  v.kind = Kind::kVariant;
  v.ids.push_back(FieldId(name));
  v.items.push_back(std::move(inner));
  return v;
}

Value Value::Func(const codec::Principal& service, std::string method_name) {
  Value v;
  v.kind = Kind::kFunc;
  v.bytes = std::string(service.bytes());
  v.method = std::move(method_name);
  return v;
}

const Value* Value::FieldById(uint32_t id) const {
  if (kind != Kind::kRecord) return nullptr;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == id) return &items[i];
  }
  return nullptr;
}

const Value* Value::Field(std::string_view name) const { return FieldById(FieldId(name)); }

namespace {

Status Mismatch(std::string_view what, std::string_view expected) {
  return InvalidArgument("candid: " + std::string(what) + " is not " + std::string(expected));
}

bool IsNatKind(Value::Kind k) {
  return k == Value::Kind::kNat || k == Value::Kind::kNat8 || k == Value::Kind::kNat16 ||
         k == Value::Kind::kNat32 || k == Value::Kind::kNat64;
}

}  // namespace

Result<Uint128> AsNat(const Value* v, std::string_view what) {
  if (v == nullptr || !IsNatKind(v->kind)) return Err(Mismatch(what, "a nat"));
  return v->nat;
}

Result<uint64_t> AsNat64(const Value* v, std::string_view what) {
  ASSIGN_OR_RETURN(const Uint128 n, AsNat(v, what));
  if (n > UINT64_MAX) return Err(InvalidArgument("candid: " + std::string(what) + " exceeds 64 bits"));
  return static_cast<uint64_t>(n);
}

Result<Int128> AsInt(const Value* v, std::string_view what) {
  if (v == nullptr) return Err(Mismatch(what, "an int"));
  if (IsNatKind(v->kind)) return static_cast<Int128>(v->nat);  // nat <: int.
  switch (v->kind) {
    case Value::Kind::kInt:
    case Value::Kind::kInt8:
    case Value::Kind::kInt16:
    case Value::Kind::kInt32:
    case Value::Kind::kInt64: return v->integer;
    default: return Err(Mismatch(what, "an int"));
  }
}

Result<bool> AsBool(const Value* v, std::string_view what) {
  if (v == nullptr || v->kind != Value::Kind::kBool) return Err(Mismatch(what, "a bool"));
  return v->nat != 0;
}

Result<std::string_view> AsText(const Value* v, std::string_view what) {
  if (v == nullptr || v->kind != Value::Kind::kText) return Err(Mismatch(what, "text"));
  return std::string_view(v->bytes);
}

Result<std::string_view> AsBlob(const Value* v, std::string_view what) {
  if (v == nullptr) return Err(Mismatch(what, "a blob"));
  if (v->kind == Value::Kind::kVec && v->items.empty()) return std::string_view();
  if (v->kind != Value::Kind::kBlob) return Err(Mismatch(what, "a blob"));
  return std::string_view(v->bytes);
}

Result<codec::Principal> AsPrincipal(const Value* v, std::string_view what) {
  if (v == nullptr || v->kind != Value::Kind::kPrincipal) return Err(Mismatch(what, "a principal"));
  return codec::Principal::FromBytes(v->bytes);
}

Result<const Value*> AsOpt(const Value* v, std::string_view what) {
  if (v == nullptr || v->kind == Value::Kind::kNull || v->kind == Value::Kind::kReserved) {
    return static_cast<const Value*>(nullptr);
  }
  if (v->kind != Value::Kind::kOpt) return Err(Mismatch(what, "an opt"));
  return v->items.empty() ? nullptr : &v->items[0];
}

bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
    else { return false; }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace sela::chain::candid
