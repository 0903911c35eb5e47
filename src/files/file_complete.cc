// Completing an upload (see file_service.h): every chunk present, the
// content hashed and checked, synced and linked to its content address,
// then recorded in the store. Nothing is linked while the same blob is
// being removed, and nothing is removed while a completion holds its pin
// (FileService::pinned_), so a blob the store refers to is never deleted.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <utility>

#include "core/logging.h"
#include "files/file_service.h"

namespace sela::files {
namespace {

constexpr size_t kMissingShownMax = 20;

// The chunk indexes a file lacks: with a layout, 0..n-1; without, a run
// from 0 or 1 (the original's clients counted from 1) to the last index.
std::vector<uint32_t> MissingChunks(const store::FileRecord& f, const std::vector<store::FileChunk>& chunks,
                                    uint32_t* first, uint32_t* last) {
  std::set<uint32_t> have;
  for (const store::FileChunk& c : chunks) have.insert(c.index);
  uint32_t end = 0;
  if (f.chunk_bytes > 0) {
    *first = 0;
    end = static_cast<uint32_t>((f.size + f.chunk_bytes - 1) / f.chunk_bytes);
  } else {
    *first = have.empty() || *have.begin() == 0 ? 0 : 1;
    end = have.empty() ? (f.size > 0 ? *first + 1 : 0) : *have.rbegin() + 1;
  }
  *last = end == 0 ? 0 : end - 1;
  std::vector<uint32_t> missing;
  for (uint32_t i = *first; i < end; ++i) {
    if (!have.contains(i)) missing.push_back(i);
  }
  return missing;
}

std::string MissingMessage(const std::vector<uint32_t>& missing, uint32_t first, uint32_t last) {
  std::string list;
  for (size_t i = 0; i < missing.size() && i < kMissingShownMax; ++i) {
    if (!list.empty()) list += ", ";
    list += std::to_string(missing[i]);
  }
  if (missing.size() > kMissingShownMax) list += " and " + std::to_string(missing.size() - kMissingShownMax) + " more";
  return "Missing chunks: " + list + " (chunks " + std::to_string(first) + " to " + std::to_string(last) +
         " expected); nothing was completed";
}

}  // namespace

void FileService::Complete(const std::string& owner, const std::string& file_id, FileDone done) {
  if (!BlobDir::IsSafeId(file_id)) return done(Err(InvalidArgument("Invalid file id")));
  if (completing_.contains(file_id)) return done(Err(Conflict("A completion of this file is running")));
  if (Arriving(file_id)) return done(Err(Conflict("Chunks of this file are still arriving")));
  completing_.insert(file_id);
  FileDone finish = [this, file_id, done = std::move(done)](Result<store::FileRecord> r) {
    completing_.erase(file_id);
    done(std::move(r));
  };
  store_.GetFile(file_id, [this, owner, finish](Result<std::optional<store::FileRecord>> f) {
    if (!f) return finish(Err(FromStore(f.error(), "GetFile")));
    if (!f->has_value()) return finish(Err(NotFound("File not found")));
    store::FileRecord file = std::move(**f);
    if (file.owner != owner) return finish(Err(PermissionDenied("Unauthorized access to file")));
    if (file.state == store::FileState::kComplete) return finish(std::move(file));  // A repeat.
    if (file.expires_ms <= clock_.WallMs()) {
      return finish(Err(FailedPrecondition("The upload expired (FILE_UPLOAD_TTL_MS after its last chunk)")));
    }
    const std::string id = file.file_id;
    store_.ListFileChunks(id, [this, file = std::move(file), finish](Result<std::vector<store::FileChunk>> chunks) mutable {
      if (!chunks) return finish(Err(FromStore(chunks.error(), "ListFileChunks")));
      FinishComplete(std::move(file), std::move(*chunks), std::move(finish));
    });
  });
}

void FileService::FinishComplete(store::FileRecord file, std::vector<store::FileChunk> chunks, FileDone done) {
  uint32_t first = 0;
  uint32_t last = 0;
  const std::vector<uint32_t> missing = MissingChunks(file, chunks, &first, &last);
  if (!missing.empty()) return done(Err(InvalidArgument(MissingMessage(missing, first, last))));
  std::vector<PartRange> ranges;
  int64_t total = 0;
  for (const store::FileChunk& c : chunks) {
    ranges.push_back({c.offset, c.bytes});
    total += c.bytes;
  }
  if (total != file.size) {
    return done(Err(InvalidArgument("The chunks hold " + std::to_string(total) + " of the " +
                                    std::to_string(file.size) + " bytes declared; nothing was completed")));
  }
  // The running hash, when the chunks came in order from the start.
  std::optional<std::string> known;
  if (auto it = prefix_.find(file.file_id); it != prefix_.end() && !it->second.busy && it->second.end == file.size) {
    known = it->second.hash.FinishHex();
    prefix_.erase(it);
  }
  auto prepared = std::make_shared<BlobDir::Prepared>();
  // Copied out first: the second closure below takes `file` by move, and
  // the two are built in no fixed order.
  std::string id = file.file_id;
  std::string declared = file.declared_sha256;
  const int64_t size = file.size;
  OffLoop(
      [this, id = std::move(id), ranges = std::move(ranges), size, known = std::move(known),
       declared = std::move(declared), prepared]() -> Status {
        ASSIGN_OR_RETURN(*prepared, dir_.Prepare(id, ranges, size, known, declared));
        return Status::Ok();
      },
      [this, file = std::move(file), prepared, done = std::move(done)](Status st) mutable {
        if (!st.ok()) {
          if (st.code() == Code::kInternal) {
            spdlog::error("upload not completed{}", LogFields({{"file_id", file.file_id}, {"error", st.ToString()}}));
            st = Internal("completing the file failed");
          }
          return done(Err(st));
        }
        LinkAndRecord(std::move(file), std::move(*prepared), std::move(done));
      });
}

void FileService::LinkAndRecord(store::FileRecord file, BlobDir::Prepared prepared, FileDone done) {
  const std::string sha256 = prepared.sha256;
  if (auto it = removing_.find(sha256); it != removing_.end()) {
    // The same content is being removed: link once that is done.
    it->second.push_back([this, file = std::move(file), prepared = std::move(prepared), done = std::move(done)]() mutable {
      LinkAndRecord(std::move(file), std::move(prepared), std::move(done));
    });
    return;
  }
  pinned_.insert(sha256);
  auto unpin = [this, sha256] { pinned_.erase(pinned_.find(sha256)); };
  OffLoop([this, prepared] { return dir_.LinkBlob(prepared.path, prepared.sha256); },
          [this, file = std::move(file), sha256, unpin, done = std::move(done)](Status st) mutable {
            if (!st.ok()) {
              unpin();
              if (st.code() == Code::kInternal) st = Internal("completing the file failed");
              return done(Err(st));
            }
            const int64_t now_ms = clock_.WallMs();
            const std::string id = file.file_id;  // `file` moves into the callback.
            const std::string owner = file.owner;
            store_.CompleteFile(id, owner, sha256, now_ms,
                                [this, file = std::move(file), sha256, now_ms, unpin,
                                 done = std::move(done)](Result<store::FileCompleteOutcome> outcome) mutable {
                                  unpin();
                                  if (!outcome) return done(Err(FromStore(outcome.error(), "CompleteFile")));
                                  OffLoop([this, id = file.file_id] { return dir_.RemovePart(id); }, [](Status) {});
                                  file.state = store::FileState::kComplete;
                                  file.sha256 = sha256;
                                  file.received_bytes = file.size;
                                  file.expires_ms = 0;
                                  file.updated_ms = now_ms;
                                  if (on_complete_) on_complete_(file);
                                  done(std::move(file));
                                });
          });
}

}  // namespace sela::files
