#include "chain/fake/fake_round.h"

#include <thread>

namespace sela::chain::fake {

std::string RoundCertifier::Certify(Leaves leaves) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool leader = open_ == nullptr;
  if (leader) open_ = std::make_shared<Round>();
  const std::shared_ptr<Round> round = open_;
  const size_t index = round->members.size();
  round->members.push_back(std::move(leaves));
  if (!leader) {
    done_cv_.wait(lock, [&] { return round->done; });
    return round->certificates[index];
  }
  lock.unlock();
  std::this_thread::sleep_for(round_);  // Others join meanwhile.
  lock.lock();
  open_.reset();  // Sealed: later answers open the next round.
  const std::vector<Leaves> members = std::move(round->members);
  lock.unlock();
  std::vector<std::string> certificates = SignRound(members);
  lock.lock();
  ++rounds_;
  answers_ += members.size();
  round->certificates = std::move(certificates);
  round->done = true;
  done_cv_.notify_all();
  return round->certificates[index];
}

std::vector<std::string> RoundCertifier::SignRound(const std::vector<Leaves>& members) const {
  HashTreeBuilder tree;
  for (const Leaves& leaves : members) {
    for (const auto& [path, value] : leaves) tree.Insert(path, value);
  }
  const std::vector<std::string> time_path = {"time"};
  tree.Insert(time_path, time_());
  const std::string signature = sign_(tree.RootHash());
  std::vector<std::string> out;
  out.reserve(members.size());
  for (const Leaves& leaves : members) {
    std::vector<std::vector<std::string>> keep = {time_path};
    for (const auto& leaf : leaves) keep.push_back(leaf.first);
    out.push_back(issue_(tree.EncodePrunedCbor(keep), signature));
  }
  return out;
}

uint64_t RoundCertifier::rounds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rounds_;
}

uint64_t RoundCertifier::answers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return answers_;
}

}  // namespace sela::chain::fake
