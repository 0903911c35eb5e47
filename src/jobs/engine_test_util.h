// A JobEngine for tests that names its nodes itself: UpsertNode takes the
// principal, as the registry would hold it in the server.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/engine.h"

namespace sela::jobs::testing {

class TestEngine : public JobEngine {
 public:
  explicit TestEngine(EngineOptions options, std::shared_ptr<std::map<nodes::NodeIndex, std::string>> names =
                                                 std::make_shared<std::map<nodes::NodeIndex, std::string>>())
      : JobEngine(WithNames(std::move(options), names)), names_(std::move(names)) {}

  using JobEngine::UpsertNode;
  void UpsertNode(nodes::NodeIndex node, std::string_view principal, uint32_t capacity, float speed,
                  uint32_t rtt_ms = kRttUnknown) {
    (*names_)[node] = std::string(principal);
    JobEngine::UpsertNode(node, capacity, speed, rtt_ms);
  }

 private:
  static EngineOptions WithNames(EngineOptions options,
                                 std::shared_ptr<std::map<nodes::NodeIndex, std::string>> names) {
    options.principal_of = [names](nodes::NodeIndex node) -> std::string_view {
      auto it = names->find(node);
      return it == names->end() ? std::string_view() : std::string_view(it->second);
    };
    options.index_of = [names](std::string_view principal) -> nodes::NodeIndex {
      for (const auto& [node, name] : *names) {
        if (name == principal) return node;
      }
      return nodes::kNoNode;
    };
    return options;
  }
  std::shared_ptr<std::map<nodes::NodeIndex, std::string>> names_;
};

// Shared by the engine tests.
inline constexpr int64_t kLeaseMs = 300'000;
inline constexpr int64_t kT0 = 1'700'000'000'000;

inline store::JobRecord MakeJob(std::string id, int64_t created_ms = kT0, int64_t deadline_ms = 0) {
  store::JobRecord job;
  job.job_id = std::move(id);
  job.job_type = "TWITTER_POST";
  job.target = "https://x.com/a/status/1";
  job.created_ms = created_ms;
  job.assigned_ms = created_ms;
  job.deadline_ms = deadline_ms;
  return job;
}

inline TestEngine MakeEngine(uint32_t max_attempts = 3) {
  return TestEngine(EngineOptions{.lease_ms = kLeaseMs, .max_attempts = max_attempts, .principal_of = {}, .index_of = {}});
}

inline std::vector<std::string> Ids(const std::vector<Lease>& leases) {
  std::vector<std::string> ids;
  for (const Lease& l : leases) ids.push_back(l.job_id);
  return ids;
}

inline std::vector<nodes::NodeIndex> Nodes(const std::vector<Lease>& leases) {
  std::vector<nodes::NodeIndex> out;
  for (const Lease& l : leases) out.push_back(l.node);
  return out;
}


}  // namespace sela::jobs::testing
