// Key names of the Redis store (docs/STORAGE.md, "Redis backend").
//
// Every key starts with ONE hash tag, `{<prefix>}`, then its domain:
// `{<prefix>}:nodes:`, `{<prefix>}:uptime:`, `{<prefix>}:ledger:` (the
// rewards ledger with its referrals and runs), `{<prefix>}:settle:` (the
// settlement journal), `{<prefix>}:csync:` (the file-canister sync
// journal) and `{<prefix>}:jobs:`. One tag
// because the store's transitions cross the domains and each must be one
// atomic script: completing a job pays its reward and its referrers' task
// shares (jobs, nodes' referral records, ledger), an uptime payment reads
// uptime and writes the ledger, a referral reads nodes and uptime. So the
// whole store lives in one Redis hash slot: a Redis Cluster holds it on one
// of its shards and does NOT spread it over several (it gives failover, not
// more capacity). Variable parts come last (or, for idempotency keys,
// length-prefixed), so no two records share a key.
//
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace sela::store::redis {

class Keys {
 public:
  // `prefix`: letters, digits, '_', '-', '.', 1..64 bytes (checked by the
  // store's Open).
  explicit Keys(std::string_view prefix)
      : nodes_("{" + std::string(prefix) + "}:nodes:"),
        uptime_("{" + std::string(prefix) + "}:uptime:"),
        ledger_("{" + std::string(prefix) + "}:ledger:"),
        settle_("{" + std::string(prefix) + "}:settle:"),
        csync_("{" + std::string(prefix) + "}:csync:"),
        jobs_("{" + std::string(prefix) + "}:jobs:") {}

  // Domain prefixes; scripts build the keys they find by reading from these.
  const std::string& nodes() const { return nodes_; }
  const std::string& uptime() const { return uptime_; }
  const std::string& jobs() const { return jobs_; }
  // The rewards ledger, referrals and runs (layout in scripts_ledger.cc and
  // scripts_ledger_read.cc).
  const std::string& ledger() const { return ledger_; }
  // The settlement journal (layout in scripts_settlement.cc).
  const std::string& settle() const { return settle_; }
  // The file-canister sync journal (layout in scripts_sync.cc).
  const std::string& csync() const { return csync_; }

  std::string Node(std::string_view principal) const { return nodes_ + "node:" + std::string(principal); }
  std::string NodesAll() const { return nodes_ + "all"; }        // zset numeric_id → principal
  std::string NodesActive() const { return nodes_ + "active"; }  // the same, status active only
  std::string Referrals() const { return nodes_ + "referral"; }  // hash code → principal
  std::string ClientIdCounter() const { return nodes_ + "counter:client_id"; }
  std::string SessionIdCounter() const { return nodes_ + "counter:session_id"; }

  std::string UptimeDays(std::string_view principal) const { return uptime_ + "days:" + std::string(principal); }
  std::string UptimeTotal() const { return uptime_ + "total"; }  // hash principal → online ms

  std::string Client(std::string_view uuid) const { return jobs_ + "client:" + std::string(uuid); }
  std::string ClientPrefix() const { return jobs_ + "client:"; }
  std::string ClientKey(std::string_view key_hash) const { return jobs_ + "clientkey:" + std::string(key_hash); }
  std::string Usage(std::string_view uuid) const { return jobs_ + "usage:" + std::string(uuid); }
  std::string ClientJobs(std::string_view uuid) const { return jobs_ + "cjobs:" + std::string(uuid); }
  std::string ClientOpen(std::string_view uuid) const { return jobs_ + "copen:" + std::string(uuid); }
  std::string Idempotency(std::string_view uuid, std::string_view key) const {
    return jobs_ + "idem:" + std::to_string(uuid.size()) + ":" + std::string(uuid) + ":" + std::string(key);
  }
  std::string Job(std::string_view job_id) const { return jobs_ + "job:" + std::string(job_id); }
  std::string JobPrefix() const { return jobs_ + "job:"; }
  std::string OpenJobs() const { return jobs_ + "open"; }  // zset seq → job id
  std::string JobSeq() const { return jobs_ + "seq"; }
  std::string Leases(std::string_view process) const { return jobs_ + "leases:" + std::string(process); }
  std::string Blob(std::string_view hash) const { return jobs_ + "blob:" + std::string(hash); }

  // ---- identity, files, marketplace ----
  std::string NodesExpirable() const { return nodes_ + "expirable"; }  // zset ws_disconnect_ms → principal
  std::string File(std::string_view id) const { return jobs_ + "file:" + std::string(id); }
  std::string FileSeq() const { return jobs_ + "fseq"; }
  std::string OwnerFiles(std::string_view owner) const { return jobs_ + "ofiles:" + std::string(owner); }
  std::string JobFiles(std::string_view job_id) const { return jobs_ + "jfiles:" + std::string(job_id); }
  std::string Chunks(std::string_view id) const { return jobs_ + "chunks:" + std::string(id); }
  std::string FileUsage(std::string_view owner) const { return jobs_ + "fusage:" + std::string(owner); }
  std::string Uploads() const { return jobs_ + "uploads"; }    // zset expires_ms → file id
  std::string BlobRefs() const { return jobs_ + "blobrefs"; }  // hash sha256 → complete files
  std::string Market() const { return jobs_ + "market"; }      // zset complete_ms → listed job id
  std::string MarketTypes() const { return jobs_ + "mtypes"; } // hash job type → listed completed jobs
  std::string Purchase(std::string_view uuid, std::string_view job_id) const {
    return jobs_ + "purchase:" + std::to_string(uuid.size()) + ":" + std::string(uuid) + ":" + std::string(job_id);
  }
  // ---- end of identity, files, marketplace ----
  //
  // ---- rewards ledger, referrals, runs ----
  // ---- end of ledger, referrals, runs ----

 private:
  std::string nodes_;
  std::string uptime_;
  std::string ledger_;
  std::string settle_;
  std::string csync_;
  std::string jobs_;
};

}  // namespace sela::store::redis
