// Templates shared by redis_store.cc and redis_store_jobs.cc (private to
// the Redis store).
#pragma once

#include <utility>

#include "store/redis/redis_store.h"

namespace sela::store {
namespace redis_detail {

// What an operation's reply says: an error reply or a script's refusal as a
// Status, else the payload (for a script: the whole array, values from
// element 1).
Result<const redisReply*> Payload(const Result<redis::Reply>& reply, bool script, const char* what);

}  // namespace redis_detail

// Unavailable "<what>: not implemented on the Redis backend yet".
Status NotYetStatus(const char* what);

namespace redis_detail {

}  // namespace redis_detail

template <typename T>
void RedisStore::Answer(Callback<T> done, Status status) {
  Fill(NewSlot(), [done = std::move(done), status = std::move(status)] { done(Err(status)); });
}

template <typename T>
void RedisStore::NotYet(Callback<T> done, const char* what) {
  OnLoop([this, done = std::move(done), what]() mutable { Answer(std::move(done), NotYetStatus(what)); });
}

template <typename T>
void RedisStore::Send(Callback<T> done, std::string command, Kind kind, const char* what, Decoder<T> decode) {
  if (slots_.size() >= options_.pending_ops_max) {
    post_([done = std::move(done), what] {
      done(Err(ResourceExhausted(std::string(what) + ": too many Redis operations waiting")));
    });
    return;
  }
  const uint64_t seq = NewSlot();
  auto on_reply = [this, seq, done, what, kind, decode = std::move(decode)](Result<redis::Reply> reply) {
    Result<T> out = [&]() -> Result<T> {
      ASSIGN_OR_RETURN(const redisReply* payload, redis_detail::Payload(reply, kind == Kind::kScript, what));
      return decode(payload);
    }();
    Fill(seq, [done, out = std::move(out)]() mutable { done(std::move(out)); });
  };
  if (main_->Send(std::move(command), kind, std::move(on_reply))) {
    ++commands_sent_;
    return;
  }
  Fill(seq, [done = std::move(done), st = Unreachable()] { done(Err(st)); });
}

// Lists read a page at a time: each page's command is sent when the one
// before has answered, and the operation's place in the delivery order is
// `seq` throughout.
template <typename Item>
void RedisStore::Pages(uint64_t seq, Callback<std::vector<Item>> done, std::shared_ptr<std::vector<Item>> items,
                       std::function<std::string(const std::string& after)> page, const char* what,
                       std::function<Status(const redisReply*, std::vector<Item>&)> decode_item,
                       std::string after) {
  auto on_reply = [this, seq, done, items, page, what, decode_item](Result<redis::Reply> reply) mutable {
    Status status = [&]() -> Status {
      ASSIGN_OR_RETURN(const redisReply* payload, redis_detail::Payload(reply, true, what));
      const redisReply* list = redis::Element(payload, 1);
      if (!redis::IsArray(list) || list->elements % 2 != 0) return Internal(std::string(what) + ": malformed page");
      for (size_t i = 0; i + 1 < list->elements; i += 2) RETURN_IF_ERROR(decode_item(list->element[i + 1], *items));
      if (list->elements / 2 < options_.page_size) return Status::Ok();
      // A full page: there may be more after its last score.
      Pages<Item>(seq, std::move(done), std::move(items), std::move(page), what, std::move(decode_item),
                  std::string(redis::Text(list->element[list->elements - 2])));
      done = nullptr;
      return Status::Ok();
    }();
    if (!done) return;  // The next page carries on.
    if (status.ok()) {
      Fill(seq, [done, items] { done(std::move(*items)); });
    } else {
      Fill(seq, [done, status] { done(Err(status)); });
    }
  };
  if (main_->Send(page(after), Kind::kScript, std::move(on_reply))) {
    ++commands_sent_;
    return;
  }
  Fill(seq, [done = std::move(done), st = Unreachable()] { done(Err(st)); });
}

}  // namespace sela::store
