#include "chain/agent.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "chain/bls.h"
#include "codec/cbor_reader.h"
#include "codec/hex.h"

namespace sela::chain {
namespace {

constexpr uint64_t kSelfDescribeTag = 55799;

std::string Snippet(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) out += (c >= 32 && c < 127) ? c : '?';
  return out;
}

Result<Certificate> CertificateOf(std::string_view body) {
  ASSIGN_OR_RETURN(const codec::CborValue parsed, codec::ParseCbor(body));
  const codec::CborValue* cert = parsed.Untagged(kSelfDescribeTag).Find("certificate");
  if (cert == nullptr || !cert->is_bytes()) return Err(InvalidArgument("IC answer without a certificate"));
  return Certificate::Parse(std::string(cert->str));
}

Reject RejectOf(const codec::CborValue& map, bool certified) {
  Reject r;
  r.certified = certified;
  if (const codec::CborValue* c = map.Find("reject_code"); c && c->is_unsigned()) r.code = c->u;
  if (const codec::CborValue* m = map.Find("reject_message"); m && m->is_text()) r.message = std::string(m->str.substr(0, 4096));
  if (const codec::CborValue* e = map.Find("error_code"); e && e->is_text()) r.error_code = std::string(e->str.substr(0, 64));
  return r;
}

}  // namespace

std::string_view RejectCodeName(uint64_t code) {
  static constexpr std::string_view kNames[] = {"UNKNOWN", "SYS_FATAL", "SYS_TRANSIENT", "DESTINATION_INVALID",
                                                "CANISTER_REJECT", "CANISTER_ERROR", "SYS_UNKNOWN"};
  return code < 7 ? kNames[code] : kNames[0];
}

AgentEnv SystemAgentEnv(const Clock& clock) {
  AgentEnv env;
  env.clock = &clock;
  env.sleep = [](int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
  env.random_bytes = [](size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) std::abort();
    return out;
  };
  return env;
}

Agent::Agent(HttpTransport& transport, Identity identity, AgentOptions options, AgentEnv env, std::string root_key)
    : transport_(transport), identity_(std::move(identity)), options_(std::move(options)), env_(std::move(env)),
      root_key_(std::move(root_key)) {}

Result<std::unique_ptr<Agent>> Agent::Create(HttpTransport& transport, Identity identity, AgentOptions options,
                                             AgentEnv env) {
  if (env.clock == nullptr || !env.sleep || !env.random_bytes) return Err(InvalidArgument("agent: incomplete env"));
  ASSIGN_OR_RETURN(const std::string der, codec::HexDecode(options.root_key_der_hex));
  ASSIGN_OR_RETURN(const std::string_view raw, bls::KeyFromDer(der));
  return std::unique_ptr<Agent>(
      new Agent(transport, std::move(identity), std::move(options), std::move(env), std::string(raw)));
}

uint64_t Agent::IngressExpiryNs() const {
  const int64_t now_ms = env_.clock->WallMs();
  const int64_t expiry_ms = now_ms + options_.ingress_expiry_ms;
  // As agent-js: whole minutes when that still leaves a minute, else seconds.
  const int64_t minute = expiry_ms - expiry_ms % 60'000;
  const int64_t rounded = minute - now_ms >= 60'000 ? minute : expiry_ms - expiry_ms % 1000;
  return static_cast<uint64_t>(rounded) * 1'000'000;
}

Result<SignedRequest> Agent::Sign(RequestContent content) {
  content.sender = identity_.principal();
  content.ingress_expiry_ns = IngressExpiryNs();
  return SignRequest(content, identity_);
}

Status Agent::ErrorOf(const HttpResponse& r) const {
  const std::string what = "IC answered HTTP " + std::to_string(r.status) + ": " + Snippet(r.body);
  if (r.status == 429 || r.status >= 500) return Unavailable(what);
  if (r.status == 400 && r.body.find("Invalid request expiry") != std::string::npos) return FailedPrecondition(what);
  return InvalidArgument(what);
}

Result<HttpResponse> Agent::Post(const std::string& path, const std::string& body) {
  HttpRequest request;
  request.path = path;
  request.body = body;
  Status last;
  for (int attempt = 0; attempt < std::max(1, options_.submit_attempts); ++attempt) {
    if (attempt > 0) {
      resubmits_.fetch_add(1);
      env_.sleep(options_.submit_backoff_ms << (attempt - 1));
    }
    Result<HttpResponse> r = transport_.Send(request);
    if (!r.has_value()) {
      last = r.error();
      if (last.code() == Code::kUnavailable || last.code() == Code::kDeadlineExceeded) continue;
      return r;
    }
    if (r->status == 429 || r->status >= 500) {
      last = ErrorOf(*r);
      continue;
    }
    return r;
  }
  return Err(last);
}

Status Agent::VerifyFor(const Certificate& cert, const codec::Principal& canister) const {
  const CertificateScope scope{CertificateScope::Kind::kCanister, canister};
  return VerifyCertificate(cert, root_key_, scope, NowNs(), options_.freshness,
                           &signatures_);
}

Result<std::optional<CanisterResponse>> Agent::StatusOf(const Certificate& cert, const std::string& request_id) {
  ASSIGN_OR_RETURN(const RequestStatus status, LookupRequestStatus(cert, request_id));
  using S = RequestStatus::State;
  CanisterResponse out;
  out.request_id = request_id;
  switch (status.state) {
    case S::kReplied:
      out.replied = true;
      out.reply = status.reply;
      return std::optional<CanisterResponse>(std::move(out));
    case S::kRejected:
      out.reject = Reject{status.reject_code, status.reject_message, status.error_code, true};
      return std::optional<CanisterResponse>(std::move(out));
    case S::kDone:
      return Err(FailedPrecondition("IC: the call completed but its reply was already pruned"));
    default:
      return std::optional<CanisterResponse>();
  }
}

Result<std::optional<CanisterResponse>> Agent::SyncReply(const codec::Principal& canister, const SignedRequest& call,
                                                         std::string_view body) {
  ASSIGN_OR_RETURN(const codec::CborValue parsed, codec::ParseCbor(body));
  const codec::CborValue& map = parsed.Untagged(kSelfDescribeTag);
  const codec::CborValue* status = map.Find("status");
  const bool rejected_early = map.Find("reject_code") != nullptr &&
                              (status == nullptr || status->str == "non_replicated_rejection");
  if (rejected_early) {
    CanisterResponse out;
    out.request_id = call.request_id;
    out.reject = RejectOf(map, false);
    return std::optional<CanisterResponse>(std::move(out));
  }
  ASSIGN_OR_RETURN(const Certificate cert, CertificateOf(body));
  RETURN_IF_ERROR(VerifyFor(cert, canister));
  return StatusOf(cert, call.request_id);
}

Result<std::optional<CanisterResponse>> Agent::Submit(const codec::Principal& canister, const SignedRequest& call) {
  const std::string id = canister.ToText();
  if (options_.sync_call && !v3_call_missing_.load()) {
    ASSIGN_OR_RETURN(const HttpResponse r, Post("/api/v3/canister/" + id + "/call", call.envelope));
    if (r.status == 200) return SyncReply(canister, call, r.body);
    if (r.status == 202) return std::optional<CanisterResponse>();
    if (r.status != 404 && r.status != 405) return Err(ErrorOf(r));
    v3_call_missing_.store(true);  // An older replica: v2 from now on.
  }
  ASSIGN_OR_RETURN(const HttpResponse r, Post("/api/v2/canister/" + id + "/call", call.envelope));
  if (r.status == 202) return std::optional<CanisterResponse>();
  if (r.status == 200) return SyncReply(canister, call, r.body);
  return Err(ErrorOf(r));
}

Result<CanisterResponse> Agent::Poll(const codec::Principal& canister, const std::string& request_id) {
  const int64_t start_ms = env_.clock->WallMs();
  int64_t wait_ms = options_.polling.initial_ms;
  Status last = DeadlineExceeded("IC: no certified outcome before the polling deadline; the call may still run");
  while (env_.clock->WallMs() - start_ms < options_.polling.total_ms) {
    env_.sleep(wait_ms);
    polls_.fetch_add(1);
    Result<Certificate> cert = ReadState(canister, {{"request_status", request_id}});
    if (cert.has_value()) {
      ASSIGN_OR_RETURN(std::optional<CanisterResponse> done, StatusOf(*cert, request_id));
      if (done) return std::move(*done);
      const RequestStatus s = LookupRequestStatus(*cert, request_id).value_or(RequestStatus{});
      if (s.state == RequestStatus::State::kReceived || s.state == RequestStatus::State::kProcessing) {
        wait_ms = options_.polling.initial_ms;  // Progress: poll briskly again (as agent-rs).
        continue;
      }
    } else {
      // A bad certificate is never an outcome; transport trouble is retried.
      if (cert.error().code() == Code::kUnauthenticated || cert.error().code() == Code::kInvalidArgument) {
        return Err(cert.error());
      }
      last = cert.error();
    }
    wait_ms = std::min<int64_t>(options_.polling.max_ms, static_cast<int64_t>(wait_ms * options_.polling.multiplier));
  }
  return Err(DeadlineExceeded("IC: polling gave up (" + last.message() + "); the outcome is unknown"));
}

Result<CanisterResponse> Agent::Call(const codec::Principal& canister, std::string_view method, std::string arg) {
  RequestContent c;
  c.type = RequestType::kCall;
  c.canister_id = canister;
  c.method_name = std::string(method);
  c.arg = std::move(arg);
  if (options_.nonce_bytes > 0) c.nonce = env_.random_bytes(std::min<size_t>(options_.nonce_bytes, 32));
  ASSIGN_OR_RETURN(const SignedRequest call, Sign(std::move(c)));
  ASSIGN_OR_RETURN(std::optional<CanisterResponse> done, Submit(canister, call));
  if (done) return std::move(*done);
  return Poll(canister, call.request_id);
}

Result<Certificate> Agent::ReadState(const codec::Principal& canister, std::vector<std::vector<std::string>> paths) {
  RequestContent c;
  c.type = RequestType::kReadState;
  c.paths = std::move(paths);
  ASSIGN_OR_RETURN(const SignedRequest request, Sign(std::move(c)));
  const std::string id = canister.ToText();
  Result<HttpResponse> r = Err(Unavailable("unset"));
  if (!v3_read_missing_.load()) {
    r = Post("/api/v3/canister/" + id + "/read_state", request.envelope);
    if (r.has_value() && r->status == 404) v3_read_missing_.store(true);
  }
  if (v3_read_missing_.load()) r = Post("/api/v2/canister/" + id + "/read_state", request.envelope);
  if (!r.has_value()) return Err(r.error());
  if (r->status != 200) return Err(ErrorOf(*r));
  ASSIGN_OR_RETURN(Certificate cert, CertificateOf(r->body));
  RETURN_IF_ERROR(VerifyFor(cert, canister));
  return cert;
}

Result<NodeKeys> Agent::KeysFor(const codec::Principal& canister, bool refresh) {
  const std::string key(canister.bytes());
  {
    std::lock_guard<std::mutex> lock(keys_mu_);
    const auto it = node_keys_.find(key);
    if (!refresh && it != node_keys_.end() &&
        env_.clock->WallMs() - it->second.fetched_ms < options_.node_keys_ttl_ms) {
      return it->second.keys;
    }
  }
  ASSIGN_OR_RETURN(const Certificate cert, ReadState(canister, {{"subnet"}}));
  ASSIGN_OR_RETURN(NodeKeys keys, NodeKeysFromCertificate(cert));
  std::lock_guard<std::mutex> lock(keys_mu_);
  node_keys_[key] = CachedKeys{keys, env_.clock->WallMs()};
  return keys;
}

Result<CanisterResponse> Agent::Query(const codec::Principal& canister, std::string_view method, std::string arg) {
  RequestContent c;
  c.type = RequestType::kQuery;
  c.canister_id = canister;
  c.method_name = std::string(method);
  c.arg = std::move(arg);
  ASSIGN_OR_RETURN(const SignedRequest request, Sign(std::move(c)));
  const std::string id = canister.ToText();
  Result<HttpResponse> r = Err(Unavailable("unset"));
  if (!v3_read_missing_.load()) {
    r = Post("/api/v3/canister/" + id + "/query", request.envelope);
    if (r.has_value() && r->status == 404) v3_read_missing_.store(true);
  }
  if (v3_read_missing_.load()) r = Post("/api/v2/canister/" + id + "/query", request.envelope);
  if (!r.has_value()) return Err(r.error());
  if (r->status != 200) return Err(ErrorOf(*r));
  ASSIGN_OR_RETURN(const QueryResponse response, ParseQueryResponse(r->body));
  if (options_.verify_query_signatures) {
    ASSIGN_OR_RETURN(NodeKeys keys, KeysFor(canister, false));
    Status v = VerifyQueryResponse(response, request.request_id, keys, NowNs(), options_.freshness.max_age_ns);
    if (!v.ok()) {
      // Nodes change at subnet membership changes: refetch once.
      ASSIGN_OR_RETURN(keys, KeysFor(canister, true));
      RETURN_IF_ERROR(VerifyQueryResponse(response, request.request_id, keys, NowNs(), options_.freshness.max_age_ns));
    }
  }
  CanisterResponse out;
  out.request_id = request.request_id;
  out.replied = response.replied;
  out.reply = response.reply;
  if (!response.replied) {
    out.reject = Reject{response.reject_code, response.reject_message, response.error_code.value_or(""), false};
  }
  return out;
}

}  // namespace sela::chain
