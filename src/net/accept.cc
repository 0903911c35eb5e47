// Listening and accepting: bind every address HOST names, accept until the
// socket would block, and pause (never crash) at the descriptor or
// connection limit, resuming as connections close.
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <spdlog/spdlog.h>

#include "net/server_impl.h"

namespace sela::net {

namespace {

bool IsFdExhaustion(const boost::system::error_code& ec) {
  const int v = ec.value();
  return ec.category() == boost::system::system_category() &&
         (v == EMFILE || v == ENFILE || v == ENOBUFS || v == ENOMEM);
}

size_t RaiseFdLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return static_cast<size_t>(rl.rlim_cur);
}

}  // namespace

Status ServerImpl::Listen() {
  if (!config_.tls_cert_file.empty()) {
    auto tls = TlsContext::Create(config_.tls_cert_file, config_.tls_key_file);
    if (!tls) return tls.error();
    tls_ = std::move(*tls);
    plain_buffer_.reset(new uint8_t[kReadBufferBytes]);
  }
  boost::system::error_code ec;
  std::vector<Tcp::endpoint> endpoints;
  auto address = asio::ip::make_address(config_.host, ec);
  if (!ec) {
    endpoints.emplace_back(address, config_.port);
  } else {
    Tcp::resolver resolver(io_);
    auto results = resolver.resolve(config_.host, std::to_string(config_.port),
                                    Tcp::resolver::passive | Tcp::resolver::numeric_service, ec);
    if (ec) return InvalidArgument("HOST: cannot resolve \"" + config_.host + "\": " + ec.message());
    for (const auto& r : results) {
      if (std::find(endpoints.begin(), endpoints.end(), r.endpoint()) == endpoints.end()) {
        endpoints.push_back(r.endpoint());
      }
    }
  }
  for (auto endpoint : endpoints) {
    if (port_ != 0) endpoint.port(port_);
    auto acceptor = std::make_unique<Acceptor>(io_.get_executor());
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && endpoint.address().is_v6()) {
      // "::" alone serves IPv4 too; next to an IPv4 address it must not.
      const bool dual = endpoint.address().is_unspecified() && endpoints.size() == 1;
      acceptor->set_option(asio::ip::v6_only(!dual), ec);
    }
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) acceptor->non_blocking(true, ec);
    if (ec) {
      return Unavailable("cannot listen on " + endpoint.address().to_string() + ":" +
                         std::to_string(endpoint.port()) + ": " + ec.message());
    }
    port_ = acceptor->local_endpoint().port();
    acceptors_.push_back(std::move(acceptor));
  }
  const size_t fd_limit = RaiseFdLimit();
  // Keep descriptors for the store, logs and listeners.
  const size_t by_fds = fd_limit > 128 ? fd_limit - 64 : fd_limit / 2;
  max_connections_ = config_.max_connections ? std::min<size_t>(config_.max_connections, by_fds) : by_fds;
  for (size_t i = 0; i < acceptors_.size(); ++i) StartAccept(i);
  loop_.RunEvery(wheel_.tick(), [this] { Tick(); });
  return Status::Ok();
}

void ServerImpl::StartAccept(size_t ai) {
  acceptors_[ai]->async_wait(asio::socket_base::wait_read,
                             [this, ai](const boost::system::error_code& ec) {
                               if (!ec) AcceptSome(ai);
                             });
}

void ServerImpl::ResumeAccepting() {
  if (!accept_paused_ || draining_) return;
  accept_paused_ = false;
  for (size_t i = 0; i < acceptors_.size(); ++i) AcceptSome(i);
}

uint32_t ServerImpl::AllocSlot() {
  if (free_slots_.empty()) {
    Connection* chunk = std::allocator<Connection>().allocate(kChunk);
    for (uint32_t i = 0; i < kChunk; ++i) new (&chunk[i]) Connection(io_.get_executor());
    chunks_.push_back(chunk);
    for (uint32_t i = kChunk; i > 0; --i) free_slots_.push_back(slot_count_ + i - 1);
    slot_count_ += kChunk;
  }
  const uint32_t idx = free_slots_.back();
  free_slots_.pop_back();
  return idx;
}

void ServerImpl::AcceptSome(size_t ai) {
  // The acceptor is edge-triggered: accept until it would block, or hand
  // the rest to a later turn of the loop so others get served too.
  for (int i = 0; i < 64; ++i) {
    if (draining_) return;
    if (open_ >= max_connections_) {
      if (!accept_paused_) m_.accept_paused->Inc();
      accept_paused_ = true;
      return;
    }
    const uint32_t idx = AllocSlot();
    Connection& c = slot(idx);
    boost::system::error_code ec;
    acceptors_[ai]->accept(c.socket, ec);
    if (ec) {
      free_slots_.push_back(idx);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        StartAccept(ai);
        return;
      }
      if (IsFdExhaustion(ec)) {
        // Out of descriptors: keep serving who is connected, try again soon.
        m_.accept_paused->Inc();
        accept_paused_ = true;
        spdlog::warn("accept paused: {}", ec.message());
        loop_.RunAfter(Millis(100), [this] { ResumeAccepting(); });
        return;
      }
      continue;
    }
    c.socket.non_blocking(true, ec);
    c.socket.set_option(Tcp::no_delay(true), ec);
    if (tls_) {
      tls_by_slot_[idx] = std::make_unique<TlsSession>(*tls_);
      c.flags |= conn_flag::kTls;
    }
    c.state = ConnState::kHttp;
    ++open_;
    m_.accepted->Inc();
    m_.open_http->Add(1);
    wheel_.Schedule(idx, clock_.Now() + Millis(config_.ws_handshake_timeout_ms));
    ArmRead(idx);
  }
  asio::post(io_, [this, ai] { AcceptSome(ai); });
}

}  // namespace sela::net
