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

TEST_F(FileClientTest, SurvivesFaultsOnTheWay) {
  ic->InjectFault(Fault::kHttp503, 2);
  ic->InjectFault(Fault::kDropAfterExecute);
  FileCanisterClient client = Client();
  const std::string bytes = RandomBytes(70 * 1024);
  ASSERT_TRUE(client.Put("p/j/f3", bytes, Info()).has_value());
  ic->InjectFault(Fault::kHttp503);
  EXPECT_EQ(client.Get("p/j/f3").value(), bytes);
}

}  // namespace
}  // namespace sela::chain
