// sqlite_job_cost: prints SQLite's work per job in the store (see
// job_cost.h), one line per batch size.
//
//   sqlite_job_cost [--jobs N] [--jobs-per-batch 1,8,64,256] [--clients N]
//                   [--result-bytes N] [--wal-checkpoint-pages N] [--idempotency-keys]
//                   [--rewards]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bench/job_cost.h"

namespace {

using sela::store::sqlite::JobCostOptions;

bool ParseCount(std::string_view text, uint32_t& out) {
  char* end = nullptr;
  const std::string copy(text);
  const unsigned long value = std::strtoul(copy.c_str(), &end, 10);
  if (copy.empty() || *end != '\0' || value == 0 || value > 100'000'000) return false;
  out = static_cast<uint32_t>(value);
  return true;
}

bool ParseList(std::string_view text, std::vector<uint32_t>& out) {
  out.clear();
  while (!text.empty()) {
    const size_t comma = text.find(',');
    uint32_t value = 0;
    if (!ParseCount(text.substr(0, comma), value)) return false;
    out.push_back(value);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return !out.empty();
}

bool ParseArgs(int argc, char** argv, JobCostOptions& options, std::vector<uint32_t>& batches) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::string_view value = i + 1 < argc ? argv[i + 1] : "";
    bool ok = true;
    if (arg == "--idempotency-keys") {
      options.idempotency_keys = true;
      continue;
    } else if (arg == "--rewards") {
      options.rewards = true;
      continue;
    } else if (arg == "--jobs") {
      ok = ParseCount(value, options.jobs);
    } else if (arg == "--jobs-per-batch") {
      ok = ParseList(value, batches);
    } else if (arg == "--clients") {
      ok = ParseCount(value, options.clients);
    } else if (arg == "--result-bytes") {
      ok = ParseCount(value, options.result_bytes);
    } else if (arg == "--wal-checkpoint-pages") {
      ok = ParseCount(value, options.wal_checkpoint_pages);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "sqlite_job_cost: bad argument %s %s\n", argv[i],
                   std::string(value).c_str());
      return false;
    }
    ++i;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  JobCostOptions options;
  std::vector<uint32_t> batches = {1, 8, 64, 256};
  if (!ParseArgs(argc, argv, options, batches)) return 2;
  std::string dir = (std::filesystem::temp_directory_path() / "sela_job_cost_XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("sqlite_job_cost: mkdtemp");
    return 1;
  }
  int status = 0;
  for (size_t i = 0; i < batches.size() && status == 0; ++i) {
    options.jobs_per_batch = batches[i];
    options.dir = dir + "/" + std::to_string(i);
    std::filesystem::create_directories(options.dir);
    const auto cost = sela::store::sqlite::MeasureJobCost(options);
    if (cost.has_value()) {
      std::printf("%s\n", sela::store::sqlite::FormatJobCost(options, *cost).c_str());
    } else {
      std::fprintf(stderr, "sqlite_job_cost: %s\n", cost.error().ToString().c_str());
      status = 1;
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return status;
}
