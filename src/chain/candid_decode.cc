#include <cstring>

#include "chain/candid.h"

namespace sela::chain::candid {
namespace {

Status Bad(std::string what) { return InvalidArgument("candid decode: " + what); }

bool KnownPrim(int64_t code) { return (code >= -17 && code <= -1) || code == -24; }

class Reader {
 public:
  Reader(std::string_view in, const DecodeLimits& limits) : in_(in), limits_(limits) {}

  Result<std::vector<Value>> Message();

 private:
  Result<uint64_t> Leb() { return codec::ReadUleb128(in_); }
  Result<uint64_t> Count(size_t max, std::string_view what) {
    ASSIGN_OR_RETURN(const uint64_t n, Leb());
    if (n > max) return Err(Bad(std::string(what) + " count " + std::to_string(n) + " over the limit"));
    return n;
  }
  Result<TypeRef> Type();
  Result<std::string_view> Take(uint64_t n) {
    if (n > in_.size()) return Err(Bad("input ends early"));
    std::string_view out = in_.substr(0, n);
    in_.remove_prefix(n);
    return out;
  }
  Result<uint8_t> Byte() {
    ASSIGN_OR_RETURN(const std::string_view b, Take(1));
    return static_cast<uint8_t>(b[0]);
  }
  Status TypeTableEntries();
  Status Entry();
  Status CheckRefs();
  Result<std::vector<Field>> Fields();
  Result<Value> Read(TypeRef t, size_t depth);
  Result<Value> ReadPrim(Prim p);
  Result<Value> ReadComposite(const TypeEntry& e, size_t depth);
  Status CountValue() {
    if (++values_ > limits_.values_max) return Bad("more than " + std::to_string(limits_.values_max) + " values");
    return Status::Ok();
  }

  std::string_view in_;
  const DecodeLimits& limits_;
  TypeTable table_;
  size_t values_ = 0;
};

Result<TypeRef> Reader::Type() {
  ASSIGN_OR_RETURN(const int64_t code, codec::ReadSleb128(in_));
  if (code < 0 && !KnownPrim(code)) return Err(Bad("unknown type opcode " + std::to_string(code)));
  if (code >= static_cast<int64_t>(limits_.table_entries_max)) return Err(Bad("type index out of range"));
  return TypeRef{static_cast<int32_t>(code)};
}

Result<std::vector<Field>> Reader::Fields() {
  ASSIGN_OR_RETURN(const uint64_t n, Count(limits_.fields_max, "field"));
  std::vector<Field> fields;
  for (uint64_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(const uint64_t id, Leb());
    if (id > UINT32_MAX) return Err(Bad("field id over 32 bits"));
    if (!fields.empty() && id <= fields.back().id) return Err(Bad("field ids not strictly increasing"));
    ASSIGN_OR_RETURN(const TypeRef t, Type());
    fields.push_back({static_cast<uint32_t>(id), t});
  }
  return fields;
}

Status Reader::Entry() {
  ASSIGN_OR_RETURN(const int64_t op, codec::ReadSleb128(in_));
  TypeEntry e;
  switch (op) {
    case static_cast<int>(Composite::kOpt):
    case static_cast<int>(Composite::kVec): {
      e.kind = static_cast<Composite>(op);
      ASSIGN_OR_RETURN(e.inner, Type());
      break;
    }
    case static_cast<int>(Composite::kRecord):
    case static_cast<int>(Composite::kVariant): {
      e.kind = static_cast<Composite>(op);
      ASSIGN_OR_RETURN(e.fields, Fields());
      break;
    }
    case static_cast<int>(Composite::kFunc): {
      e.kind = Composite::kFunc;
      for (auto* list : {&e.args, &e.rets}) {
        ASSIGN_OR_RETURN(const uint64_t n, Count(limits_.fields_max, "function type"));
        for (uint64_t i = 0; i < n; ++i) {
          ASSIGN_OR_RETURN(const TypeRef t, Type());
          list->push_back(t);
        }
      }
      ASSIGN_OR_RETURN(const uint64_t n, Count(limits_.fields_max, "annotation"));
      ASSIGN_OR_RETURN(const std::string_view ann, Take(n));
      e.annotations.assign(ann.begin(), ann.end());
      break;
    }
    case static_cast<int>(Composite::kService): {
      e.kind = Composite::kService;
      ASSIGN_OR_RETURN(const uint64_t n, Count(limits_.fields_max, "method"));
      for (uint64_t i = 0; i < n; ++i) {
        ASSIGN_OR_RETURN(const uint64_t len, Leb());
        ASSIGN_OR_RETURN(const std::string_view name, Take(len));
        ASSIGN_OR_RETURN(const TypeRef t, Type());
        e.methods.emplace_back(std::string(name), t);
      }
      break;
    }
    default: return Bad("unknown type table opcode " + std::to_string(op));
  }
  table_.Add(std::move(e));
  return Status::Ok();
}

Status Reader::CheckRefs() {
  const auto size = static_cast<int32_t>(table_.size());
  auto ok = [&](TypeRef t) { return t.is_prim() || t.code < size; };
  for (size_t i = 0; i < table_.size(); ++i) {
    const TypeEntry& e = table_.at({static_cast<int32_t>(i)});
    bool good = e.kind == Composite::kOpt || e.kind == Composite::kVec ? ok(e.inner) : true;
    for (const Field& f : e.fields) good = good && ok(f.type);
    for (TypeRef t : e.args) good = good && ok(t);
    for (TypeRef t : e.rets) good = good && ok(t);
    for (const auto& m : e.methods) good = good && ok(m.second);
    if (!good) return Bad("type table refers past its end");
  }
  return Status::Ok();
}

Status Reader::TypeTableEntries() {
  ASSIGN_OR_RETURN(const uint64_t n, Count(limits_.table_entries_max, "type table"));
  for (uint64_t i = 0; i < n; ++i) RETURN_IF_ERROR(Entry());
  return CheckRefs();
}

uint64_t ReadFixed(std::string_view b) {
  uint64_t v = 0;
  for (size_t i = 0; i < b.size(); ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(b[i])) << (8 * i);
  return v;
}

Result<Value> Reader::ReadPrim(Prim p) {
  Value v;
  switch (p) {
    case Prim::kNull: return v;
    case Prim::kReserved: v.kind = Value::Kind::kReserved; return v;
    case Prim::kEmpty: return Err(Bad("a value of type empty"));
    case Prim::kBool: {
      ASSIGN_OR_RETURN(const uint8_t b, Byte());
      if (b > 1) return Err(Bad("bool is neither 0 nor 1"));
      return Value::Bool(b == 1);
    }
    case Prim::kNat: {
      ASSIGN_OR_RETURN(const Uint128 n, codec::ReadUleb128Wide(in_));
      return Value::Nat(n);
    }
    case Prim::kInt: {
      ASSIGN_OR_RETURN(const Int128 i, codec::ReadSleb128Wide(in_));
      return Value::Int(i);
    }
    case Prim::kNat8: case Prim::kNat16: case Prim::kNat32: case Prim::kNat64: {
      const int shift = static_cast<int>(Prim::kNat8) - static_cast<int>(p);
      ASSIGN_OR_RETURN(const std::string_view b, Take(size_t{1} << shift));
      v = Value::Nat(ReadFixed(b));
      v.kind = static_cast<Value::Kind>(static_cast<int>(Value::Kind::kNat8) + shift);
      return v;
    }
    case Prim::kInt8: case Prim::kInt16: case Prim::kInt32: case Prim::kInt64: {
      const int shift = static_cast<int>(Prim::kInt8) - static_cast<int>(p);
      const size_t bytes = size_t{1} << shift;
      ASSIGN_OR_RETURN(const std::string_view b, Take(bytes));
      uint64_t raw = ReadFixed(b);
      if (bytes < 8 && (raw >> (8 * bytes - 1)) != 0) raw |= ~uint64_t{0} << (8 * bytes);  // Sign-extend.
      v = Value::Int(static_cast<int64_t>(raw));
      v.kind = static_cast<Value::Kind>(static_cast<int>(Value::Kind::kInt8) + shift);
      return v;
    }
    case Prim::kFloat32: {
      ASSIGN_OR_RETURN(const std::string_view b, Take(4));
      const auto bits = static_cast<uint32_t>(ReadFixed(b));
      float f;
      std::memcpy(&f, &bits, 4);
      v.kind = Value::Kind::kFloat32;
      v.real = f;
      return v;
    }
    case Prim::kFloat64: {
      ASSIGN_OR_RETURN(const std::string_view b, Take(8));
      const uint64_t bits = ReadFixed(b);
      v.kind = Value::Kind::kFloat64;
      std::memcpy(&v.real, &bits, 8);
      return v;
    }
    case Prim::kText: {
      ASSIGN_OR_RETURN(const uint64_t n, Leb());
      ASSIGN_OR_RETURN(const std::string_view text, Take(n));
      if (!IsUtf8(text)) return Err(Bad("text is not UTF-8"));
      return Value::Text(std::string(text));
    }
    case Prim::kPrincipal: {
      ASSIGN_OR_RETURN(const uint8_t tag, Byte());
      if (tag != 1) return Err(Bad("opaque principal reference"));
      ASSIGN_OR_RETURN(const uint64_t n, Leb());
      if (n > codec::Principal::kMaxBytes) return Err(Bad("principal longer than 29 bytes"));
      ASSIGN_OR_RETURN(const std::string_view b, Take(n));
      v.kind = Value::Kind::kPrincipal;
      v.bytes = std::string(b);
      return v;
    }
  }
  return Err(Bad("unknown primitive"));
}

Result<Value> Reader::ReadComposite(const TypeEntry& e, size_t depth) {
  Value v;
  switch (e.kind) {
    case Composite::kOpt: {
      ASSIGN_OR_RETURN(const uint8_t tag, Byte());
      if (tag > 1) return Err(Bad("opt tag is neither 0 nor 1"));
      if (tag == 0) return Value::None();
      ASSIGN_OR_RETURN(Value inner, Read(e.inner, depth + 1));
      return Value::Some(std::move(inner));
    }
    case Composite::kVec: {
      ASSIGN_OR_RETURN(const uint64_t n, Leb());
      if (e.inner == TypeRef::Of(Prim::kNat8)) {
        ASSIGN_OR_RETURN(const std::string_view bytes, Take(n));
        return Value::Blob(std::string(bytes));
      }
      if (n > limits_.values_max - std::min(values_, limits_.values_max)) return Err(Bad("vec longer than the value limit"));
      v.kind = Value::Kind::kVec;
      for (uint64_t i = 0; i < n; ++i) {
        ASSIGN_OR_RETURN(Value item, Read(e.inner, depth + 1));
        v.items.push_back(std::move(item));
      }
      return v;
    }
    case Composite::kRecord:
      v.kind = Value::Kind::kRecord;
      for (const Field& f : e.fields) {
        ASSIGN_OR_RETURN(Value item, Read(f.type, depth + 1));
        v.ids.push_back(f.id);
        v.items.push_back(std::move(item));
      }
      return v;
    case Composite::kVariant: {
      ASSIGN_OR_RETURN(const uint64_t index, Leb());
      if (index >= e.fields.size()) return Err(Bad("variant index out of range"));
      ASSIGN_OR_RETURN(Value inner, Read(e.fields[index].type, depth + 1));
      v.kind = Value::Kind::kVariant;
      v.ids.push_back(e.fields[index].id);
      v.items.push_back(std::move(inner));
      return v;
    }
    case Composite::kFunc:
    case Composite::kService: {
      ASSIGN_OR_RETURN(const uint8_t tag, Byte());
      if (tag != 1) return Err(Bad("opaque function or service reference"));
      ASSIGN_OR_RETURN(const Value service, ReadPrim(Prim::kPrincipal));
      v.kind = e.kind == Composite::kFunc ? Value::Kind::kFunc : Value::Kind::kService;
      v.bytes = service.bytes;
      if (e.kind == Composite::kFunc) {
        ASSIGN_OR_RETURN(const Value method, ReadPrim(Prim::kText));
        v.method = method.bytes;
      }
      return v;
    }
  }
  return Err(Bad("unknown composite"));
}

Result<Value> Reader::Read(TypeRef t, size_t depth) {
  if (depth > limits_.depth_max) return Err(Bad("values nest deeper than " + std::to_string(limits_.depth_max)));
  RETURN_IF_ERROR(CountValue());
  if (t.is_prim()) return ReadPrim(t.prim());
  return ReadComposite(table_.at(t), depth);
}

Result<std::vector<Value>> Reader::Message() {
  ASSIGN_OR_RETURN(const std::string_view magic, Take(4));
  if (magic != "DIDL") return Err(Bad("no DIDL header"));
  RETURN_IF_ERROR(TypeTableEntries());
  ASSIGN_OR_RETURN(const uint64_t n, Count(limits_.args_max, "argument"));
  std::vector<TypeRef> types;
  for (uint64_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(const TypeRef t, Type());
    if (!t.is_prim() && t.code >= static_cast<int32_t>(table_.size())) return Err(Bad("argument type out of range"));
    types.push_back(t);
  }
  std::vector<Value> values;
  for (TypeRef t : types) {
    ASSIGN_OR_RETURN(Value v, Read(t, 0));
    values.push_back(std::move(v));
  }
  if (!in_.empty()) return Err(Bad(std::to_string(in_.size()) + " bytes left over"));
  return values;
}

}  // namespace

Result<std::vector<Value>> Decode(std::string_view bytes, const DecodeLimits& limits) {
  if (bytes.size() > limits.bytes_max) return Err(Bad("message larger than " + std::to_string(limits.bytes_max)));
  Reader reader(bytes, limits);
  return reader.Message();
}

}  // namespace sela::chain::candid
