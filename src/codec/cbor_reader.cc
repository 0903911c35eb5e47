#include "codec/cbor_reader.h"

#include <algorithm>
#include <string>

namespace sela::codec {
namespace {

class Parser {
 public:
  Parser(std::string_view input, const CborLimits& limits) : in_(input), limits_(limits) {}

  Result<CborValue> ParseItem(size_t depth);
  bool done() const { return pos_ == in_.size(); }
  size_t pos() const { return pos_; }

 private:
  Status Error(std::string what) const {
    return InvalidArgument("CBOR: " + what + " at offset " + std::to_string(pos_));
  }
  Result<uint64_t> Argument(uint8_t info);
  Result<std::string_view> Take(uint64_t length);
  Status Count(uint64_t more);
  Result<CborValue> Container(CborValue value, uint64_t count, size_t depth);

  std::string_view in_;
  size_t pos_ = 0;
  size_t items_ = 0;
  const CborLimits& limits_;
};

Result<uint64_t> Parser::Argument(uint8_t info) {
  if (info < 24) return info;
  if (info > 27) return Err(Error("indefinite length or reserved argument " + std::to_string(info)));
  const size_t width = size_t{1} << (info - 24);
  if (in_.size() - pos_ < width) return Err(Error("item ends early"));
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) value = (value << 8) | static_cast<uint8_t>(in_[pos_ + i]);
  pos_ += width;
  return value;
}

Result<std::string_view> Parser::Take(uint64_t length) {
  if (length > in_.size() - pos_) return Err(Error("string longer than the input"));
  std::string_view out = in_.substr(pos_, length);
  pos_ += length;
  return out;
}

Status Parser::Count(uint64_t more) {
  if (more > limits_.items_max - std::min(items_, limits_.items_max)) {
    return Error("more than " + std::to_string(limits_.items_max) + " items");
  }
  items_ += more;
  return Status::Ok();
}

Result<CborValue> Parser::Container(CborValue value, uint64_t count, size_t depth) {
  if (count > limits_.container_items_max) {
    return Err(Error("container of " + std::to_string(count) + " entries"));
  }
  const uint64_t children = value.kind == CborValue::Kind::kMap ? count * 2 : count;
  // Each child takes at least one byte: a forged count fails before any
  // memory is reserved for it.
  if (children > in_.size() - pos_) return Err(Error("container longer than the input"));
  value.items.reserve(children);
  for (uint64_t i = 0; i < children; ++i) {
    ASSIGN_OR_RETURN(CborValue child, ParseItem(depth + 1));
    value.items.push_back(std::move(child));
  }
  return value;
}

Result<CborValue> Parser::ParseItem(size_t depth) {
  if (depth >= limits_.depth_max) return Err(Error("nesting deeper than " + std::to_string(limits_.depth_max)));
  if (pos_ >= in_.size()) return Err(Error("input ends early"));
  RETURN_IF_ERROR(Count(1));
  const auto initial = static_cast<uint8_t>(in_[pos_++]);
  const uint8_t major = initial >> 5;
  const uint8_t info = initial & 0x1F;
  CborValue value;
  if (major == 7) {
    switch (info) {
      case 20: value.kind = CborValue::Kind::kBool; value.u = 0; return value;
      case 21: value.kind = CborValue::Kind::kBool; value.u = 1; return value;
      case 22: value.kind = CborValue::Kind::kNull; return value;
      default: --pos_; return Err(Error("unsupported simple value or float"));
    }
  }
  ASSIGN_OR_RETURN(const uint64_t arg, Argument(info));
  switch (major) {
    case 0: value.kind = CborValue::Kind::kUnsigned; value.u = arg; return value;
    case 1: value.kind = CborValue::Kind::kNegative; value.u = arg; return value;
    case 2:
    case 3: {
      value.kind = major == 2 ? CborValue::Kind::kBytes : CborValue::Kind::kText;
      ASSIGN_OR_RETURN(value.str, Take(arg));
      return value;
    }
    case 4: value.kind = CborValue::Kind::kArray; return Container(std::move(value), arg, depth);
    case 5: value.kind = CborValue::Kind::kMap; return Container(std::move(value), arg, depth);
    default: {  // 6: tag
      value.kind = CborValue::Kind::kTag;
      value.u = arg;
      ASSIGN_OR_RETURN(CborValue inner, ParseItem(depth + 1));
      value.items.push_back(std::move(inner));
      return value;
    }
  }
}

}  // namespace

const CborValue* CborValue::Find(std::string_view key) const {
  if (kind != Kind::kMap) return nullptr;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i].kind == Kind::kText && items[i].str == key) return &items[i + 1];
  }
  return nullptr;
}

const CborValue& CborValue::Untagged(uint64_t tag) const {
  const CborValue* v = this;
  while (v->kind == Kind::kTag && v->u == tag && !v->items.empty()) v = &v->items[0];
  return *v;
}

Result<CborValue> ParseCbor(std::string_view input, const CborLimits& limits) {
  Parser parser(input, limits);
  ASSIGN_OR_RETURN(CborValue value, parser.ParseItem(0));
  if (!parser.done()) {
    return Err(InvalidArgument("CBOR: " + std::to_string(input.size() - parser.pos()) +
                               " bytes after the item"));
  }
  return value;
}

Status CheckTextKeysUnique(const CborValue& map) {
  if (!map.is_map()) return InvalidArgument("CBOR: expected a map");
  std::vector<std::string_view> keys;
  keys.reserve(map.map_size());
  for (size_t i = 0; i < map.items.size(); i += 2) {
    if (!map.items[i].is_text()) return InvalidArgument("CBOR: map key is not text");
    keys.push_back(map.items[i].str);
  }
  std::sort(keys.begin(), keys.end());
  const auto dup = std::adjacent_find(keys.begin(), keys.end());
  if (dup != keys.end()) return InvalidArgument("CBOR: key \"" + std::string(dup->substr(0, 64)) + "\" twice");
  return Status::Ok();
}

}  // namespace sela::codec
