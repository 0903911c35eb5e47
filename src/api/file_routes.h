// /api/files/*: files uploaded by nodes in chunks (reference rest-api.md
// §2.5 F1-F7 and §6), compatible on the wire (paths, fields, E1 envelopes,
// 201 on create, base64 chunks in JSON or form bodies) and, besides, raw
// `application/octet-stream` chunks streamed to disk as they arrive; minus
// the original's defects (storage-chain-files.md §7): names chosen by the
// server, never a path from the client; SHA-256 per chunk and per file;
// chunks in any order, repeats acknowledged; missing chunks named at
// completion; limits and expiry; downloads streamed with Range and ETag;
// owners checked on every route, listing included. docs/FILES.md.
//
// The routes are one table (FileRouteTable()), as for /api/node.
//
// Threading: the event loop's thread.
#pragma once

#include <cstdint>
#include <span>

#include "api/job_service.h"
#include "api/rest_table.h"
#include "core/clock.h"
#include "core/config.h"
#include "files/file_service.h"
#include "net/router.h"

namespace sela::api {

struct FileRoutesOptions {
  RestOptions rest;
  uint32_t list_limit_default = 100;
  uint32_t list_limit_max = 1000;

  static FileRoutesOptions FromConfig(const Config& config);
};

struct FileRoutesDeps {
  files::FileService& files;
  // Told when a node declares a result file over FILE_BYTES_MAX for a job it
  // holds (the job fails at once); may be null.
  JobService* jobs = nullptr;
};

struct FileRoutesContext {
  FileRoutesDeps deps;
  FileRoutesOptions options;
};

std::span<const RestRoute<FileRoutesContext>> FileRouteTable();

void AddFileRoutes(net::Router& router, FileRoutesDeps deps, FileRoutesOptions options);

// A file as F4 and F5 show it (the original's FileMetadata minus the server
// path it disclosed), JSON text.
std::string FileJson(const store::FileRecord& file);

}  // namespace sela::api
