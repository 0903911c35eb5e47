#include "chain/candid.h"

#include <gtest/gtest.h>

#include "chain/file_types.h"
#include "chain/icrc1_types.h"
#include "chain/vectors_test_util.h"

namespace sela::chain {
namespace {

using namespace std::string_view_literals;

using testing::Bytes;
using testing::Vector;
using testing::VectorBytes;

codec::Principal EdPrincipal() { return codec::Principal::FromText(Vector({"ed25519", "principal"})).value(); }

std::string CandidVector(std::string_view name) { return VectorBytes({"candid", name}); }

TEST(Candid, FieldIdsAreTheSpecHash) {
  EXPECT_EQ(candid::FieldId("to"), 25979u);
  EXPECT_EQ(candid::FieldId("created_at_time"), 3258775938u);
  EXPECT_EQ(candid::FieldId("InsufficientFunds"), 4206284395u);
  EXPECT_EQ(candid::FieldId("duplicate_of"), 326934155u);
}

TEST(Candid, TransferArgIsByteForByteTheJavaScriptAgents) {
  icrc1::TransferArg minimal;
  minimal.to.owner = codec::Principal::Anonymous();
  minimal.amount = 100'000'000;
  EXPECT_EQ(codec::HexEncode(icrc1::EncodeTransferArg(minimal)), Vector({"candid", "transfer_minimal"}));

  icrc1::TransferArg full;
  full.to.owner = EdPrincipal();
  full.memo = "U60T2";
  full.created_at_time = 1764100000000000000ULL;
  full.amount = 150'000'000;
  EXPECT_EQ(codec::HexEncode(icrc1::EncodeTransferArg(full)), Vector({"candid", "transfer_full"}));

  icrc1::TransferArg sub;
  sub.to.owner = EdPrincipal();
  sub.to.subaccount = std::string(31, '\0') + "\x07";
  sub.fee = 0;
  sub.memo = "SELA" + std::string(28, '\0');
  sub.from_subaccount = sub.to.subaccount;
  sub.created_at_time = 1;
  sub.amount = (candid::Uint128{1} << 70) + 5;
  EXPECT_EQ(codec::HexEncode(icrc1::EncodeTransferArg(sub)), Vector({"candid", "transfer_subaccounts"}));
  // And back: the fake ledger reads what we send.
  for (const icrc1::TransferArg& arg : {minimal, full, sub}) {
    EXPECT_TRUE(icrc1::DecodeTransferArg(icrc1::EncodeTransferArg(arg)).value() == arg);
  }
}

TEST(Candid, DecodesEveryTransferResultTheJavaScriptAgentEncodes) {
  using K = icrc1::TransferError::Kind;
  const icrc1::TransferResult ok = icrc1::DecodeTransferResult(CandidVector("result_ok_42")).value();
  EXPECT_TRUE(ok.ok);
  EXPECT_TRUE(ok.block_index == 42);
  EXPECT_TRUE(icrc1::DecodeTransferResult(CandidVector("result_ok_big")).value().block_index ==
              (candid::Uint128{1} << 64) + 1);
  struct Case {
    std::string_view name;
    K kind;
    candid::Uint128 number;
  };
  for (const Case& c : {Case{"GenericError", K::kGenericError, 1}, Case{"TemporarilyUnavailable", K::kTemporarilyUnavailable, 0},
                        Case{"BadBurn", K::kBadBurn, 10}, Case{"Duplicate", K::kDuplicate, 7},
                        Case{"BadFee", K::kBadFee, 0}, Case{"CreatedInFuture", K::kCreatedInFuture, 0},
                        Case{"TooOld", K::kTooOld, 0}, Case{"InsufficientFunds", K::kInsufficientFunds, 12345}}) {
    const std::string bytes = CandidVector("result_err_" + std::string(c.name));
    const Result<icrc1::TransferResult> r = icrc1::DecodeTransferResult(bytes);
    ASSERT_TRUE(r.has_value()) << c.name << ": " << r.error().ToString();
    EXPECT_FALSE(r->ok);
    EXPECT_EQ(r->error.kind, c.kind) << c.name;
    EXPECT_TRUE(r->error.number == c.number) << c.name;
    // Our encoder writes the same bytes (the fake ledger's replies).
    EXPECT_EQ(codec::HexEncode(icrc1::EncodeTransferResult(*r)), codec::HexEncode(bytes)) << c.name;
  }
  EXPECT_EQ(icrc1::DecodeTransferResult(CandidVector("result_err_GenericError")).value().error.message, "x");
  EXPECT_EQ(icrc1::DecodeTransferResult(CandidVector("result_err_CreatedInFuture")).value().error.ledger_time_ns,
            1764100000000000000ULL);
  EXPECT_EQ(codec::HexEncode(icrc1::EncodeTransferResult(ok)), Vector({"candid", "result_ok_42"}));
}

TEST(Candid, ReadsCasesAndFieldsItDoesNotKnowWithoutFailing) {
  const icrc1::TransferResult r = icrc1::DecodeTransferResult(CandidVector("result_err_unknown_case")).value();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.kind, icrc1::TransferError::Kind::kUnknown);
  EXPECT_EQ(r.error.unknown_case, candid::FieldId("Frozen"));
  const files::StoreFileResult s = files::DecodeStoreFileResult(CandidVector("store_file_result_extra_field")).value();
  EXPECT_EQ(s.file_key, "k");
  EXPECT_TRUE(s.success);
}

TEST(Candid, QueriesOfTheLedgerMatch) {
  const icrc1::Account account{EdPrincipal(), std::nullopt};
  EXPECT_EQ(codec::HexEncode(icrc1::EncodeAccount(account)), Vector({"candid", "balance_of_args"}));
  EXPECT_TRUE(icrc1::DecodeAccount(CandidVector("balance_of_args")).value() == account);
  EXPECT_TRUE(icrc1::DecodeNat(CandidVector("balance_result")).value() == 123456789012345ULL);
  EXPECT_EQ(codec::HexEncode(icrc1::EncodeNat(123456789012345ULL)), Vector({"candid", "balance_result"}));
  EXPECT_TRUE(icrc1::DecodeNat(CandidVector("fee_result")).value() == 0);
  const auto minting = icrc1::DecodeOptAccount(CandidVector("minting_account_some")).value();
  ASSERT_TRUE(minting.has_value());
  EXPECT_EQ(minting->owner.ToText(), Vector({"secp256k1", "principal"}));
  EXPECT_EQ(codec::HexEncode(icrc1::EncodeOptAccount(minting)), Vector({"candid", "minting_account_some"}));
  EXPECT_FALSE(icrc1::DecodeOptAccount(CandidVector("minting_account_none")).value().has_value());
  const auto standards = icrc1::DecodeStandards(CandidVector("supported_standards")).value();
  ASSERT_EQ(standards.size(), 2u);
  EXPECT_EQ(standards[1].name, "ICRC-3");
  EXPECT_EQ(codec::HexEncode(icrc1::EncodeStandards(standards)), Vector({"candid", "supported_standards"}));
  EXPECT_EQ(codec::HexEncode(icrc1::EncodeEmptyArgs()), Vector({"candid", "empty_args"}));
}

TEST(Candid, Icrc3BlocksRoundTripWithRecursiveTypesAndFuncs) {
  EXPECT_EQ(codec::HexEncode(icrc1::EncodeGetBlocksArgs({{5, 2}})), Vector({"candid", "get_blocks_args"}));
  const icrc1::GetBlocksResult r = icrc1::DecodeGetBlocksResult(CandidVector("get_blocks_result")).value();
  EXPECT_TRUE(r.log_length == 10);
  ASSERT_EQ(r.blocks.size(), 1u);
  EXPECT_TRUE(r.blocks[0].id == 9);
  ASSERT_EQ(r.archived_blocks.size(), 1u);
  EXPECT_EQ(r.archived_blocks[0].callback_canister.ToText(), "qe3z4-yiaaa-aaaam-aeoyq-cai");
  EXPECT_EQ(r.archived_blocks[0].callback_method, "get_blocks");
  EXPECT_EQ(codec::HexEncode(icrc1::EncodeGetBlocksResult(r).value()), Vector({"candid", "get_blocks_result"}));

  const std::optional<icrc1::Mint> mint = icrc1::MintOfBlock(r.blocks[0].block).value();
  ASSERT_TRUE(mint.has_value());
  EXPECT_EQ(mint->to.owner, EdPrincipal());
  EXPECT_TRUE(mint->amount == 100'000'000);
  EXPECT_EQ(mint->memo, std::optional<std::string>("U60T2"));
  EXPECT_EQ(mint->created_at_time, std::optional<uint64_t>(1764100000000000000ULL));
  // Our own mint blocks (the fake ledger's) read back the same.
  const candid::Value ours = icrc1::MintBlockValue(*mint, std::string(32, '\0'));
  const std::optional<icrc1::Mint> again = icrc1::MintOfBlock(ours).value();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->to, mint->to);
  EXPECT_EQ(again->memo, mint->memo);
}

TEST(Candid, FileCanisterCallsMatch) {
  files::StoreFileArgs args{"a.json", "{}", {"a.json", "application/json", 2, "p", "j", 1764100000000, "f"}};
  EXPECT_EQ(codec::HexEncode(files::EncodeStoreFileArgs(args).value()), Vector({"candid", "store_file_args"}));
  const files::StoreFileArgs back = files::DecodeStoreFileArgs(CandidVector("store_file_args")).value();
  EXPECT_EQ(back.file_key, "a.json");
  EXPECT_TRUE(back.metadata == args.metadata);
  EXPECT_EQ(codec::HexEncode(files::EncodeStoreFileResult({"a.json", true})), Vector({"candid", "store_file_result"}));
  EXPECT_EQ(codec::HexEncode(files::EncodeGetFileArgs("a.json").value()), Vector({"candid", "get_file_args"}));
  const files::GetFileResult got = files::DecodeGetFileResult(CandidVector("get_file_result")).value();
  EXPECT_TRUE(got.success);
  EXPECT_EQ(got.content, "{}");
  EXPECT_TRUE(got.metadata == args.metadata);
  EXPECT_EQ(codec::HexEncode(files::EncodeGetFileResult(got).value()), Vector({"candid", "get_file_result"}));
  EXPECT_FALSE(files::DecodeGetFileResult(CandidVector("get_file_miss")).value().success);
  // Candid text is UTF-8: binary content cannot travel as text.
  args.content = "\xff\xfe";
  EXPECT_FALSE(files::EncodeStoreFileArgs(args).has_value());
}

TEST(CandidDecode, RefusesMalformedAndHostileMessages) {
  const std::string_view bad[] = {
      ""sv,                                   // No header.
      "DIDM\x00\x00"sv,                       // Wrong magic.
      "DIDL\x00\x01\x7d"sv,                   // nat missing.
      "DIDL\x00\x01\x7d\x00\x00"sv,           // Left-over byte.
      "DIDL\x01\x6e\x05\x01\x00\x00"sv,       // Type index past the table.
      "DIDL\x00\x01\x71\x02\xff\xfe"sv,       // Text not UTF-8.
      "DIDL\x00\x01\x7e\x02"sv,               // Bool 2.
      "DIDL\x00\x01\x68\x00"sv,               // Opaque principal.
      "DIDL\x00\x01\x6f"sv,                   // A value of type empty.
      "DIDL\x01\x6c\x02\x01\x7d\x01\x7d\x01\x00\x00\x00"sv,  // Field ids not increasing.
      "DIDL\x01\x6b\x01\x00\x7f\x01\x00\x05"sv,              // Variant index out of range.
      "DIDL\x00\x01\x50"sv,                   // Unknown opcode.
  };
  for (std::string_view b : bad) EXPECT_FALSE(candid::Decode(b).has_value()) << codec::HexEncode(b);
}

TEST(CandidDecode, BoundsRecursionAndValueCounts) {
  // type 0 = opt 0; a value nested 100 deep exceeds depth_max 64.
  std::string deep = std::string("DIDL\x01\x6e\x00\x01\x00", 9) + std::string(100, '\x01') + '\x00';
  EXPECT_FALSE(candid::Decode(deep).has_value());
  candid::DecodeLimits loose;
  loose.depth_max = 200;
  EXPECT_TRUE(candid::Decode(deep, loose).has_value());
  // vec null of 2^40 elements costs no bytes: refused by the value limit.
  const std::string huge = std::string("DIDL\x01\x6d\x7f\x01\x00", 9) + codec::Uleb128(uint64_t{1} << 40);
  EXPECT_FALSE(candid::Decode(huge).has_value());
  // record { a : 0 } (no base case) recurses until the depth limit.
  const std::string knot("DIDL\x01\x6c\x01\x00\x00\x01\x00", 11);
  EXPECT_FALSE(candid::Decode(knot).has_value());
}

TEST(CandidDecode, ReadsAllPrimitives) {
  candid::TypeTable t;
  using candid::Prim;
  using candid::TypeRef;
  using candid::Value;
  std::vector<TypeRef> types = {TypeRef::Of(Prim::kInt), TypeRef::Of(Prim::kNat16), TypeRef::Of(Prim::kInt32),
                                TypeRef::Of(Prim::kFloat64), TypeRef::Of(Prim::kReserved), TypeRef::Of(Prim::kNull)};
  Value i16 = Value::Nat(65535);
  i16.kind = Value::Kind::kNat16;
  Value i32 = Value::Int(-5);
  i32.kind = Value::Kind::kInt32;
  Value f;
  f.kind = Value::Kind::kFloat64;
  f.real = 1.5;
  std::vector<Value> values = {Value::Int(-123456), i16, i32, f, Value::Null(), Value::Null()};
  const std::string bytes = candid::Encode(t, types, values).value();
  const std::vector<Value> back = candid::Decode(bytes).value();
  ASSERT_EQ(back.size(), 6u);
  EXPECT_TRUE(back[0].integer == -123456);
  EXPECT_TRUE(back[1].nat == 65535);
  EXPECT_TRUE(back[2].integer == -5);
  EXPECT_EQ(back[3].real, 1.5);
  EXPECT_EQ(back[4].kind, Value::Kind::kReserved);
}

}  // namespace
}  // namespace sela::chain
