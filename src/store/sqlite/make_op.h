// MakeOp: a Store method's work as a PendingOp for the batch writer. Shared
// by the files that define SqliteStore's methods. Internal to store/sqlite.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "store/sqlite/batch_writer.h"
#include "store/sqlite/operations.h"
#include "store/store.h"

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
