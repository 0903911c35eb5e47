// Engine, part 3: the node side of the jobs scenario. A registered node
// answers every job the server pushes (TWITTER_SCRAPE) with a result
// (TWITTER_SCRAPE_RESULT), at once or after --result-delay-ms, and counts the
// server's verdict on each result (JobComplete, or JobFailed / Error).
#include "engine.h"

namespace loadgen {

void Engine::OnJobMessage(uint32_t id, ReplyKind kind, std::string_view payload) {
  switch (kind) {
    case ReplyKind::kJobDispatch:
      return OnJobDispatch(id, payload);
    case ReplyKind::kJobComplete:
      ++report_.jobs.results_acked;
      return;
    case ReplyKind::kJobFailed:
      ++report_.jobs.results_refused;
      return CountError("job_failed_reply");
    case ReplyKind::kRejected:
    case ReplyKind::kHandlerError:
      ++report_.jobs.results_refused;
      return CountError("error_reply");
    case ReplyKind::kHeartbeatAck:
      ++report_.heartbeat_acks;
      return;
    case ReplyKind::kRegistered:
      return CountError("repeated_registration_reply");
    case ReplyKind::kPingReply:
    case ReplyKind::kOther:
      return CountError("unexpected_message");
  }
}

void Engine::OnJobDispatch(uint32_t id, std::string_view payload) {
  ++report_.jobs.dispatches;
  const std::optional<std::string_view> job_id = RawStringMember(payload, "job_id");
  if (!job_id || job_id->empty()) return CountError("job_without_id");
  if (config_.result_delay_ns <= 0) return SendJobResult(id, *job_id);
  uint32_t slot = 0;
  if (!free_job_slots_.empty()) {
    slot = free_job_slots_.back();
    free_job_slots_.pop_back();
  } else if (delayed_job_ids_.size() < kDelayedResultsMax) {
    slot = static_cast<uint32_t>(delayed_job_ids_.size());
    delayed_job_ids_.emplace_back();
  } else {
    return CountError("job_results_backlog_full");
  }
  // assign() reuses the slot's capacity, so a warmed-up run allocates nothing.
  delayed_job_ids_[slot].assign(job_id->data(), job_id->size());
  AddTimer(id, config_.result_delay_ns, TimerKind::kJobResult, slot);
}

void Engine::OnDelayedResult(const Timer& timer) {
  const Conn& c = conns_[timer.conn];
  if (c.generation == timer.generation && c.state == State::kReady) {
    SendJobResult(timer.conn, delayed_job_ids_[timer.slot]);
  } else {
    CountError("job_result_not_sent");
  }
  free_job_slots_.push_back(timer.slot);
}

void Engine::SendJobResult(uint32_t id, std::string_view job_id_raw) {
  job_message_.clear();
  AppendScrapeResultMessage(principals_[id], job_id_raw, config_.result_data_literal, job_message_);
  job_frame_.clear();
  AppendClientFrame(Opcode::kText, job_message_, rng_.Next32(), job_frame_);
  Send(id, job_frame_);
  ++report_.jobs.results_sent;
}

}  // namespace loadgen
