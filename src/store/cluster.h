// Cluster: what server processes that share one store (Redis) tell each
// other through it (ARCHITECTURE.md §4, §8). The embedded store has none:
// it serves one process.
//
// The model (docs/STORAGE.md, "Several processes"):
// - Each process has an id and a liveness key with a TTL that it renews
//   (heartbeat). A process whose key expired is dead: the next heartbeat of
//   any live process releases what it held: its leases (back to pending, or
//   failed when out of attempts), the pending jobs it had taken, and its
//   nodes' presence. Nothing waits for it to restart.
// - A pending job is in exactly one place: the shared queue (FIFO), taken
//   by this process (it is in this process's engine), or, when it is for
//   one node only (target_node), with the process that holds that node, or
//   parked until the node comes online anywhere.
// - A process takes work from the shared queue only while it has free node
//   slots (WantJobs), with a blocking pop: no polling. Jobs it cannot run
//   after all go back to the front of the queue (GiveBack).
// - Messages to a node on another process, to every node, and "this job
//   ended" for a scrapeUrl waiting on another process go through pub/sub.
//
// Threading: on the event loop's thread; events are delivered there.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace sela::store {

class Cluster {
 public:
  struct Events {
    // Pending jobs now held by this process: taken from the queue, sent
    // here because their node is here, or unparked by a node that came.
    std::function<void(std::vector<JobRecord>)> jobs;
    // A sync job created here ended on another process (read it from the
    // store).
    std::function<void(const std::string& job_id)> ended;
    // A text frame for one node held here, or for every node.
    std::function<void(const std::string& principal, const std::string& text)> to_node;
    std::function<void(const std::string& text)> to_all;
    // The connection to the store came back after a loss: pub/sub messages
    // may have been missed meanwhile (waiters re-read their jobs).
    std::function<void()> reconnected;
    // This process's heartbeats did not reach the store for a TTL: the
    // others gave it up for dead and released what it held (its leases'
    // results will be refused) and its nodes' presence. The service
    // announces its nodes again.
    std::function<void()> reaped;
  };

  virtual ~Cluster() = default;

  // Starts the heartbeat and the subscriptions; events flow from now on.
  virtual Status Start(Events events) = 0;
  // Stops taking work, releases whatever this process holds (as if it had
  // died, but now) and stops the heartbeat. For a drain; `done` when the
  // store has it.
  virtual void Leave(std::function<void(Status)> done) = 0;

  virtual const std::string& process_id() const = 0;

  // This process can run `free_slots` more jobs now. While it is above 0
  // one blocking take from the shared queue is outstanding; a take brings
  // at most this many jobs.
  virtual void WantJobs(uint32_t free_slots) = 0;
  // Pending jobs held here that this process will not run (no node can
  // take them now, or it is draining): back to their place, at the front.
  virtual void GiveBack(std::vector<std::string> job_ids) = 0;

  // Presence of a node on this process. NodeOnline brings the jobs parked
  // for it (through Events::jobs).
  virtual void NodeOnline(const std::string& principal) = 0;
  virtual void NodeOffline(const std::string& principal) = 0;
  // The live process holding the node, if any.
  virtual void FindNode(const std::string& principal,
                        std::function<void(Result<std::optional<std::string>>)> done) = 0;

  // A text frame for a node on another process (delivered if the node is
  // still there), or for every node of every other process.
  virtual void SendToNode(const std::string& process, const std::string& principal,
                          const std::string& text) = 0;
  virtual void Broadcast(const std::string& text) = 0;

  // A pending job past its deadline that no process holds (queued or
  // parked) fails now; a job held by a process is left to it. `done` gets
  // whether this call failed it.
  virtual void ExpireJob(const std::string& job_id, int64_t now_ms, const std::string& error,
                         std::function<void(Result<bool>)> done) = 0;
};

}  // namespace sela::store
