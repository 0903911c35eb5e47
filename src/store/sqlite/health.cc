#include "store/sqlite/health.h"

#include <spdlog/spdlog.h>

#include "core/logging.h"
#include "store/sqlite/database.h"

namespace sela::store::sqlite {

StoreHealth::StoreHealth(std::string path, MetricsRegistry* metrics) : path_(std::move(path)) {
  if (metrics == nullptr) return;
  out_of_space_gauge_ = &metrics->GetGauge("sela_store_out_of_space",
                                           "1 while the store refuses writes for lack of disk space.");
  damaged_gauge_ = &metrics->GetGauge("sela_store_damaged", "1 once the store's file was found corrupt.");
  const char* help = "Store transactions that failed, by cause.";
  full_batches_ = &metrics->GetCounter("sela_store_failed_writes_total", help, "reason=\"out_of_space\"");
  damaged_batches_ = &metrics->GetCounter("sela_store_failed_writes_total", help, "reason=\"damaged\"");
}

void StoreHealth::AfterWrite(uint32_t faults) {
  if (faults & fault::kDamaged) {
    if (damaged_batches_) damaged_batches_->Inc();
    MarkDamaged("an operation met a corrupt page");
  }
  if (faults & fault::kFull) {
    if (full_batches_) full_batches_->Inc();
    if (!out_of_space_.exchange(true)) {
      if (out_of_space_gauge_) out_of_space_gauge_->Set(1);
      spdlog::error("store out of space: writes are refused (503) and the server is not ready until space is "
                    "freed{}",
                    LogFields({{"path", path_}}));
    }
  }
}

void StoreHealth::MarkWritable() {
  if (!out_of_space_.exchange(false)) return;
  if (out_of_space_gauge_) out_of_space_gauge_->Set(0);
  spdlog::info("store writable again{}", LogFields({{"path", path_}}));
}

void StoreHealth::MarkDamaged(std::string_view what) {
  if (damaged_.exchange(true)) return;
  if (damaged_gauge_) damaged_gauge_->Set(1);
  spdlog::critical("store file is corrupt: the server is not ready; restore it from a backup or repair it "
                   "(sqlite3 .recover){}",
                   LogFields({{"path", path_}, {"found_by", std::string(what)}}));
}

Status StoreHealth::Check() const {
  if (damaged()) return Internal("the store's file is damaged");
  if (out_of_space()) return Unavailable("the store is out of disk space");
  return Status::Ok();
}

}  // namespace sela::store::sqlite
