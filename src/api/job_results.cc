// Large results (ARCHITECTURE.md §6; issue 13): a result may arrive as an
// uploaded file that the node names in its TWITTER_SCRAPE_RESULT, and a
// result too large for either path fails its job at once with an error that
// names the limit, instead of getting the node disconnected and the job
// retried until it runs out of attempts.
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <algorithm>

#include "api/job_service.h"
#include "core/logging.h"
#include "protocol/v1_encode.h"

namespace sela::api {

namespace v1 = protocol::v1;

namespace {

constexpr std::string_view kErrorTypeTooLarge = "RESULT_TOO_LARGE";
constexpr std::string_view kErrorTypeInvalidResult = "INVALID_RESULT";

bool IsTextual(std::string_view content_type) {
  const std::string_view type = content_type.substr(0, content_type.find(';'));
  return type == "application/json" || type.starts_with("text/");
}

}  // namespace

void JobService::OnResultTooLarge(std::string_view principal, std::string_view client_id, const std::string& job_id,
                                  uint64_t bytes, uint64_t limit, Reply reply) {
  // As OnResult: the lease belongs to the session it was sent to, not to
  // every session of its principal.
  const store::JobRecord* open = engine_.Find(job_id);
  const auto attempt = engine_.HeldBy(job_id, principal);
  if (!attempt || open->node_client_id != client_id) {
    m_.results_refused->Inc();
    reply({.kind = ResultOutcome::Kind::kNotLeased});
    return;
  }
  std::string error = "Result of " + std::to_string(bytes) + " bytes is over WS_MAX_MESSAGE_BYTES (" +
                      std::to_string(limit) +
                      " bytes): upload it as a file (POST /api/files with the job_id) and report its file_id";
  engine_.BeginSettle(job_id);
  FailInStore(job_id, store::JobFailure{*attempt, store::FailureReason::kTooLarge, error});
  reply({.kind = ResultOutcome::Kind::kRefused, .detail = std::move(error), .error_type = kErrorTypeTooLarge});
}

void JobService::OnResultFileTooLarge(std::string_view principal, const std::string& job_id, int64_t bytes,
                                      int64_t limit) {
  const auto attempt = engine_.HeldBy(job_id, principal);
  if (!attempt) return;
  engine_.BeginSettle(job_id);
  FailInStore(job_id, store::JobFailure{*attempt, store::FailureReason::kTooLarge,
                                        "Result file of " + std::to_string(bytes) + " bytes is over FILE_BYTES_MAX (" +
                                            std::to_string(limit) + " bytes)"});
}

void JobService::RefuseFileResult(const std::string& job_id, std::string_view why,
                                  const Reply& reply) {
  m_.results_refused->Inc();
  AbortSettle(job_id);
  reply({.kind = ResultOutcome::Kind::kRefused, .detail = "Result file: " + std::string(why), .error_type = kErrorTypeInvalidResult});
}

void JobService::OnFileResult(std::string principal, uint32_t attempt, const std::string& job_id,
                              std::string file_id, Reply reply) {
  if (!files_) {
    m_.results_refused->Inc();
    reply({.kind = ResultOutcome::Kind::kRefused, .detail = "Result file: files are not served here", .error_type = kErrorTypeInvalidResult});
    return;
  }
  engine_.BeginSettle(job_id);
  files_->Get(file_id, [this, principal = std::move(principal), attempt, job_id,
                        reply = std::move(reply)](Result<std::optional<store::FileRecord>> file) mutable {
    if (!file) return RefuseFileResult(job_id, file.error().message(), reply);
    if (!*file) return RefuseFileResult(job_id, "no such file", reply);
    const store::FileRecord& f = **file;
    if (f.owner != principal || f.job_id != job_id) {
      return RefuseFileResult(job_id, "the file is not this node's file of this job", reply);
    }
    if (f.state != store::FileState::kComplete) return RefuseFileResult(job_id, "the upload is not complete", reply);
    auto analysis = std::make_shared<jobs::ResultAnalysis>();
    if (f.size > result_inline_bytes_max_ || !IsTextual(f.content_type)) {
      // Priced by its size alone: not read, not handed to waiters.
      analysis->file_size_kb = (f.size + 1023) / 1024;
      analysis->price_cents = jobs::PriceCents(analysis->file_size_kb, 0);
      return CommitFileResult(std::move(principal), attempt, job_id, std::move(**file), analysis, nullptr, nullptr,
                              std::move(reply));
    }
    const std::string sha256 = f.sha256;
    const int64_t size = f.size;
    files_->ReadBlob(sha256, size, [this, principal = std::move(principal), attempt, job_id, file = std::move(**file),
                                    analysis, reply = std::move(reply)](Result<std::string> bytes) mutable {
      if (!bytes) return RefuseFileResult(job_id, "it cannot be read", reply);
      // Parsing and pricing a result of megabytes runs off the loop.
      auto shared_bytes = std::make_shared<const std::string>(std::move(*bytes));
      auto content = std::make_shared<boost::json::value>();
      const std::string job_type = engine_.Find(job_id) ? engine_.Find(job_id)->job_type : std::string();
      const bool json = file.content_type.starts_with("application/json");
      files_->RunOffLoop(
          [shared_bytes, content, analysis, job_type, json] {
            boost::system::error_code ec;
            if (json) *content = boost::json::parse(*shared_bytes, ec);
            if (!json || ec) *content = boost::json::string(*shared_bytes);
            *analysis = jobs::AnalyzeResult(job_type, *content);
            analysis->bytes.clear();  // The bytes are the file's.
            return Status::Ok();
          },
          [this, principal = std::move(principal), attempt, job_id, file = std::move(file), analysis, content,
           shared_bytes, reply = std::move(reply)](Status st) mutable {
            if (!st.ok()) return RefuseFileResult(job_id, "the server is busy; report it again", reply);
            CommitFileResult(std::move(principal), attempt, job_id, std::move(file), analysis, std::move(content),
                             std::move(shared_bytes), std::move(reply));
          });
    });
  });
}

void JobService::CommitFileResult(std::string principal, uint32_t attempt, const std::string& job_id,
                                  store::FileRecord file, std::shared_ptr<jobs::ResultAnalysis> analysis,
                                  std::shared_ptr<const boost::json::value> content,
                                  std::shared_ptr<const std::string> bytes, Reply reply) {
  const store::JobRecord* open = engine_.Find(job_id);
  if (!open) {
    m_.results_refused->Inc();
    reply({.kind = ResultOutcome::Kind::kNotLeased});
    return;
  }
  if (engine_.HeldBy(job_id, principal) != std::optional<uint32_t>(attempt)) {
    // The lease ended while the file was read (its node went offline): the
    // job is open again, or its lease ends now.
    m_.results_refused->Inc();
    AbortSettle(job_id);
    reply({.kind = ResultOutcome::Kind::kNotLeased});
    return;
  }
  if (analysis->empty) {
    FailEmptyResult(job_id, attempt, std::move(reply));
    return;
  }
  const int64_t now_ms = clock_.WallMs();
  store::JobCompletion completion;
  completion.node_principal = std::move(principal);
  completion.attempt = attempt;
  completion.result_hash = file.sha256;
  completion.result_content_type = file.content_type;
  completion.result_file_id = file.file_id;
  completion.reward = RewardFor(*open, now_ms);
  completion.price_cents = analysis->price_cents;
  completion.objects_count = analysis->objects_count;
  completion.file_size_kb = analysis->file_size_kb;
  Completing completing{*open, std::move(content), std::move(bytes), std::move(reply)};
  store::ApplyCompletion(completion, now_ms, completing.job);
  completing.job.result_bytes = file.size;  // The file's, not the (empty) inline result's.
  store_.CompleteJob(job_id, completion, now_ms,
                     [this, completing = std::move(completing)](Result<store::CompletedJob> outcome) mutable {
                       OnCompletionStored(std::move(completing), std::move(outcome));
                     });
}

}  // namespace sela::api
