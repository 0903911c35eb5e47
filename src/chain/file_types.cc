#include "chain/file_types.h"

namespace sela::chain::files {
namespace {

using candid::Prim;
using candid::TypeRef;
using candid::Value;

struct FileTypes {
  candid::TypeTable t;
  TypeRef text = TypeRef::Of(Prim::kText);
  TypeRef metadata, store_result, get_result;

  FileTypes() {
    metadata = t.Record({{"name", text}, {"content_type", text}, {"size", TypeRef::Of(Prim::kNat)},
                         {"user_principal_id", text}, {"job_id", text}, {"created_at", TypeRef::Of(Prim::kInt)},
                         {"original_file_id", text}});
    store_result = t.Record({{"file_key", text}, {"success", TypeRef::Of(Prim::kBool)}});
    get_result = t.Record({{"content", text}, {"metadata", metadata}, {"success", TypeRef::Of(Prim::kBool)}});
  }
};

const FileTypes& Types() {
  static const FileTypes types;
  return types;
}

Value MetadataValue(const FileMetadata& m) {
  return Value::Record({{"name", Value::Text(m.name)}, {"content_type", Value::Text(m.content_type)},
                        {"size", Value::Nat(m.size)}, {"user_principal_id", Value::Text(m.user_principal_id)},
                        {"job_id", Value::Text(m.job_id)}, {"created_at", Value::Int(m.created_at)},
                        {"original_file_id", Value::Text(m.original_file_id)}});
}

Result<std::string> TextField(const Value& record, std::string_view name) {
  ASSIGN_OR_RETURN(const std::string_view text, candid::AsText(record.Field(name), name));
  return std::string(text);
}

Result<FileMetadata> ReadMetadata(const Value* v) {
  if (v == nullptr || v->kind != Value::Kind::kRecord) return Err(InvalidArgument("candid: metadata is not a record"));
  FileMetadata m;
  ASSIGN_OR_RETURN(m.name, TextField(*v, "name"));
  ASSIGN_OR_RETURN(m.content_type, TextField(*v, "content_type"));
  ASSIGN_OR_RETURN(m.size, candid::AsNat(v->Field("size"), "size"));
  ASSIGN_OR_RETURN(m.user_principal_id, TextField(*v, "user_principal_id"));
  ASSIGN_OR_RETURN(m.job_id, TextField(*v, "job_id"));
  ASSIGN_OR_RETURN(m.created_at, candid::AsInt(v->Field("created_at"), "created_at"));
  ASSIGN_OR_RETURN(m.original_file_id, TextField(*v, "original_file_id"));
  return m;
}

Result<std::string> Encode(std::vector<TypeRef> types, std::vector<Value> values) {
  return candid::Encode(Types().t, types, values);
}

Result<Value> DecodeFirst(std::string_view bytes, size_t count) {
  ASSIGN_OR_RETURN(std::vector<Value> values, candid::Decode(bytes));
  if (values.size() < count) return Err(InvalidArgument("candid: too few values"));
  return std::move(values[0]);
}

}  // namespace

Result<std::string> EncodeStoreFileArgs(const StoreFileArgs& a) {
  const FileTypes& t = Types();
  return Encode({t.text, t.text, t.metadata},
                {Value::Text(a.file_key), Value::Text(a.content), MetadataValue(a.metadata)});
}

Result<StoreFileArgs> DecodeStoreFileArgs(std::string_view candid) {
  ASSIGN_OR_RETURN(std::vector<Value> values, candid::Decode(candid));
  if (values.size() < 3) return Err(InvalidArgument("candid: store_file takes three arguments"));
  StoreFileArgs a;
  ASSIGN_OR_RETURN(const std::string_view key, candid::AsText(&values[0], "file_key"));
  ASSIGN_OR_RETURN(const std::string_view content, candid::AsText(&values[1], "content"));
  a.file_key = std::string(key);
  a.content = std::string(content);
  ASSIGN_OR_RETURN(a.metadata, ReadMetadata(&values[2]));
  return a;
}

std::string EncodeStoreFileResult(const StoreFileResult& r) {
  Result<std::string> out = Encode({Types().store_result},
                                   {Value::Record({{"file_key", Value::Text(r.file_key)},
                                                   {"success", Value::Bool(r.success)}})});
  return out.value_or(std::string());  // Only a non-UTF-8 key fails; the fake's keys are ours.
}

Result<StoreFileResult> DecodeStoreFileResult(std::string_view candid) {
  ASSIGN_OR_RETURN(const Value v, DecodeFirst(candid, 1));
  StoreFileResult r;
  ASSIGN_OR_RETURN(r.file_key, TextField(v, "file_key"));
  ASSIGN_OR_RETURN(r.success, candid::AsBool(v.Field("success"), "success"));
  return r;
}

Result<std::string> EncodeGetFileArgs(std::string_view file_key) {
  return Encode({Types().text}, {Value::Text(std::string(file_key))});
}

Result<std::string> DecodeGetFileArgs(std::string_view candid) {
  ASSIGN_OR_RETURN(const Value v, DecodeFirst(candid, 1));
  ASSIGN_OR_RETURN(const std::string_view key, candid::AsText(&v, "file_key"));
  return std::string(key);
}

Result<std::string> EncodeGetFileResult(const GetFileResult& r) {
  return Encode({Types().get_result}, {Value::Record({{"content", Value::Text(r.content)},
                                                      {"metadata", MetadataValue(r.metadata)},
                                                      {"success", Value::Bool(r.success)}})});
}

Result<GetFileResult> DecodeGetFileResult(std::string_view candid) {
  ASSIGN_OR_RETURN(const Value v, DecodeFirst(candid, 1));
  GetFileResult r;
  ASSIGN_OR_RETURN(r.content, TextField(v, "content"));
  ASSIGN_OR_RETURN(r.metadata, ReadMetadata(v.Field("metadata")));
  ASSIGN_OR_RETURN(r.success, candid::AsBool(v.Field("success"), "success"));
  return r;
}

}  // namespace sela::chain::files
