// RecordingNodeSender: the NodeSender of the job service for tests. It keeps
// every job frame the service sends, by node, and reports the nodes it is
// told are gone as having no connection.
#pragma once

#include <set>
#include <vector>

#include "api/job_service.h"

namespace sela::testing {

class RecordingNodeSender final : public api::NodeSender {
 public:
  struct Sent {
    nodes::NodeIndex node;
    store::JobRecord job;  // As the service sent it.
  };

  // The lease goes to the node's one session, named after the node.
  std::string LeaseClientId(nodes::NodeIndex node) const override { return "client-" + std::to_string(node); }
  uint32_t MeasuredRttMs(nodes::NodeIndex) const override { return jobs::JobEngine::kRttUnknown; }

  bool SendJob(nodes::NodeIndex node, const store::JobRecord& job) override {
    if (unreachable_.contains(node)) return false;
    sent_.push_back(Sent{node, job});
    return true;
  }

  // From now on the node has no open connection: SendJob says so.
  void Unreachable(nodes::NodeIndex node) { unreachable_.insert(node); }

  const std::vector<Sent>& sent() const { return sent_; }
  // The job ids sent to `node`, in order.
  std::vector<std::string> JobsSentTo(nodes::NodeIndex node) const {
    std::vector<std::string> ids;
    for (const Sent& s : sent_) {
      if (s.node == node) ids.push_back(s.job.job_id);
    }
    return ids;
  }

 private:
  std::vector<Sent> sent_;
  std::set<nodes::NodeIndex> unreachable_;
};

}  // namespace sela::testing
