// Chunks in transit and completion (see file_service.h). A chunk's bytes
// are checked against the store first (who owns the file, where the chunk
// goes, whether it came before), then written piece by piece off the loop,
// one piece in flight at a time, each hashed on the way; only when the last
// piece is on disk and the hash is right is the chunk recorded.
#include <spdlog/spdlog.h>

#include <climits>
#include <deque>
#include <utility>

#include "core/logging.h"
#include "files/file_service.h"

namespace sela::files {

struct ChunkState {
  FileService* service = nullptr;
  std::shared_ptr<bool> alive;
  std::string owner;
  std::string file_id;
  uint32_t index = 0;
  int64_t bytes = 0;  // Declared length.
  std::string declared_sha256;

  enum class Phase : uint8_t { kChecking, kWriting, kRecording, kDone };
  Phase phase = Phase::kChecking;
  // Failed or cancelled, waiting for the piece in flight before it is done.
  bool dying = false;
  Status failure;               // The first failure (ok when cancelled).
  std::optional<store::FileChunk> earlier;  // A repeat: the recorded chunk.
  int64_t offset = 0;           // Where the chunk goes in the part file.
  bool borrowed_prefix = false; // `prefix` is the file's running hash.
  int checks_pending = 2;
  std::optional<store::FileRecord> file;

  // Loop-side buffers.
  std::string filling;
  std::deque<std::string> ready;
  size_t buffered = 0;          // filling + ready + the piece in flight.
  int64_t appended = 0;
  int64_t submitted = 0;        // Bytes handed to the disk so far.
  bool in_flight = false;
  bool finished = false;
  bool wants_space = false;
  std::function<void()> on_space;
  std::function<void(Status)> on_failure;
  std::function<void(Result<ChunkReceipt>)> done;

  // The chunk is hashed when the client declared its hash (to check it) or
  // when it repeats a chunk recorded with a hash. Otherwise a repeat is
  // compared with what is on disk.
  bool hash_chunk = false;
  // Disk-side: touched by one piece's task at a time (tasks of one chunk
  // never overlap; the pool's queue orders them after the loop's writes).
  Sha256 chunk_hash;
  bool differs = false;  // A repeat's bytes are not the recorded chunk's.
  std::optional<Sha256> prefix;
  FileHandle part;
};

namespace {

using State = ChunkState;

std::string Bytes(int64_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

}  // namespace

// ---- FileService side -----------------------------------------------------

Result<std::unique_ptr<ChunkUpload>> FileService::BeginChunk(const std::string& owner,
                                                             const std::string& file_id,
                                                             uint32_t index, int64_t bytes,
                                                             std::string declared_sha256) {
  if (!BlobDir::IsSafeId(file_id)) return Err(InvalidArgument("Invalid file id"));
  if (index >= options_.chunks_max) {
    return Err(InvalidArgument("chunk_index " + std::to_string(index) + " is out of range: 0 to " +
                               std::to_string(options_.chunks_max - 1) + " (FILE_CHUNKS_MAX)"));
  }
  if (bytes < 1) return Err(InvalidArgument("chunk_data is required: a chunk has at least one byte"));
  if (bytes > options_.chunk_bytes_max) {
    return Err(InvalidArgument("A chunk of " + Bytes(bytes) + " is over FILE_CHUNK_BYTES_MAX (" +
                               Bytes(options_.chunk_bytes_max) + ")"));
  }
  if (!declared_sha256.empty() && !IsSha256Hex(declared_sha256)) {
    return Err(InvalidArgument("The chunk's sha256 must be 64 lowercase hex digits"));
  }
  if (completing_.contains(file_id)) return Err(Conflict("The upload is being completed"));
  if (arriving_.contains({file_id, index})) {
    return Err(Conflict("Chunk " + std::to_string(index) + " of this file is arriving already"));
  }
  auto state = std::make_shared<State>();
  state->service = this;
  state->alive = alive_;
  state->owner = owner;
  state->file_id = file_id;
  state->index = index;
  state->bytes = bytes;
  state->declared_sha256 = std::move(declared_sha256);
  arriving_.insert({file_id, index});
  auto checked = [this, state] {
    if (--state->checks_pending == 0) CheckChunk(state);
  };
  store_.GetFile(file_id, [state, checked](Result<std::optional<store::FileRecord>> f) {
    if (!*state->alive) return;
    if (!f) {
      state->service->FailChunk(state, FromStore(f.error(), "GetFile"));
    } else if (!f->has_value()) {
      state->service->FailChunk(state, NotFound("File not found"));
    } else {
      state->file = std::move(**f);
    }
    checked();
  });
  store_.GetFileChunk(file_id, index, [state, checked](Result<std::optional<store::FileChunk>> c) {
    if (!*state->alive) return;
    if (!c) {
      state->service->FailChunk(state, FromStore(c.error(), "GetFileChunk"));
    } else {
      state->earlier = std::move(*c);
    }
    checked();
  });
  return std::unique_ptr<ChunkUpload>(new ChunkUpload(state));
}

Status FileService::ChunkPlace(const State& s, const store::FileRecord& f, int64_t* offset) const {
  const std::string n = std::to_string(s.index);
  if (f.chunk_bytes > 0) {
    const int64_t start = static_cast<int64_t>(s.index) * f.chunk_bytes;
    const int64_t expected = std::min(f.chunk_bytes, f.size - start);
    if (start >= f.size) {
      return InvalidArgument("chunk_index " + n + " is out of range: the file has " +
                             std::to_string((f.size + f.chunk_bytes - 1) / f.chunk_bytes) + " chunks");
    }
    if (s.bytes != expected) {
      return InvalidArgument("Chunk " + n + " must be " + Bytes(expected) + " (size " + std::to_string(f.size) +
                             ", chunk_size " + std::to_string(f.chunk_bytes) + "), not " + Bytes(s.bytes));
    }
    *offset = start;
    return Status::Ok();
  }
  // Without a layout, chunks are appended as they come, one at a time.
  const auto first = arriving_.lower_bound({f.file_id, INT64_MIN});
  const auto second = first == arriving_.end() ? first : std::next(first);
  if (second != arriving_.end() && second->first == f.file_id) {
    return Conflict("Another chunk of this file is arriving: without chunk_size, send chunks one at a time");
  }
  if (f.received_bytes + s.bytes > f.size) {
    return InvalidArgument("Chunk " + n + " of " + Bytes(s.bytes) + " would pass the file's size: " +
                           std::to_string(f.received_bytes) + " of " + Bytes(f.size) + " received");
  }
  *offset = f.received_bytes;
  return Status::Ok();
}

void FileService::CheckChunk(const std::shared_ptr<State>& s) {
  if (s->phase != State::Phase::kChecking) return;  // Failed or cancelled meanwhile.
  const store::FileRecord& f = *s->file;
  const int64_t now_ms = clock_.WallMs();
  Status st;
  if (f.owner != s->owner) {
    st = PermissionDenied("Unauthorized access to file");
  } else if (f.state == store::FileState::kComplete) {
    st = FailedPrecondition("The upload is complete: the file takes no more chunks");
  } else if (f.expires_ms <= now_ms) {
    st = FailedPrecondition("The upload expired (FILE_UPLOAD_TTL_MS after its last chunk)");
  } else if (!s->earlier) {
    st = ChunkPlace(*s, f, &s->offset);
  }
  if (!st.ok()) return FailChunk(s, st);
  if (!s->earlier) {
    // The file's running hash goes with the chunk that extends it.
    auto it = prefix_.find(f.file_id);
    if (it == prefix_.end() && s->offset == 0) it = prefix_.emplace(f.file_id, PrefixHash{}).first;
    if (it != prefix_.end() && !it->second.busy && it->second.end == s->offset) {
      it->second.busy = true;
      s->prefix = std::move(it->second.hash);
      s->borrowed_prefix = true;
    }
  }
  s->hash_chunk = !s->declared_sha256.empty() || (s->earlier && !s->earlier->sha256.empty());
  if (s->earlier) s->offset = s->earlier->offset;
  s->phase = State::Phase::kWriting;
  PumpChunk(s);
}

void FileService::PumpChunk(const std::shared_ptr<State>& s) {
  if (s->phase != State::Phase::kWriting || s->dying || s->in_flight) return;
  if (s->ready.empty() && s->finished && !s->filling.empty()) {
    s->ready.push_back(std::move(s->filling));
    s->filling.clear();
  }
  if (s->ready.empty()) {
    if (s->finished && s->submitted == s->bytes) RecordChunk(s);
    return;
  }
  std::string piece = std::move(s->ready.front());
  s->ready.pop_front();
  s->in_flight = true;
  const int64_t offset = s->offset + s->submitted;
  s->submitted += static_cast<int64_t>(piece.size());
  const size_t size = piece.size();
  const bool write = !s->earlier.has_value();
  const bool compare = s->earlier.has_value() && s->earlier->sha256.empty();
  const bool last = s->submitted == s->bytes;  // The chunk's last piece.
  const bool queued = io_.Submit([this, s, piece = std::move(piece), offset, size, write, compare, last]() mutable {
    Status st;
    if ((write || compare) && !s->part.open()) {
      Result<FileHandle> part = dir_.OpenPart(s->file_id);
      if (part) s->part = std::move(*part);
      else st = part.error();
    }
    if (st.ok() && write) st = dir_.WriteAt(s->part, offset, piece);
    // The whole chunk is written: its writeback starts now, while the next
    // chunks arrive, rather than all at once in the completion's fdatasync.
    if (st.ok() && write && last) dir_.StartWriteback(s->part, s->offset, s->bytes);
    if (st.ok() && compare && !s->differs) {
      // A repeat of a chunk recorded without a hash: the same bytes as on disk?
      Result<std::string> stored = dir_.ReadAt(s->part, offset, size);
      if (!stored) st = stored.error();
      else s->differs = *stored != piece;
    }
    if (st.ok()) {
      if (s->hash_chunk) s->chunk_hash.Update(piece);
      if (s->prefix) s->prefix->Update(piece);
    }
    // The buffer goes back to the loop to carry another piece: no
    // allocation (and no fresh pages to fault in) per piece.
    post_([this, s, st, size, piece = std::move(piece)]() mutable {
      if (!*s->alive) return;
      RecyclePiece(std::move(piece));
      OnPieceWritten(s, st, size);
    });
  });
  if (!queued) {
    s->in_flight = false;
    FailChunk(s, Unavailable("the disk queue is full"));
  }
}

void FileService::OnPieceWritten(const std::shared_ptr<State>& s, const Status& st, size_t size) {
  s->in_flight = false;
  s->buffered -= size;
  if (!st.ok()) {
    if (st.code() != Code::kResourceExhausted) {
      spdlog::error("chunk not written{}", LogFields({{"file_id", s->file_id}, {"error", st.ToString()}}));
    }
    return FailChunk(s, st.code() == Code::kResourceExhausted ? st : Internal("writing the chunk failed"));
  }
  if (s->dying) return FailChunk(s, Status());
  if (s->wants_space && s->buffered <= options_.stream_buffer_bytes / 2) {
    s->wants_space = false;
    if (s->on_space) s->on_space();
  }
  PumpChunk(s);
}

void FileService::RecordChunk(const std::shared_ptr<State>& s) {
  s->phase = State::Phase::kRecording;
  s->part = FileHandle();
  store::FileChunk chunk{.index = s->index, .offset = s->offset, .bytes = s->bytes,
                         .sha256 = s->hash_chunk ? s->chunk_hash.FinishHex() : std::string()};
  if (!s->declared_sha256.empty() && s->declared_sha256 != chunk.sha256) {
    return FailChunk(s, InvalidArgument("Chunk " + std::to_string(s->index) + ": SHA-256 mismatch: declared " +
                                        s->declared_sha256 + ", received " + chunk.sha256));
  }
  if (s->earlier) {
    const bool same_hash = s->earlier->sha256.empty() || s->earlier->sha256 == chunk.sha256;
    if (s->earlier->bytes != chunk.bytes || !same_hash || s->differs) {
      return FailChunk(s, Conflict("Chunk " + std::to_string(s->index) +
                                   " was received before with different content"));
    }
    chunk = *s->earlier;
  }
  store_.PutFileChunk(s->file_id, s->owner, chunk, clock_.WallMs(), options_.upload_ttl_ms,
                      [this, s, chunk](Result<store::ChunkOutcome> outcome) {
                        if (!*s->alive) return;
                        if (!outcome) return FailChunk(s, FromStore(outcome.error(), "PutFileChunk"));
                        ReleaseChunk(s, true);
                        s->phase = State::Phase::kDone;
                        if (s->done) s->done(ChunkReceipt{*outcome, chunk});
                      });
}

void FileService::ReleaseChunk(const std::shared_ptr<State>& s, bool recorded) {
  arriving_.erase({s->file_id, s->index});
  if (!s->borrowed_prefix) return;
  s->borrowed_prefix = false;
  auto it = prefix_.find(s->file_id);
  if (it == prefix_.end()) return;  // The upload went meanwhile.
  if (recorded && s->prefix) {
    it->second.hash = std::move(*s->prefix);
    it->second.end += s->bytes;
    it->second.busy = false;
  } else {
    // Part of the chunk may be on disk: the running hash is no longer the
    // file's. Completion reads the file instead.
    prefix_.erase(it);
  }
}

void FileService::FailChunk(const std::shared_ptr<State>& s, const Status& st) {
  if (s->phase == State::Phase::kDone) return;
  const bool first = !s->dying;
  s->dying = true;
  if (s->failure.ok() && !st.ok()) s->failure = st;
  s->ready.clear();
  s->filling.clear();
  // Tell the receiver at once, so that it answers without reading the rest.
  if (first && !s->failure.ok() && s->on_failure) std::exchange(s->on_failure, nullptr)(s->failure);
  if (s->in_flight) return;  // The piece on its way reports back, then we finish.
  s->phase = State::Phase::kDone;
  s->part = FileHandle();
  ReleaseChunk(s, false);
  if (!s->failure.ok() && s->done) std::exchange(s->done, nullptr)(Err(s->failure));
}

std::string FileService::TakePiece() {
  if (piece_pool_.empty()) {
    std::string piece;
    piece.reserve(options_.piece_bytes);
    return piece;
  }
  std::string piece = std::move(piece_pool_.back());
  piece_pool_.pop_back();
  return piece;
}

void FileService::RecyclePiece(std::string piece) {
  if (piece_pool_.size() >= kPiecePoolMax || piece.capacity() < options_.piece_bytes) return;
  piece.clear();
  piece_pool_.push_back(std::move(piece));
}

// ---- ChunkUpload ----------------------------------------------------------

ChunkUpload::~ChunkUpload() {
  State& s = *state_;
  s.on_space = nullptr;
  s.on_failure = nullptr;
  s.done = nullptr;
  if (s.phase == State::Phase::kDone || !*s.alive) return;
  if (s.phase == State::Phase::kRecording) return;  // The store decides; nobody listens.
  s.service->FailChunk(state_, Status());
}

bool ChunkUpload::Append(std::string_view bytes) {
  State& s = *state_;
  if (s.phase == State::Phase::kDone || s.dying || s.finished) return true;
  const FileOptions& o = s.service->options();
  if (s.appended + static_cast<int64_t>(bytes.size()) > s.bytes) {
    s.service->FailChunk(state_, InvalidArgument("The chunk is longer than declared"));
    return true;
  }
  s.appended += static_cast<int64_t>(bytes.size());
  s.buffered += bytes.size();
  while (!bytes.empty()) {
    const size_t take = std::min(bytes.size(), o.piece_bytes - s.filling.size());
    // An empty string still has room for a few bytes (its small-string
    // buffer): a piece is taken whenever the one filling is not a piece
    // yet. (It tested capacity() == 0, which is never true: every piece
    // grew by appends, reallocating and faulting in fresh pages, and the
    // pool was never used; docs/BENCHMARKS.md, file upload.)
    if (s.filling.capacity() < o.piece_bytes) s.filling = s.service->TakePiece();
    s.filling.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (s.filling.size() == o.piece_bytes) {
      s.ready.push_back(std::move(s.filling));
      s.filling = std::string();
    }
  }
  s.service->PumpChunk(state_);
  if (s.buffered < o.stream_buffer_bytes) return true;
  s.wants_space = true;
  return false;
}

void ChunkUpload::OnSpace(std::function<void()> fn) { state_->on_space = std::move(fn); }
void ChunkUpload::OnFailure(std::function<void(Status)> fn) { state_->on_failure = std::move(fn); }

void ChunkUpload::Finish(std::function<void(Result<ChunkReceipt>)> done) {
  State& s = *state_;
  if (s.phase == State::Phase::kDone || s.dying) {
    if (s.phase == State::Phase::kDone && !s.failure.ok()) done(Err(s.failure));
    else s.done = std::move(done);
    return;
  }
  s.done = std::move(done);
  s.finished = true;
  if (s.appended != s.bytes) {
    return s.service->FailChunk(state_, InvalidArgument("The chunk is shorter than declared"));
  }
  s.service->PumpChunk(state_);
}

}  // namespace sela::files
