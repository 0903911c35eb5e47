// The customer API `/api/rpc/*` (reference rest-api.md §2.3, §3, §4),
// compatible on the wire, minus the defects of §8: keys from a CSPRNG stored
// only as hashes and never shown again, no key re-issued to whoever asks,
// the usage limit counted atomically, the kinds allow-list, a cap on
// timeoutMs, jobs from addJob delivered too, Idempotency-Key on job-creating
// POSTs, and every system/admin route behind ADMIN_TOKEN.
// docs/REST-RPC.md describes every route.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>

#include "api/job_service.h"
#include "api/rest_table.h"
#include "core/clock.h"
#include "core/config.h"
#include "net/router.h"
#include "api/security_events.h"
#include "nodes/registry.h"
#include "store/store.h"

namespace sela::api {

struct RpcRoutesOptions {
  RestOptions rest;
  int64_t usage_limit = 10'000;           // USAGE_LIMIT, given to new API clients.
  int64_t scrape_timeout_default_ms = 60'000;
  int64_t scrape_timeout_max_ms = 900'000;  // SCRAPE_TIMEOUT_MAX_MS
  std::size_t url_bytes_max = 4096;
  bool allow_private_urls = false;        // ALLOW_PRIVATE_URLS: job URLs may name private hosts.
  std::size_t uuid_bytes_max = 256;
  std::size_t idempotency_key_bytes_max = 255;
  uint32_t job_list_max = 1000;           // Jobs listed by /jobs and /pendingJobs at most.
  // RESULT_INLINE_BYTES_MAX: a result file up to this size is returned in
  // JSON answers (scrapeUrl, getFileContent); larger ones are referenced.
  int64_t result_inline_bytes_max = int64_t{16} << 20;
  int64_t market_recent_ms = 7 * 86'400'000;  // R17 recentJobsCount: completed within this.
  std::size_t market_search_bytes_max = 256;
  std::size_t key_cache_max = 100'000;    // API keys remembered (hash → uuid).

  static RpcRoutesOptions FromConfig(const Config& config);
};

struct RpcRoutesDeps {
  const Clock& clock;
  store::Store& store;
  nodes::NodeRegistry& registry;
  JobService& jobs;
  // Results that came as files, and other files of a job; may be null (then
  // only results kept in the store are served).
  files::FileService* files = nullptr;
  // Refusals for safety (a private job URL) are counted and logged here;
  // null in tests that do not look.
  SecurityEvents* events = nullptr;
};

struct RpcRoutesContext {
  RpcRoutesDeps deps;
  RpcRoutesOptions options;
  // Key hash → client uuid, for keys seen before (keys never change owner).
  std::unordered_map<std::string, std::string> key_cache;
};

std::span<const RestRoute<RpcRoutesContext>> RpcRouteTable();

void AddRpcRoutes(net::Router& router, RpcRoutesDeps deps, RpcRoutesOptions options);

// The JobRecord as the original listed it (rest-api.md §1.6), JSON text.
std::string JobJson(const store::JobRecord& job);

}  // namespace sela::api
