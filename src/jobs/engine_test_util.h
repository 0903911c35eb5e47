// A JobEngine for tests that names its nodes itself: UpsertNode takes the
// principal, as the registry would hold it in the server.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "jobs/engine.h"

namespace sela::jobs::testing {

class TestEngine : public JobEngine {
 public:
  explicit TestEngine(EngineOptions options, std::shared_ptr<std::map<nodes::NodeIndex, std::string>> names =
                                                 std::make_shared<std::map<nodes::NodeIndex, std::string>>())
      : JobEngine(WithNames(std::move(options), names)), names_(std::move(names)) {}

  using JobEngine::UpsertNode;
  void UpsertNode(nodes::NodeIndex node, std::string_view principal, uint32_t capacity, float speed) {
    (*names_)[node] = std::string(principal);
    JobEngine::UpsertNode(node, capacity, speed);
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

}  // namespace sela::jobs::testing
