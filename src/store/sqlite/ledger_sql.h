// SQL and row mapping shared by the ledger's operations
// (operations_ledger.cc, operations_ledger_read.cc, operations_referrals.cc).
// Internal to the SQLite backend.
#pragma once

#include <cstdint>
#include <string>

#include "store/ledger.h"
#include "store/sqlite/database.h"

namespace sela::store::sqlite {

// The columns of a TransferRecord, in the order ReadTransfer() reads and
// BindTransfer() binds them (credited_units and seq are read only).
#define SELA_TRANSFER_COLUMNS                                                                 \
  "id, kind, principal, amount_units, cap_window, cap_kinds, cap_units, day, created_ms, "    \
  "run_id, job_id, referee, minutes, tier, base_units, bonus_units, share_bp, credited_units, " \
  "seq"

inline constexpr int kTransferBoundColumns = 17;

inline TransferRecord ReadTransfer(const Query& q) {
  TransferRecord r;
  Transfer& t = r.transfer;
  t.id = q.Text(0);
  t.kind = static_cast<RewardKind>(q.Int64(1));
  t.principal = q.Text(2);
  t.amount_units = q.Int64(3);
  t.cap.window = static_cast<TransferCap::Window>(q.Int64(4));
  t.cap.kinds = static_cast<uint32_t>(q.Int64(5));
  t.cap.limit_units = q.Int64(6);
  t.day = q.Text(7);
  t.created_ms = q.Int64(8);
  t.run_id = q.Text(9);
  t.job_id = q.Text(10);
  t.referee = q.Text(11);
  t.minutes = q.Int64(12);
  t.tier = static_cast<uint32_t>(q.Int64(13));
  t.base_units = q.Int64(14);
  t.bonus_units = q.Int64(15);
  t.share_bp = static_cast<uint32_t>(q.Int64(16));
  r.credited_units = q.Int64(17);
  r.seq = q.Int64(18);
  return r;
}

// Binds the transfer's columns as ?1..?17 (SELA_TRANSFER_COLUMNS order).
inline void BindTransfer(Query& q, const Transfer& t) {
  q.BindText(1, t.id).BindInt(2, static_cast<int64_t>(t.kind)).BindText(3, t.principal);
  q.BindInt(4, t.amount_units).BindInt(5, static_cast<int64_t>(t.cap.window));
  q.BindInt(6, t.cap.kinds).BindInt(7, t.cap.limit_units).BindText(8, t.day);
  q.BindInt(9, t.created_ms).BindText(10, t.run_id).BindText(11, t.job_id);
  q.BindText(12, t.referee).BindInt(13, t.minutes).BindInt(14, t.tier);
  q.BindInt(15, t.base_units).BindInt(16, t.bonus_units).BindInt(17, t.share_bp);
}

// "YYYY-MM-01" and "YYYY-MM-31" of a day's month: every day of the month
// sorts between them (days are validated dates).
inline std::string MonthFirstDay(const std::string& day) { return day.substr(0, 8) + "01"; }
inline std::string MonthLastDay(const std::string& day) { return day.substr(0, 8) + "31"; }

}  // namespace sela::store::sqlite
