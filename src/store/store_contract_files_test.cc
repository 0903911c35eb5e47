// The Store contract for uploaded files (store.h "Files"), part of
// JobContractTest (store_contract_test.h), so every backend that runs that
// suite runs these. Every refusal is checked to have changed nothing.
#include <string>
#include <vector>

#include "store/store_contract_test.h"

namespace sela::store::testing {
namespace {

constexpr int64_t kT0 = StoreTimeZeroMs();
constexpr int64_t kTtl = 60'000;  // JobContractTest::NewFile's.

std::vector<std::string> FileIds(const std::vector<FileRecord>& files) {
  std::vector<std::string> ids;
  for (const FileRecord& f : files) ids.push_back(f.file_id);
  return ids;
}

TEST_P(JobContractTest, CreateFileStoresAnUploadingFileAndGetFileReadsItBack) {
  FileRecord file = NewFile("file_1_a", "node-a", 10, 4);
  file.name = "photo.png";
  file.content_type = "image/png";
  file.declared_sha256 = FakeSha256(77);
  file.sha256 = FakeSha256(5);  // Ignored: a new file has no content yet.
  file.received_bytes = 3;
  file.result_of = "job_x";
  const Result<FileRecord> created = CreateFile(file);
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  file.sha256.clear();
  file.received_bytes = 0;
  file.result_of.clear();
  EXPECT_EQ(*created, file);
  EXPECT_EQ(GetFile("file_1_a").value(), std::optional<FileRecord>(file));
  EXPECT_EQ(FileStateName(file.state), "uploading");
}

TEST_P(JobContractTest, UnknownFilesAndChunksAreEmpty) {
  EXPECT_FALSE(GetFile("file_none").value().has_value());
  EXPECT_FALSE(GetChunk("file_none", 0).value().has_value());
  EXPECT_TRUE(Chunks("file_none").value().empty());
  EXPECT_FALSE(BlobUsed(FakeSha256(1)).value());
}

TEST_P(JobContractTest, CreateFileRefusesATakenIdAndMalformedFiles) {
  ASSERT_TRUE(CreateFile(NewFile("file_1", "node-a", 10)).has_value());
  EXPECT_EQ(CreateFile(NewFile("file_1", "node-b", 5)).error().code(), Code::kAlreadyExists);
  FileRecord no_id = NewFile("", "node-a", 1);
  FileRecord no_owner = NewFile("file_2", "", 1);
  FileRecord negative = NewFile("file_2", "node-a", -1);
  FileRecord chunk_longer = NewFile("file_2", "node-a", 10, 11);
  FileRecord bad_hash = NewFile("file_2", "node-a", 10);
  bad_hash.declared_sha256 = "abc";
  FileRecord complete = NewFile("file_2", "node-a", 10);
  complete.state = FileState::kComplete;
  FileRecord long_name = NewFile("file_2", "node-a", 10);
  long_name.name = std::string(100'000, 'n');
  for (const FileRecord& f : {no_id, no_owner, negative, chunk_longer, bad_hash, complete, long_name}) {
    const Result<FileRecord> refused = CreateFile(f);
    ASSERT_FALSE(refused.has_value()) << f.file_id;
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument) << refused.error().ToString();
  }
  EXPECT_FALSE(GetFile("file_2").value().has_value());
  EXPECT_EQ(MustGetFile("file_1").owner, "node-a");
}

TEST_P(JobContractTest, CreateFileEnforcesTheOwnersQuotaAndDeletingGivesItBack) {
  const FileQuota quota{.open_uploads_max = 2, .owner_bytes_max = 100};
  ASSERT_TRUE(CreateFile(NewFile("file_1", "node-a", 40), quota).has_value());
  ASSERT_TRUE(CreateFile(NewFile("file_2", "node-a", 40), quota).has_value());
  // A third open upload, even a tiny one.
  EXPECT_EQ(CreateFile(NewFile("file_3", "node-a", 1), quota).error().code(),
            Code::kResourceExhausted);
  // Another owner has its own quota.
  EXPECT_TRUE(CreateFile(NewFile("file_b", "node-b", 100), quota).has_value());
  // Completing one frees an upload slot but not its bytes.
  ASSERT_TRUE(PutChunk("file_1", "node-a", Chunk(0, 0, 40, 1), kT0 + 1).has_value());
  const Result<FileCompleteOutcome> completed = CompleteFile("file_1", "node-a", FakeSha256(1), kT0 + 2);
  ASSERT_TRUE(completed.has_value()) << completed.error().ToString();
  EXPECT_EQ(CreateFile(NewFile("file_3", "node-a", 21), quota).error().code(),
            Code::kResourceExhausted);
  EXPECT_FALSE(GetFile("file_3").value().has_value());
  ASSERT_TRUE(CreateFile(NewFile("file_3", "node-a", 20), quota).has_value());
  // Deleting gives bytes and the upload slot back.
  ASSERT_TRUE(DeleteFile("file_2", "node-a").has_value());
  ASSERT_TRUE(DeleteFile("file_1", "node-a").has_value());
  EXPECT_TRUE(CreateFile(NewFile("file_4", "node-a", 80), quota).has_value());
}

TEST_P(JobContractTest, CreateFileTiesAFileOnlyToAJobLeasedToItsOwner) {
  Ongoing("job_1", "node-a");
  MustCreate(NewJob("job_p", "acme", kT0));  // Pending: leased to nobody.
  EXPECT_TRUE(CreateFile(NewFile("file_1", "node-a", 5, 0, "job_1")).has_value());
  EXPECT_EQ(CreateFile(NewFile("file_2", "node-b", 5, 0, "job_1")).error().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(CreateFile(NewFile("file_3", "node-a", 5, 0, "job_p")).error().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(CreateFile(NewFile("file_4", "node-a", 5, 0, "job_none")).error().code(),
            Code::kNotFound);
  ASSERT_TRUE(Complete("job_1", Completion("node-a", 1, "r", 9), kT0 + 50).has_value());
  EXPECT_EQ(CreateFile(NewFile("file_5", "node-a", 5, 0, "job_1")).error().code(),
            Code::kFailedPrecondition);
  for (const char* id : {"file_2", "file_3", "file_4", "file_5"}) {
    EXPECT_FALSE(GetFile(id).value().has_value()) << id;
  }
  EXPECT_EQ(MustGetFile("file_1").job_id, "job_1");
}

TEST_P(JobContractTest, ChunksOfADeclaredLayoutGoAtTheirOffsetsInAnyOrder) {
  ASSERT_TRUE(CreateFile(NewFile("file_1", "node-a", 10, 4)).has_value());
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(2, 8, 2, 3), kT0 + 10).value(), ChunkOutcome::kStored);
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(0, 0, 4, 1), kT0 + 20).value(), ChunkOutcome::kStored);
  const FileRecord partial = MustGetFile("file_1");
  EXPECT_EQ(partial.received_bytes, 6);
  EXPECT_EQ(partial.chunks, 2u);
  EXPECT_EQ(partial.updated_ms, kT0 + 20);
  EXPECT_EQ(partial.expires_ms, kT0 + 20 + kTtl);
  EXPECT_EQ(GetChunk("file_1", 2).value(), std::optional<FileChunk>(Chunk(2, 8, 2, 3)));
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(1, 4, 4, 2), kT0 + 30).value(), ChunkOutcome::kStored);
  EXPECT_EQ(Chunks("file_1").value(),
            (std::vector<FileChunk>{Chunk(0, 0, 4, 1), Chunk(1, 4, 4, 2), Chunk(2, 8, 2, 3)}));
}

TEST_P(JobContractTest, ChunksThatDoNotFitTheLayoutAreRefusedAndChangeNothing) {
  ASSERT_TRUE(CreateFile(NewFile("file_1", "node-a", 10, 4)).has_value());
  const std::vector<FileChunk> wrong = {
      Chunk(0, 0, 3, 1),    // Too short: only the last chunk may be.
      Chunk(0, 4, 4, 1),    // Wrong offset.
      Chunk(2, 8, 4, 1),    // The last chunk is 2 bytes.
      Chunk(3, 12, 1, 1),   // Past the end.
      Chunk(0, 0, 0, 1),    // Empty.
      Chunk(0, -4, 4, 1),   // Negative offset.
  };
  for (const FileChunk& c : wrong) {
    const Result<ChunkOutcome> refused = PutChunk("file_1", "node-a", c, kT0 + 10);
    ASSERT_FALSE(refused.has_value()) << c.index << "@" << c.offset;
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument) << refused.error().ToString();
  }
  FileChunk bad_hash = Chunk(0, 0, 4, 1);
  bad_hash.sha256 = "xyz";
  EXPECT_EQ(PutChunk("file_1", "node-a", bad_hash, kT0 + 10).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(0, 0, 4, 1), kT0 + 10, 0).error().code(),
            Code::kInvalidArgument);
  const FileRecord after = MustGetFile("file_1");
  EXPECT_EQ(after.received_bytes, 0);
  EXPECT_EQ(after.updated_ms, kT0);
  EXPECT_TRUE(Chunks("file_1").value().empty());
}

TEST_P(JobContractTest, WithoutALayoutChunksAreAppendedAndMayNotPassTheSize) {
  ASSERT_TRUE(CreateFile(NewFile("file_1", "node-a", 10)).has_value());
  // Indexes need not start at 0 (the original's clients counted from 1).
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(2, 0, 7, 2), kT0 + 1).value(), ChunkOutcome::kStored);
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(1, 0, 3, 1), kT0 + 2).error().code(),
            Code::kInvalidArgument);  // Not at the end of what arrived.
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(1, 7, 4, 1), kT0 + 2).error().code(),
            Code::kInvalidArgument);  // 11 bytes in all.
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(1, 7, 3, 1), kT0 + 3).value(), ChunkOutcome::kStored);
  EXPECT_EQ(MustGetFile("file_1").received_bytes, 10);
  EXPECT_EQ(Chunks("file_1").value(), (std::vector<FileChunk>{Chunk(1, 7, 3, 1), Chunk(2, 0, 7, 2)}));
}

TEST_P(JobContractTest, ARepeatedChunkIsARepeatWhenEqualAndAConflictWhenNot) {
  ASSERT_TRUE(CreateFile(NewFile("file_1", "node-a", 10, 4)).has_value());
  ASSERT_EQ(PutChunk("file_1", "node-a", Chunk(1, 4, 4, 2), kT0 + 10).value(), ChunkOutcome::kStored);
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(1, 4, 4, 2), kT0 + 20).value(), ChunkOutcome::kRepeat);
  FileRecord f = MustGetFile("file_1");
  EXPECT_EQ(f.received_bytes, 4);
  EXPECT_EQ(f.chunks, 1u);
  EXPECT_EQ(f.expires_ms, kT0 + 20 + kTtl);  // The repeat still shows the upload is alive.
  const Result<ChunkOutcome> other = PutChunk("file_1", "node-a", Chunk(1, 4, 4, 99), kT0 + 30);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), Code::kConflict) << other.error().ToString();
  EXPECT_EQ(GetChunk("file_1", 1).value(), std::optional<FileChunk>(Chunk(1, 4, 4, 2)));
  EXPECT_EQ(MustGetFile("file_1").expires_ms, kT0 + 20 + kTtl);
}

TEST_P(JobContractTest, AChunkMayBeRecordedWithoutAHash) {
  ASSERT_TRUE(CreateFile(NewFile("file_1", "node-a", 8, 4)).has_value());
  FileChunk unhashed = Chunk(0, 0, 4, 1);
  unhashed.sha256.clear();
  EXPECT_EQ(PutChunk("file_1", "node-a", unhashed, kT0 + 1).value(), ChunkOutcome::kStored);
  EXPECT_EQ(GetChunk("file_1", 0).value(), std::optional<FileChunk>(unhashed));
  EXPECT_EQ(PutChunk("file_1", "node-a", unhashed, kT0 + 2).value(), ChunkOutcome::kRepeat);
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(0, 0, 4, 1), kT0 + 3).error().code(), Code::kConflict);
}

TEST_P(JobContractTest, ChunksAndCompletionOfAnotherOwnersOrAnUnknownFileAreRefused) {
  ASSERT_TRUE(CreateFile(NewFile("file_1", "node-a", 4)).has_value());
  EXPECT_EQ(PutChunk("file_1", "node-b", Chunk(0, 0, 4, 1), kT0 + 1).error().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(PutChunk("file_x", "node-a", Chunk(0, 0, 4, 1), kT0 + 1).error().code(), Code::kNotFound);
  ASSERT_TRUE(PutChunk("file_1", "node-a", Chunk(0, 0, 4, 1), kT0 + 1).has_value());
  EXPECT_EQ(CompleteFile("file_1", "node-b", FakeSha256(1), kT0 + 2).error().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(CompleteFile("file_x", "node-a", FakeSha256(1), kT0 + 2).error().code(), Code::kNotFound);
  EXPECT_EQ(DeleteFile("file_1", "node-b").error().code(), Code::kPermissionDenied);
  EXPECT_EQ(DeleteFile("file_x", "node-b").error().code(), Code::kNotFound);
  const FileRecord f = MustGetFile("file_1");
  EXPECT_EQ(f.state, FileState::kUploading);
  EXPECT_EQ(f.received_bytes, 4);
}

TEST_P(JobContractTest, CompleteFileNeedsEveryByteThenDropsTheChunksAndIsIdempotent) {
  ASSERT_TRUE(CreateFile(NewFile("file_1", "node-a", 10, 4)).has_value());
  ASSERT_TRUE(PutChunk("file_1", "node-a", Chunk(0, 0, 4, 1), kT0 + 1).has_value());
  ASSERT_TRUE(PutChunk("file_1", "node-a", Chunk(2, 8, 2, 3), kT0 + 2).has_value());
  EXPECT_EQ(CompleteFile("file_1", "node-a", FakeSha256(9), kT0 + 3).error().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(MustGetFile("file_1").state, FileState::kUploading);
  ASSERT_TRUE(PutChunk("file_1", "node-a", Chunk(1, 4, 4, 2), kT0 + 4).has_value());
  EXPECT_EQ(CompleteFile("file_1", "node-a", FakeSha256(9), kT0 + 5).value(),
            FileCompleteOutcome::kCompleted);
  FileRecord done = MustGetFile("file_1");
  EXPECT_EQ(done.state, FileState::kComplete);
  EXPECT_EQ(done.sha256, FakeSha256(9));
  EXPECT_EQ(done.expires_ms, 0);
  EXPECT_EQ(done.updated_ms, kT0 + 5);
  EXPECT_TRUE(Chunks("file_1").value().empty());
  EXPECT_TRUE(BlobUsed(FakeSha256(9)).value());
  EXPECT_EQ(CompleteFile("file_1", "node-a", FakeSha256(9), kT0 + 6).value(),
            FileCompleteOutcome::kRepeat);
  EXPECT_EQ(CompleteFile("file_1", "node-a", FakeSha256(8), kT0 + 6).error().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(0, 0, 4, 1), kT0 + 7).error().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(MustGetFile("file_1"), done);
}

TEST_P(JobContractTest, AnEmptyFileCompletesWithoutChunks) {
  ASSERT_TRUE(CreateFile(NewFile("file_0", "node-a", 0)).has_value());
  EXPECT_EQ(PutChunk("file_0", "node-a", Chunk(0, 0, 1, 1), kT0 + 1).error().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(CompleteFile("file_0", "node-a", FakeSha256(0xe3b0), kT0 + 2).value(),
            FileCompleteOutcome::kCompleted);
}

TEST_P(JobContractTest, AnExpiredUploadTakesNoChunkAndIsDeletedByExpireUploads) {
  ASSERT_TRUE(CreateFile(NewFile("file_1", "node-a", 8, 4)).has_value());  // Expires kT0 + kTtl.
  ASSERT_TRUE(CreateFile(NewFile("file_2", "node-a", 8, 4)).has_value());
  ASSERT_TRUE(PutChunk("file_2", "node-a", Chunk(0, 0, 4, 1), kT0 + 100).has_value());
  EXPECT_EQ(PutChunk("file_1", "node-a", Chunk(0, 0, 4, 1), kT0 + kTtl).error().code(),
            Code::kFailedPrecondition);
  EXPECT_TRUE(ExpireUploads(kT0 + kTtl - 1).value().empty());
  const std::vector<FileRecord> expired = ExpireUploads(kT0 + kTtl).value();
  EXPECT_EQ(FileIds(expired), std::vector<std::string>{"file_1"});
  EXPECT_FALSE(GetFile("file_1").value().has_value());
  EXPECT_EQ(FileIds(ExpireUploads(kT0 + 100 + kTtl).value()), std::vector<std::string>{"file_2"});
  EXPECT_TRUE(Chunks("file_2").value().empty());
  // Their quota is free again.
  const FileQuota one{.open_uploads_max = 1, .owner_bytes_max = 8};
  EXPECT_TRUE(CreateFile(NewFile("file_3", "node-a", 8), one).has_value());
}

TEST_P(JobContractTest, CompleteFilesAreNotExpired) {
  MustCompleteFile("file_1", "node-a", 4, 1);
  EXPECT_TRUE(ExpireUploads(kT0 + 10 * kTtl).value().empty());
  EXPECT_EQ(MustGetFile("file_1").state, FileState::kComplete);
}

TEST_P(JobContractTest, ListFilesShowsTheOwnersFilesInCreationOrderWithACursor) {
  Ongoing("job_1", "node-a");
  for (const char* id : {"file_c", "file_a", "file_b"}) {
    ASSERT_TRUE(CreateFile(NewFile(id, "node-a", 1)).has_value());
  }
  ASSERT_TRUE(CreateFile(NewFile("file_j", "node-a", 1, 0, "job_1")).has_value());
  ASSERT_TRUE(CreateFile(NewFile("file_o", "node-b", 1)).has_value());
  EXPECT_EQ(FileIds(ListFiles({.owner = "node-a"}).value()),
            (std::vector<std::string>{"file_c", "file_a", "file_b", "file_j"}));
  EXPECT_EQ(FileIds(ListFiles({.owner = "node-a", .after_file_id = "file_a", .limit = 1}).value()),
            std::vector<std::string>{"file_b"});
  EXPECT_EQ(FileIds(ListFiles({.owner = "node-a", .job_id = "job_1"}).value()),
            std::vector<std::string>{"file_j"});
  // Another owner's files of the job are not listed, nor files of nobody.
  EXPECT_TRUE(ListFiles({.owner = "node-b", .job_id = "job_1"}).value().empty());
  EXPECT_TRUE(ListFiles({.owner = "node-z"}).value().empty());
  EXPECT_EQ(ListFiles({.owner = "node-a", .after_file_id = "file_none"}).error().code(), Code::kNotFound);
  EXPECT_EQ(ListFiles({.owner = "node-a", .limit = 0}).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(ListFiles({.owner = "", .limit = 1}).error().code(), Code::kInvalidArgument);
}

TEST_P(JobContractTest, ListJobFilesShowsOnlyCompleteFilesOfTheJob) {
  Ongoing("job_1", "node-a");
  MustCompleteFile("file_1", "node-a", 4, 1, "job_1");
  ASSERT_TRUE(CreateFile(NewFile("file_2", "node-a", 4, 0, "job_1")).has_value());  // Uploading.
  MustCompleteFile("file_3", "node-a", 4, 3);                                         // No job.
  EXPECT_EQ(FileIds(JobFiles("job_1").value()), std::vector<std::string>{"file_1"});
  EXPECT_TRUE(JobFiles("job_none").value().empty());
  EXPECT_EQ(JobFiles("job_1", 0).error().code(), Code::kInvalidArgument);
}

TEST_P(JobContractTest, DeleteFileSaysWhetherAnotherFileKeepsItsBlob) {
  MustCompleteFile("file_1", "node-a", 4, 7);
  MustCompleteFile("file_2", "node-b", 4, 7);  // Same content.
  const Result<DeletedFile> first = DeleteFile("file_1", "node-a");
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(first->file.file_id, "file_1");
  EXPECT_TRUE(first->blob_still_used);
  const Result<DeletedFile> second = DeleteFile("file_2", "node-b");
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->blob_still_used);
  EXPECT_FALSE(BlobUsed(FakeSha256(7)).value());
  EXPECT_EQ(DeleteFile("file_2", "node-b").error().code(), Code::kNotFound);
}

TEST_P(JobContractTest, AJobsResultCanBeAFileWhichThenCannotBeDeleted) {
  Ongoing("job_1", "node-a");
  MustCompleteFile("file_r", "node-a", 4096, 42, "job_1");
  JobCompletion completion = Completion("node-a", 1, "", 42);
  completion.result_file_id = "file_r";
  ASSERT_EQ(Complete("job_1", completion, kT0 + 100).value(), CompleteOutcome::kCompleted);
  const JobRecord job = MustGet("job_1");
  EXPECT_EQ(job.result_file_id, "file_r");
  EXPECT_EQ(job.result_hash, FakeSha256(42));
  EXPECT_EQ(job.result_bytes, 4096);
  EXPECT_FALSE(Blob(FakeSha256(42)).value().has_value());  // The bytes are the file's.
  EXPECT_EQ(MustGetFile("file_r").result_of, "job_1");
  EXPECT_EQ(DeleteFile("file_r", "node-a").error().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(GetFile("file_r").value().has_value());
  // A repeat of the completion is a repeat.
  EXPECT_EQ(Complete("job_1", completion, kT0 + 200).value(), CompleteOutcome::kRepeat);
}

TEST_P(JobContractTest, AResultFileMustBeTheNodesCompleteFileOfTheJobWithTheResultsHash) {
  Ongoing("job_1", "node-a");
  Ongoing("job_2", "node-a");
  Ongoing("job_b", "node-b");
  MustCompleteFile("file_other_job", "node-a", 4, 1, "job_2");
  MustCompleteFile("file_b", "node-b", 4, 2, "job_b");
  MustCompleteFile("file_ok", "node-a", 4, 3, "job_1");
  ASSERT_TRUE(CreateFile(NewFile("file_partial", "node-a", 4, 0, "job_1")).has_value());
  const std::vector<std::pair<std::string, uint64_t>> wrong = {
      {"file_other_job", 1}, {"file_b", 2}, {"file_ok", 4}, {"file_partial", 3}, {"file_none", 3}};
  for (const auto& [file_id, seed] : wrong) {
    JobCompletion c = Completion("node-a", 1, "", seed);
    c.result_file_id = file_id;
    const Result<CompleteOutcome> refused = Complete("job_1", c, kT0 + 100);
    ASSERT_FALSE(refused.has_value()) << file_id;
    EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition) << refused.error().ToString();
  }
  JobCompletion both = Completion("node-a", 1, "bytes", 3);
  both.result_file_id = "file_ok";
  EXPECT_EQ(Complete("job_1", both, kT0 + 100).error().code(), Code::kInvalidArgument);
  const JobRecord job = MustGet("job_1");
  EXPECT_EQ(job.state, JobState::kOngoing);
  EXPECT_EQ(job.result_file_id, "");
  EXPECT_EQ(MustGetFile("file_ok").result_of, "");
}

}  // namespace
}  // namespace sela::store::testing
