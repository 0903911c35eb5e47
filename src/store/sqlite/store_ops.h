// MakeOp: a Store method's body and callback as a queued operation of the
// batch writer (batch_writer.h). Internal to the SQLite backend.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "store/sqlite/batch_writer.h"

namespace sela::store::sqlite {

template <typename T>
std::unique_ptr<PendingOp> MakeOp(const char* name, std::function<Result<T>(Operations&)> body,
                                  Store::Callback<T> done) {
  return std::make_unique<Operation<Result<T>>>(name, std::move(body), std::move(done));
}

inline std::unique_ptr<PendingOp> MakeOp(const char* name, std::function<Status(Operations&)> body,
                                         Store::Done done) {
  return std::make_unique<Operation<Status>>(name, std::move(body), std::move(done));
}

}  // namespace sela::store::sqlite
