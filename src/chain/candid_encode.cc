#include <cstring>
#include <map>

#include "chain/candid.h"

namespace sela::chain::candid {
namespace {

using codec::AppendSleb128;
using codec::AppendUleb128;

Status Bad(std::string what) { return InvalidArgument("candid encode: " + what); }

// Writes the type table as agent-js does: a post-order walk from the
// argument types over fields in id order, recursive types numbered before
// their children, structurally equal entries written once.
class TableWriter {
 public:
  explicit TableWriter(const TypeTable& table)
      : table_(table), map_(table.size(), -1), visiting_(table.size(), false) {}

  Result<int32_t> Visit(TypeRef t) {
    if (t.is_prim()) return t.code;
    if (t.code >= static_cast<int32_t>(table_.size())) return Err(Bad("type index out of range"));
    const auto i = static_cast<size_t>(t.code);
    if (map_[i] >= 0) return map_[i];
    if (table_.recursive(t)) {
      const auto slot = static_cast<int32_t>(entries_.size());
      entries_.emplace_back();
      map_[i] = slot;
      ASSIGN_OR_RETURN(entries_[static_cast<size_t>(slot)], Serialize(table_.at(t)));
      return slot;
    }
    if (visiting_[i]) return Err(Bad("recursive type without TypeTable::Reserve"));
    visiting_[i] = true;
    ASSIGN_OR_RETURN(const std::string bytes, Serialize(table_.at(t)));
    visiting_[i] = false;
    const auto [it, inserted] = dedup_.emplace(bytes, static_cast<int32_t>(entries_.size()));
    if (inserted) entries_.push_back(bytes);
    map_[i] = it->second;
    return it->second;
  }

  std::string Table() const {
    std::string out;
    AppendUleb128(out, entries_.size());
    for (const std::string& e : entries_) out += e;
    return out;
  }

 private:
  Status Ref(TypeRef t, std::string& out) {
    ASSIGN_OR_RETURN(const int32_t code, Visit(t));
    AppendSleb128(out, code);
    return Status::Ok();
  }

  Result<std::string> Serialize(const TypeEntry& e) {
    std::string out;
    AppendSleb128(out, static_cast<int>(e.kind));
    switch (e.kind) {
      case Composite::kOpt:
      case Composite::kVec: RETURN_IF_ERROR(Ref(e.inner, out)); break;
      case Composite::kRecord:
      case Composite::kVariant:
        AppendUleb128(out, e.fields.size());
        for (const Field& f : e.fields) {
          AppendUleb128(out, f.id);
          RETURN_IF_ERROR(Ref(f.type, out));
        }
        break;
      case Composite::kFunc:
        AppendUleb128(out, e.args.size());
        for (TypeRef a : e.args) RETURN_IF_ERROR(Ref(a, out));
        AppendUleb128(out, e.rets.size());
        for (TypeRef r : e.rets) RETURN_IF_ERROR(Ref(r, out));
        AppendUleb128(out, e.annotations.size());
        for (uint8_t a : e.annotations) out += static_cast<char>(a);
        break;
      case Composite::kService:
        AppendUleb128(out, e.methods.size());
        for (const auto& [name, type] : e.methods) {
          AppendUleb128(out, name.size());
          out += name;
          RETURN_IF_ERROR(Ref(type, out));
        }
        break;
    }
    return out;
  }

  const TypeTable& table_;
  std::vector<int32_t> map_;
  std::vector<bool> visiting_;
  std::vector<std::string> entries_;
  std::map<std::string, int32_t> dedup_;
};

void AppendFixed(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

class ValueWriter {
 public:
  explicit ValueWriter(const TypeTable& table) : table_(table) {}
  Status Write(TypeRef t, const Value& v, std::string& out, size_t depth);

 private:
  Status WritePrim(Prim p, const Value& v, std::string& out);
  Status WriteComposite(const TypeEntry& e, const Value& v, std::string& out, size_t depth);
  const TypeTable& table_;
};

Status ValueWriter::WritePrim(Prim p, const Value& v, std::string& out) {
  using K = Value::Kind;
  const bool is_nat = v.kind == K::kNat || v.kind == K::kNat8 || v.kind == K::kNat16 || v.kind == K::kNat32 ||
                      v.kind == K::kNat64;
  switch (p) {
    case Prim::kNull: return Status::Ok();
    case Prim::kReserved: return Status::Ok();
    case Prim::kBool:
      if (v.kind != K::kBool) return Bad("expected bool");
      out += static_cast<char>(v.nat != 0);
      return Status::Ok();
    case Prim::kNat:
      if (!is_nat) return Bad("expected nat");
      AppendUleb128(out, v.nat);
      return Status::Ok();
    case Prim::kInt:
      if (is_nat) {
        AppendSleb128(out, static_cast<Int128>(v.nat));
      } else if (v.kind == K::kInt) {
        AppendSleb128(out, v.integer);
      } else {
        return Bad("expected int");
      }
      return Status::Ok();
    case Prim::kNat8: case Prim::kNat16: case Prim::kNat32: case Prim::kNat64: {
      const int bytes = 1 << (static_cast<int>(Prim::kNat8) - static_cast<int>(p));
      if (!is_nat || (bytes < 16 && v.nat >> (8 * bytes) != 0)) return Bad("expected a nat" + std::to_string(8 * bytes));
      AppendFixed(out, static_cast<uint64_t>(v.nat), bytes);
      return Status::Ok();
    }
    case Prim::kInt8: case Prim::kInt16: case Prim::kInt32: case Prim::kInt64: {
      const int bytes = 1 << (static_cast<int>(Prim::kInt8) - static_cast<int>(p));
      if (v.kind != K::kInt && (v.kind < K::kInt8 || v.kind > K::kInt64)) return Bad("expected an int");
      AppendFixed(out, static_cast<uint64_t>(static_cast<int64_t>(v.integer)), bytes);
      return Status::Ok();
    }
    case Prim::kFloat32: {
      const float f = static_cast<float>(v.real);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      AppendFixed(out, bits, 4);
      return Status::Ok();
    }
    case Prim::kFloat64: {
      uint64_t bits;
      std::memcpy(&bits, &v.real, 8);
      AppendFixed(out, bits, 8);
      return Status::Ok();
    }
    case Prim::kText:
      if (v.kind != K::kText || !IsUtf8(v.bytes)) return Bad("expected UTF-8 text");
      AppendUleb128(out, v.bytes.size());
      out += v.bytes;
      return Status::Ok();
    case Prim::kPrincipal:
      if (v.kind != K::kPrincipal) return Bad("expected a principal");
      out += '\x01';
      AppendUleb128(out, v.bytes.size());
      out += v.bytes;
      return Status::Ok();
    case Prim::kEmpty: return Bad("no value has type empty");
  }
  return Bad("unknown primitive type");
}

Status ValueWriter::WriteComposite(const TypeEntry& e, const Value& v, std::string& out, size_t depth) {
  using K = Value::Kind;
  switch (e.kind) {
    case Composite::kOpt:
      if (v.kind == K::kNull || (v.kind == K::kOpt && v.items.empty())) {
        out += '\0';
        return Status::Ok();
      }
      if (v.kind != K::kOpt) return Bad("expected opt");
      out += '\x01';
      return Write(e.inner, v.items[0], out, depth + 1);
    case Composite::kVec:
      if (v.kind == K::kBlob && e.inner == TypeRef::Of(Prim::kNat8)) {
        AppendUleb128(out, v.bytes.size());
        out += v.bytes;
        return Status::Ok();
      }
      if (v.kind != K::kVec) return Bad("expected vec");
      AppendUleb128(out, v.items.size());
      for (const Value& item : v.items) RETURN_IF_ERROR(Write(e.inner, item, out, depth + 1));
      return Status::Ok();
    case Composite::kRecord:
      if (v.kind != K::kRecord) return Bad("expected record");
      for (const Field& f : e.fields) {
        const Value* field = v.FieldById(f.id);
        if (field == nullptr) {
          // An absent optional field is none, as a missing JS property is.
          const bool optional = f.type.is_prim() ? f.type.prim() == Prim::kNull || f.type.prim() == Prim::kReserved
                                                 : table_.at(f.type).kind == Composite::kOpt;
          if (!optional) return Bad("record lacks field " + std::to_string(f.id));
          if (!f.type.is_prim()) out += '\0';
          continue;
        }
        RETURN_IF_ERROR(Write(f.type, *field, out, depth + 1));
      }
      return Status::Ok();
    case Composite::kVariant:
      if (v.kind != K::kVariant) return Bad("expected variant");
      for (size_t i = 0; i < e.fields.size(); ++i) {
        if (e.fields[i].id != v.ids[0]) continue;
        AppendUleb128(out, i);
        return Write(e.fields[i].type, v.items[0], out, depth + 1);
      }
      return Bad("variant case " + std::to_string(v.ids[0]) + " not in the type");
    case Composite::kFunc:
      if (v.kind != K::kFunc) return Bad("expected func");
      out += "\x01\x01";
      AppendUleb128(out, v.bytes.size());
      out += v.bytes;
      AppendUleb128(out, v.method.size());
      out += v.method;
      return Status::Ok();
    case Composite::kService:
      if (v.kind != K::kService) return Bad("expected service");
      out += '\x01';
      AppendUleb128(out, v.bytes.size());
      out += v.bytes;
      return Status::Ok();
  }
  return Bad("unknown composite type");
}

Status ValueWriter::Write(TypeRef t, const Value& v, std::string& out, size_t depth) {
  if (depth > 128) return Bad("value nests too deeply");
  if (t.is_prim()) return WritePrim(t.prim(), v, out);
  return WriteComposite(table_.at(t), v, out, depth);
}

}  // namespace

Result<std::string> Encode(const TypeTable& table, std::span<const TypeRef> types, std::span<const Value> values) {
  if (types.size() != values.size()) return Err(Bad("as many values as types are needed"));
  TableWriter tables(table);
  std::string args;
  AppendUleb128(args, types.size());
  for (TypeRef t : types) {
    ASSIGN_OR_RETURN(const int32_t code, tables.Visit(t));
    AppendSleb128(args, code);
  }
  std::string out = "DIDL" + tables.Table() + args;
  ValueWriter writer(table);
  for (size_t i = 0; i < types.size(); ++i) RETURN_IF_ERROR(writer.Write(types[i], values[i], out, 0));
  return out;
}

}  // namespace sela::chain::candid
