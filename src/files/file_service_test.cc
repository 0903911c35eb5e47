// FileService against a real SQLite store and a real directory: uploads in
// any order with repeats, integrity checks, limits, a full disk, expiry and
// deletion, and what each leaves on disk.
#include "files/file_service.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "store/sqlite/sqlite_store.h"
#include "store/store_test_support.h"
#include "testing/fake_clock.h"

namespace sela::files {
namespace {

namespace fs = std::filesystem;
using store::testing::PostQueue;
using store::testing::TempDir;

std::string Bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FileServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  void Open() {
    store::SqliteOptions so;
    so.path = dir_.path() + "/sela.db";
    so.random = [rng = std::mt19937_64(7)]() mutable { return rng(); };
    auto opened = store::SqliteStore::Open(so, posts_.AsPostFn());
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    store_ = std::move(*opened);
    options_.root = dir_.path() + "/blobs";
    options_.chunk_bytes_max = 64 * 1024;
    options_.file_bytes_max = 4 * 1024 * 1024;
    options_.chunks_max = 1000;
    options_.open_uploads_max = 3;
    options_.node_bytes_max = 8 * 1024 * 1024;
    options_.upload_ttl_ms = 60'000;
    options_.stream_buffer_bytes = 16 * 1024;
    options_.piece_bytes = 4 * 1024;
    BlobDirOptions dir_options;
    dir_options.pwrite_fn = [this](int fd, const void* data, size_t size, off_t offset) -> ssize_t {
      if (disk_left_ >= 0) {
        if (static_cast<int64_t>(size) > disk_left_) {
          errno = ENOSPC;
          return -1;
        }
        disk_left_ -= static_cast<int64_t>(size);
      }
      return ::pwrite(fd, data, size, offset);
    };
    service_ = std::make_unique<FileService>(options_, clock_, *store_, posts_.AsPostFn(),
                                             [rng = std::mt19937_64(9)]() mutable { return rng(); },
                                             dir_options);
    ASSERT_TRUE(service_->Init().ok());
  }

  void Close() {
    if (service_) service_->WaitForDisk();
    Settle();
    service_.reset();
    store_.reset();
    posts_.RunAll();
  }

  // Runs everything issued until nothing is left to do.
  void Settle() {
    for (int round = 0; round < 1000; ++round) {
      if (service_) service_->WaitForDisk();
      if (store_) store_->Flush();
      if (posts_.RunAll() == 0) return;
    }
    FAIL() << "work never settled";
  }

  template <typename T>
  Result<T> Wait(std::function<void(std::function<void(Result<T>)>)> issue) {
    std::optional<Result<T>> got;
    issue([&](Result<T> r) { got = std::move(r); });
    Settle();
    if (!got) return Err(Internal("no answer"));
    return std::move(*got);
  }

  Result<store::FileRecord> Create(const std::string& owner, NewFile request) {
    return Wait<store::FileRecord>([&](auto done) { service_->Create(owner, request, done); });
  }
  NewFile Layout(int64_t size, int64_t chunk_bytes, std::string sha256 = "") {
    return NewFile{.name = "data.bin", .content_type = "application/octet-stream", .size = size,
                   .job_id = "", .chunk_bytes = chunk_bytes, .sha256 = std::move(sha256)};
  }
  // Sends a whole chunk through a ChunkUpload, as the network would.
  Result<ChunkReceipt> Put(const std::string& owner, const std::string& id, uint32_t index,
                           std::string_view bytes, std::string sha256 = "") {
    auto upload = service_->BeginChunk(owner, id, index, static_cast<int64_t>(bytes.size()), std::move(sha256));
    if (!upload) return Err(upload.error());
    bool paused = false;
    (*upload)->OnSpace([&] { paused = false; });
    constexpr size_t kNetPiece = 3000;  // Not a multiple of the write piece.
    for (size_t at = 0; at < bytes.size(); at += kNetPiece) {
      if (!(*upload)->Append(bytes.substr(at, kNetPiece))) {
        paused = true;
        ++pauses_;
        Settle();
        EXPECT_FALSE(paused) << "space never came back";
      }
    }
    return Wait<ChunkReceipt>([&](auto done) { (*upload)->Finish(done); });
  }
  Result<store::FileRecord> Complete(const std::string& owner, const std::string& id) {
    return Wait<store::FileRecord>([&](auto done) { service_->Complete(owner, id, done); });
  }
  std::optional<store::FileRecord> Get(const std::string& id) {
    auto f = Wait<std::optional<store::FileRecord>>([&](auto done) { service_->Get(id, done); });
    EXPECT_TRUE(f.has_value());
    return f.has_value() ? *f : std::nullopt;
  }
  Status Delete(const std::string& owner, const std::string& id) {
    std::optional<Status> got;
    service_->Delete(owner, id, [&](Status st) { got = st; });
    Settle();
    return got.value_or(Internal("no answer"));
  }
  std::string BlobPath(const std::string& sha) { return options_.root + "/" + sha.substr(0, 2) + "/" + sha; }
  size_t FilesUnder(const std::string& path) {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(path)) n += e.is_regular_file();
    return n;
  }

  TempDir dir_;
  PostQueue posts_;
  testing::FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  FileOptions options_;
  std::unique_ptr<FileService> service_;
  int64_t disk_left_ = -1;  // Bytes the disk takes before it is full; -1: no end.
  int pauses_ = 0;
};

TEST_F(FileServiceTest, ChunksOutOfOrderWithARepeatMakeTheFileByteForByte) {
  const std::string content = Bytes(50'000, 1);
  const std::string sha = Sha256Hex(content);
  auto file = Create("node-a", Layout(50'000, 16'384, sha));
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_TRUE(file->file_id.starts_with("file_"));
  const std::vector<uint32_t> order = {3, 1, 1, 0, 2};
  for (uint32_t i : order) {
    const std::string_view chunk = std::string_view(content).substr(i * 16'384, 16'384);
    auto put = Put("node-a", file->file_id, i, chunk, Sha256Hex(chunk));
    ASSERT_TRUE(put.has_value()) << i << ": " << put.error().ToString();
  }
  EXPECT_GT(pauses_, 0);  // The buffer filled and reading paused.
  auto done = Complete("node-a", file->file_id);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(done->state, store::FileState::kComplete);
  EXPECT_EQ(done->sha256, sha);
  EXPECT_EQ(ReadFileBytes(BlobPath(sha)), content);
  EXPECT_EQ(FilesUnder(options_.root + "/uploads"), 0u);  // The part file went.
  EXPECT_EQ(Get(file->file_id)->sha256, sha);
  // Completing again is a repeat.
  EXPECT_EQ(Complete("node-a", file->file_id)->sha256, sha);
}

TEST_F(FileServiceTest, ARepeatedChunkIsAcknowledgedAndADifferentOneRefused) {
  const std::string content = Bytes(8'192, 2);
  auto file = Create("node-a", Layout(8'192, 4'096));
  ASSERT_TRUE(file.has_value());
  ASSERT_EQ(Put("node-a", file->file_id, 0, content.substr(0, 4'096))->outcome, store::ChunkOutcome::kStored);
  EXPECT_EQ(Put("node-a", file->file_id, 0, content.substr(0, 4'096))->outcome, store::ChunkOutcome::kRepeat);
  const auto other = Put("node-a", file->file_id, 0, Bytes(4'096, 99));
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), Code::kConflict);
  ASSERT_TRUE(Put("node-a", file->file_id, 1, content.substr(4'096)).has_value());
  ASSERT_TRUE(Complete("node-a", file->file_id).has_value());
  EXPECT_EQ(ReadFileBytes(BlobPath(Sha256Hex(content))), content);  // The first chunk 0 stayed.
}

TEST_F(FileServiceTest, WithoutALayoutChunksCountingFromOneArePutInIndexOrder) {
  const std::string a = Bytes(5'000, 3), b = Bytes(7'000, 4), c = Bytes(100, 5);
  auto file = Create("node-a", Layout(12'100, 0));
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE(Put("node-a", file->file_id, 3, c).has_value());
  ASSERT_TRUE(Put("node-a", file->file_id, 1, a).has_value());
  ASSERT_TRUE(Put("node-a", file->file_id, 2, b).has_value());
  auto done = Complete("node-a", file->file_id);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(ReadFileBytes(BlobPath(done->sha256)), a + b + c);
  EXPECT_EQ(done->sha256, Sha256Hex(a + b + c));
}

TEST_F(FileServiceTest, MissingChunksAreNamedAtCompletionAndNothingIsCompleted) {
  auto file = Create("node-a", Layout(10 * 1024, 1024));
  ASSERT_TRUE(file.has_value());
  for (uint32_t i : {0u, 1u, 2u, 4u, 5u, 6u, 8u}) {
    ASSERT_TRUE(Put("node-a", file->file_id, i, Bytes(1024, i)).has_value());
  }
  const auto done = Complete("node-a", file->file_id);
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(done.error().message(), "Missing chunks: 3, 7, 9 (chunks 0 to 9 expected); nothing was completed");
  EXPECT_EQ(Get(file->file_id)->state, store::FileState::kUploading);
  EXPECT_FALSE(fs::exists(options_.root + "/" + Sha256Hex("").substr(0, 2)));
}

TEST_F(FileServiceTest, AWrongDeclaredHashLeavesNoBlobAndTheUploadAsItWas) {
  const std::string content = Bytes(3'000, 6);
  auto file = Create("node-a", Layout(3'000, 0, Sha256Hex("something else")));
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE(Put("node-a", file->file_id, 0, content).has_value());
  const auto done = Complete("node-a", file->file_id);
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().code(), Code::kInvalidArgument);
  EXPECT_NE(done.error().message().find("SHA-256 mismatch"), std::string::npos);
  EXPECT_FALSE(fs::exists(BlobPath(Sha256Hex(content))));
  EXPECT_EQ(Get(file->file_id)->state, store::FileState::kUploading);
}

TEST_F(FileServiceTest, AChunkWhoseHashIsNotTheDeclaredOneIsNotRecorded) {
  auto file = Create("node-a", Layout(2'048, 1'024));
  ASSERT_TRUE(file.has_value());
  const auto put = Put("node-a", file->file_id, 0, Bytes(1'024, 1), Sha256Hex("other"));
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Get(file->file_id)->received_bytes, 0);
  // The right bytes go in afterwards.
  EXPECT_TRUE(Put("node-a", file->file_id, 0, Bytes(1'024, 1)).has_value());
}

TEST_F(FileServiceTest, ChunksThatLieAboutTheirPlaceOrSizeAreRefused) {
  auto file = Create("node-a", Layout(2'500, 1'024));
  ASSERT_TRUE(file.has_value());
  const std::string& id = file->file_id;
  EXPECT_EQ(Put("node-a", id, 0, Bytes(1'000, 1)).error().code(), Code::kInvalidArgument);  // Short.
  EXPECT_EQ(Put("node-a", id, 2, Bytes(1'024, 1)).error().code(), Code::kInvalidArgument);  // Last is 452.
  EXPECT_EQ(Put("node-a", id, 3, Bytes(1'024, 1)).error().code(), Code::kInvalidArgument);  // Past the end.
  EXPECT_EQ(Put("node-a", id, 1000, Bytes(1, 1)).error().code(), Code::kInvalidArgument);   // FILE_CHUNKS_MAX.
  EXPECT_EQ(Put("node-a", id, 0, "").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Put("node-a", id, 0, Bytes(65 * 1024, 1)).error().code(), Code::kInvalidArgument);
  auto loose = Create("node-a", Layout(100, 0));
  ASSERT_TRUE(loose.has_value());
  ASSERT_TRUE(Put("node-a", loose->file_id, 0, Bytes(60, 1)).has_value());
  EXPECT_EQ(Put("node-a", loose->file_id, 1, Bytes(41, 1)).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(Get(id)->received_bytes, 0);
  EXPECT_EQ(Get(loose->file_id)->received_bytes, 60);
}

TEST_F(FileServiceTest, AnotherNodesOrAnUnknownFileCannotBeTouched) {
  auto file = Create("node-a", Layout(10, 0));
  ASSERT_TRUE(file.has_value());
  const std::string& id = file->file_id;
  EXPECT_EQ(Put("node-b", id, 0, Bytes(10, 1)).error().code(), Code::kPermissionDenied);
  EXPECT_EQ(Complete("node-b", id).error().code(), Code::kPermissionDenied);
  EXPECT_EQ(Delete("node-b", id).code(), Code::kPermissionDenied);
  EXPECT_EQ(Put("node-a", "file_1_0000000000000000", 0, Bytes(10, 1)).error().code(), Code::kNotFound);
  EXPECT_EQ(Complete("node-a", "file_none").error().code(), Code::kNotFound);
  for (const std::string bad : {"../../etc/passwd", "file_1/../../x", "", "file_1\\x", "file 1"}) {
    EXPECT_EQ(Put("node-a", bad, 0, Bytes(10, 1)).error().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(Complete("node-a", bad).error().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(Delete("node-a", bad).code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(Get(id)->received_bytes, 0);
  EXPECT_EQ(FilesUnder(options_.root), 0u);
}

TEST_F(FileServiceTest, NamesTypesSizesAndHashesAreCheckedAtCreation) {
  const std::vector<NewFile> bad = {
      {.name = "../../etc/passwd", .content_type = "text/plain", .size = 1},
      {.name = "a/b", .content_type = "text/plain", .size = 1},
      {.name = "..", .content_type = "text/plain", .size = 1},
      {.name = "a\\b", .content_type = "text/plain", .size = 1},
      {.name = std::string("a\0b", 3), .content_type = "text/plain", .size = 1},
      {.name = "a\r\nSet-Cookie: x", .content_type = "text/plain", .size = 1},
      {.name = "", .content_type = "text/plain", .size = 1},
      {.name = std::string(256, 'n'), .content_type = "text/plain", .size = 1},
      {.name = "x", .content_type = "nonsense", .size = 1},
      {.name = "x", .content_type = "text/plain\r\nX: y", .size = 1},
      {.name = "x", .content_type = "text/plain", .size = -1},
      {.name = "x", .content_type = "text/plain", .size = 4 * 1024 * 1024 + 1},
      {.name = "x", .content_type = "text/plain", .size = 10, .chunk_bytes = 11},
      {.name = "x", .content_type = "text/plain", .size = 10, .sha256 = "ABC"},
      {.name = "x", .content_type = "text/plain", .size = 10, .job_id = "../job"},
      {.name = "x", .content_type = "text/plain", .size = 2'000'000, .chunk_bytes = 1'024},  // 1954 chunks.
  };
  for (const NewFile& r : bad) {
    const auto created = Create("node-a", r);
    ASSERT_FALSE(created.has_value()) << r.name;
    EXPECT_EQ(created.error().code(), Code::kInvalidArgument) << r.name << ": " << created.error().ToString();
  }
  EXPECT_EQ(FilesUnder(options_.root), 0u);
}

TEST_F(FileServiceTest, QuotasPerNodeAreEnforced) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Create("node-a", Layout(10, 0)).has_value());
  const auto fourth = Create("node-a", Layout(10, 0));
  ASSERT_FALSE(fourth.has_value());
  EXPECT_EQ(fourth.error().code(), Code::kResourceExhausted);
  EXPECT_NE(fourth.error().message().find("FILE_OPEN_UPLOADS_MAX"), std::string::npos);
  EXPECT_TRUE(Create("node-b", Layout(4 * 1024 * 1024, 0)).has_value());
  EXPECT_TRUE(Create("node-b", Layout(4 * 1024 * 1024, 0)).has_value());
  EXPECT_EQ(Create("node-b", Layout(1, 0)).error().code(), Code::kResourceExhausted);  // 8 MiB used.
}

TEST_F(FileServiceTest, AFullDiskFailsTheChunkAndLeavesNothingVisible) {
  const std::string content = Bytes(8'192, 8);
  auto file = Create("node-a", Layout(8'192, 4'096));
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE(Put("node-a", file->file_id, 0, content.substr(0, 4'096)).has_value());
  disk_left_ = 2'000;
  const auto put = Put("node-a", file->file_id, 1, content.substr(4'096));
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code(), Code::kResourceExhausted);
  EXPECT_NE(put.error().message().find("No space left"), std::string::npos);
  EXPECT_EQ(Get(file->file_id)->received_bytes, 4'096);
  EXPECT_EQ(Complete("node-a", file->file_id).error().code(), Code::kInvalidArgument);  // Chunk 1 missing.
  // Space again: the chunk goes in and the file is right.
  disk_left_ = -1;
  ASSERT_TRUE(Put("node-a", file->file_id, 1, content.substr(4'096)).has_value());
  const auto done = Complete("node-a", file->file_id);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(ReadFileBytes(BlobPath(done->sha256)), content);
}

TEST_F(FileServiceTest, AFullDiskWhileAssemblingLeavesNoBlob) {
  const std::string a = Bytes(3'000, 1), b = Bytes(3'000, 2);
  auto file = Create("node-a", Layout(6'000, 0));
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE(Put("node-a", file->file_id, 1, b).has_value());  // Arrives first: out of place.
  ASSERT_TRUE(Put("node-a", file->file_id, 0, a).has_value());
  disk_left_ = 1'000;
  const auto done = Complete("node-a", file->file_id);
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().code(), Code::kResourceExhausted);
  EXPECT_FALSE(fs::exists(BlobPath(Sha256Hex(a + b))));
  EXPECT_FALSE(fs::exists(options_.root + "/uploads/" + file->file_id + ".assemble"));
  disk_left_ = -1;
  EXPECT_EQ(ReadFileBytes(BlobPath(Complete("node-a", file->file_id)->sha256)), a + b);
}

TEST_F(FileServiceTest, AbandonedUploadsExpireWithTheirPartFiles) {
  auto file = Create("node-a", Layout(8'192, 4'096));
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE(Put("node-a", file->file_id, 0, Bytes(4'096, 1)).has_value());
  EXPECT_TRUE(fs::exists(options_.root + "/uploads/" + file->file_id + ".part"));
  clock_.Advance(Millis(59'999));
  service_->Sweep();
  Settle();
  EXPECT_TRUE(Get(file->file_id).has_value());
  clock_.Advance(Millis(1));
  EXPECT_EQ(Put("node-a", file->file_id, 1, Bytes(4'096, 2)).error().code(), Code::kFailedPrecondition);
  service_->Sweep();
  Settle();
  EXPECT_FALSE(Get(file->file_id).has_value());
  EXPECT_FALSE(fs::exists(options_.root + "/uploads/" + file->file_id + ".part"));
  EXPECT_EQ(service_->running_hashes(), 0u);
}

TEST_F(FileServiceTest, DeletingKeepsABlobAnotherFileStillHas) {
  const std::string content = Bytes(1'000, 3);
  std::vector<std::string> ids;
  for (const char* owner : {"node-a", "node-b"}) {
    auto f = Create(owner, Layout(1'000, 0));
    ASSERT_TRUE(f.has_value());
    ASSERT_TRUE(Put(owner, f->file_id, 0, content).has_value());
    ASSERT_TRUE(Complete(owner, f->file_id).has_value());
    ids.push_back(f->file_id);
  }
  const std::string blob = BlobPath(Sha256Hex(content));
  ASSERT_TRUE(Delete("node-a", ids[0]).ok());
  EXPECT_TRUE(fs::exists(blob));
  ASSERT_TRUE(Delete("node-b", ids[1]).ok());
  EXPECT_FALSE(fs::exists(blob));
  auto open = Create("node-a", Layout(10, 0));
  ASSERT_TRUE(open.has_value());
  ASSERT_TRUE(Put("node-a", open->file_id, 0, Bytes(5, 1)).has_value());
  ASSERT_TRUE(Delete("node-a", open->file_id).ok());
  EXPECT_EQ(FilesUnder(options_.root), 0u);
}

TEST_F(FileServiceTest, BlobsAreReadBackInRanges) {
  const std::string content = Bytes(10'000, 4);
  auto f = Create("node-a", Layout(10'000, 0));
  ASSERT_TRUE(f.has_value());
  ASSERT_TRUE(Put("node-a", f->file_id, 0, content).has_value());
  const std::string sha = Complete("node-a", f->file_id)->sha256;
  auto reader = Wait<std::shared_ptr<BlobReader>>([&](auto done) { service_->OpenBlob(sha, 10'000, done); });
  ASSERT_TRUE(reader.has_value()) << reader.error().ToString();
  EXPECT_EQ((*reader)->size(), 10'000);
  EXPECT_EQ(Wait<std::string>([&](auto done) { (*reader)->Read(9'000, 5'000, done); }).value(),
            content.substr(9'000));
  EXPECT_EQ(Wait<std::string>([&](auto done) { service_->ReadBlob(sha, 10'000, done); }).value(), content);
  EXPECT_EQ(Wait<std::string>([&](auto done) { service_->ReadBlob(sha, 9'999, done); }).error().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Wait<std::shared_ptr<BlobReader>>([&](auto done) { service_->OpenBlob(sha, 9, done); })
                .error()
                .code(),
            Code::kInternal);
  EXPECT_EQ(Wait<std::shared_ptr<BlobReader>>([&](auto done) { service_->OpenBlob(Sha256Hex("x"), 1, done); })
                .error()
                .code(),
            Code::kNotFound);
}

// CANISTER_STORAGE_ENABLED: every completion is reported once, and a blob
// gone from the disk is read from the remote copy (the file canister), its
// answers passed on: bytes, NotFound, Unavailable; the size limit still holds.
TEST_F(FileServiceTest, CompletionsAreReportedAndAMissingBlobIsReadFromTheRemote) {
  std::vector<store::FileRecord> completed;
  service_->OnComplete([&](const store::FileRecord& f) { completed.push_back(f); });
  const std::string content = Bytes(5'000, 6);
  auto f = Create("node-a", Layout(5'000, 0));
  ASSERT_TRUE(f.has_value());
  ASSERT_TRUE(Put("node-a", f->file_id, 0, content).has_value());
  const std::string sha = Complete("node-a", f->file_id)->sha256;
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_EQ(completed[0].file_id, f->file_id);
  EXPECT_EQ(completed[0].sha256, sha);
  EXPECT_EQ(completed[0].size, 5'000);
  ASSERT_TRUE(Complete("node-a", f->file_id).has_value());  // A repeat: nothing new completed.
  EXPECT_EQ(completed.size(), 1u);

  fs::remove(dir_.path() + "/blobs/" + sha.substr(0, 2) + "/" + sha);
  EXPECT_EQ(Wait<std::string>([&](auto done) { service_->ReadBlob(sha, 10'000, done); }).error().code(),
            Code::kNotFound);  // No remote.
  std::map<std::string, std::string> remote{{sha, content}};
  bool unavailable = false;
  int asked = 0;
  service_->SetRemote([&](const std::string& want, std::function<void(Result<std::string>)> done) {
    ++asked;
    if (unavailable) return done(Err(Unavailable("the file canister cannot be read now")));
    const auto it = remote.find(want);
    if (it == remote.end()) return done(Err(NotFound("not on the file canister")));
    done(it->second);
  });
  EXPECT_EQ(Wait<std::string>([&](auto done) { service_->ReadBlob(sha, 10'000, done); }).value(), content);
  EXPECT_EQ(Wait<std::string>([&](auto done) { service_->ReadBlob(sha, 4'999, done); }).error().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Wait<std::string>([&](auto done) { service_->ReadBlob(Sha256Hex("x"), 10, done); }).error().code(),
            Code::kNotFound);
  unavailable = true;
  EXPECT_EQ(Wait<std::string>([&](auto done) { service_->ReadBlob(sha, 10'000, done); }).error().code(),
            Code::kUnavailable);
  EXPECT_EQ(asked, 4);
}

TEST_F(FileServiceTest, AnAcknowledgedChunkSurvivesARestart) {
  const std::string content = Bytes(8'192, 5);
  auto file = Create("node-a", Layout(8'192, 4'096, Sha256Hex(content)));
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE(Put("node-a", file->file_id, 1, content.substr(4'096)).has_value());
  Close();
  Open();
  ASSERT_TRUE(Put("node-a", file->file_id, 0, content.substr(0, 4'096)).has_value());
  const auto done = Complete("node-a", file->file_id);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(ReadFileBytes(BlobPath(done->sha256)), content);
}

TEST_F(FileServiceTest, ACancelledChunkRecordsNothingAndFreesItsIndex) {
  auto file = Create("node-a", Layout(8'192, 4'096));
  ASSERT_TRUE(file.has_value());
  {
    auto upload = service_->BeginChunk("node-a", file->file_id, 0, 4'096, "");
    ASSERT_TRUE(upload.has_value());
    (*upload)->Append(Bytes(1'000, 1));
    EXPECT_EQ(service_->BeginChunk("node-a", file->file_id, 0, 4'096, "").error().code(), Code::kConflict);
    Settle();
  }  // The peer went away.
  Settle();
  EXPECT_EQ(Get(file->file_id)->received_bytes, 0);
  EXPECT_TRUE(Put("node-a", file->file_id, 0, Bytes(4'096, 1)).has_value());
}

}  // namespace
}  // namespace sela::files
