// The file-canister side of the server (docs/CHAIN.md "Results on the file
// canister"): an agent signing as CANISTER_CONTROLLER_PEM, the file canister
// client, and worker threads for uploads and for read-backs (separate, so a
// backlog of uploads never delays a read), built only when
// CANISTER_STORAGE_ENABLED.
#pragma once

#include <memory>

#include "app/chain_setup.h"
#include "chain/executor.h"
#include "chain/file_client.h"
#include "core/metrics.h"
#include "files/file_service.h"
#include "settle/canister_sync.h"
#include "store/store.h"

namespace sela::app {

struct FileSyncParts {
  AgentParts agent;
  std::unique_ptr<chain::FileCanisterClient> client;
  std::unique_ptr<chain::Executor> uploads;
  std::unique_ptr<chain::Executor> reads;
};

// InvalidArgument naming the variable at fault.
Result<std::unique_ptr<FileSyncParts>> BuildFileSync(const Config& config, const Clock& clock,
                                                     std::shared_ptr<PostGate> gate);

settle::CanisterSyncOptions CanisterSyncOptionsFor(const Config& config);

// Uploads through `parts` (a failing upload when there are none: nothing
// is recorded then anyway). Bytes come from the store (results) or the disk
// under blobs_root ($DATA_PATH/blobs), a chunk at a time (files).
settle::Upload UploaderFor(FileSyncParts* parts, store::Store& store, const std::string& blobs_root);

// Read-backs for FileService::SetRemote: NotFound, or Unavailable for any
// other failure (logged); sela_canister_readbacks_total{outcome}.
files::FileService::RemoteFetch RemoteFetchFor(FileSyncParts& parts, MetricsRegistry& metrics);

}  // namespace sela::app
