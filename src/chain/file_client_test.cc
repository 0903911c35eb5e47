// Files on the fake file canister: binary-safe, chunked, checked.
#include "chain/file_client.h"

#include <random>

#include "chain/chain_e2e_test_util.h"

namespace sela::chain {
namespace {

using fake::Fault;

class FileClientTest : public testing::ChainTest {
 protected:
  FileCanisterClient Client(size_t chunk_bytes = 64 * 1024) {
    FileClientOptions options;
    options.chunk_bytes = chunk_bytes;
    options.file_bytes_max = 1 << 20;
    return FileCanisterClient(*agent, ic->files_id(), options);
  }
  FileInfo Info() { return {"r.bin", "application/octet-stream", "p", "j", 1764100000000, "f1"}; }
  std::string RandomBytes(size_t n) {
    std::mt19937 rng(42);
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(rng());
    return out;
  }
  size_t Entries() { return ic->WithFiles([](const fake::FakeFileCanister& f) { return f.files(); }); }
};

TEST_F(FileClientTest, StoresAndReadsBackBinaryFilesInChunks) {
  FileCanisterClient client = Client();
  const std::string bytes = RandomBytes(150 * 1024);  // Not UTF-8; three chunks.
  const StoredFile stored = client.Put("p/j/f1", bytes, Info()).value();
  EXPECT_EQ(stored.chunks, 3u);
  EXPECT_EQ(stored.size, bytes.size());
  EXPECT_EQ(Entries(), 4u);  // Three chunks and the manifest.
  EXPECT_EQ(client.Get("p/j/f1").value(), bytes);
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  ASSERT_TRUE(client.Put("p/j/all", all, Info()).has_value());
  EXPECT_EQ(client.Get("p/j/all").value(), all);
  ASSERT_TRUE(client.Put("p/j/empty", "", Info()).has_value());
  EXPECT_EQ(client.Get("p/j/empty").value(), "");
}

TEST_F(FileClientTest, RefusesCorruptChunksAndMissingFiles) {
  FileCanisterClient client = Client();
  ASSERT_TRUE(client.Put("p/j/f2", RandomBytes(100 * 1024), Info()).has_value());
  // Someone (the canister has no access control) overwrites a chunk.
  const std::string arg = files::EncodeStoreFileArgs({"p/j/f2#1", "QUJD", {}}).value();
  ASSERT_TRUE(agent->Call(ic->files_id(), "store_file", arg).value().replied);
  const Result<std::string> r = client.Get("p/j/f2");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(client.Get("p/j/none").error().code(), Code::kNotFound);
}

TEST_F(FileClientTest, ReadsTextTheOriginalStoredAsItIs) {
  const std::string arg = files::EncodeStoreFileArgs({"scrape_result_1.json", "{\"a\":1}", {}}).value();
  ASSERT_TRUE(agent->Call(ic->files_id(), "store_file", arg).value().replied);
  EXPECT_EQ(Client().Get("scrape_result_1.json").value(), "{\"a\":1}");
}

TEST_F(FileClientTest, ChecksKeysAndSizes) {
  FileCanisterClient client = Client();
  const std::string_view bad_keys[] = {"", "a#1", "a b", "\xff", "a\\b"};
  for (std::string_view key : bad_keys) {
    EXPECT_EQ(client.Put(key, "x", Info()).error().code(), Code::kInvalidArgument) << key;
  }
  EXPECT_EQ(client.Put(std::string(201, 'k'), "x", Info()).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(client.Put("big", std::string((1 << 20) + 1, 'x'), Info()).error().code(), Code::kResourceExhausted);
  EXPECT_EQ(Entries(), 0u);
}

TEST_F(FileClientTest, StoresAndReadsUnderEveryFault) {
  const Fault faults[] = {Fault::kHttp503, Fault::kHoldAfterExecute, Fault::kDropAfterExecute,
                          Fault::kDropBeforeExecute, Fault::kAccepted202, Fault::kReject,
                          Fault::kNonReplicatedReject, Fault::kNoV3, Fault::kBadCertificate,
                          Fault::kStaleCertificate, Fault::kRestartAfterExecute, Fault::kUnsignedQuery};
  FileCanisterClient client = Client();
  int n = 0;
  for (const Fault fault : faults) {
    const std::string key = "p/j/fault" + std::to_string(n++);
    const std::string bytes = RandomBytes(70 * 1024 + n);
    ic->InjectFault(fault);
    // A put that failed is simply put again: chunks and manifest overwrite.
    bool stored = false;
    for (int attempt = 0; attempt < 3 && !stored; ++attempt) stored = client.Put(key, bytes, Info()).has_value();
    ASSERT_TRUE(stored) << static_cast<int>(fault);
    ic->InjectFault(fault);
    Result<std::string> back = client.Get(key);
    if (!back.has_value()) back = client.Get(key);  // A refused read is read again.
    ASSERT_TRUE(back.has_value()) << static_cast<int>(fault) << ": " << back.error().ToString();
    EXPECT_EQ(*back, bytes) << static_cast<int>(fault);
    ic->ClearFaults();
  }
}

}  // namespace
}  // namespace sela::chain
