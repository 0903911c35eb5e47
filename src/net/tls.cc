#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace sela::net {

namespace {

std::string LastError() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

}  // namespace

Result<std::unique_ptr<TlsContext>> TlsContext::Create(const std::string& cert_file,
                                                       const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return Err(Internal("TLS: cannot create context: " + LastError()));
  std::unique_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Idle connections give their record buffers back.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Err(InvalidArgument("TLS_CERT_FILE: cannot load certificate chain from \"" + cert_file +
                               "\": " + LastError()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Err(InvalidArgument("TLS_KEY_FILE: cannot load private key from \"" + key_file +
                               "\": " + LastError()));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Err(InvalidArgument("TLS_KEY_FILE: the key does not match TLS_CERT_FILE: " + LastError()));
  }
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsSession::TlsSession(const TlsContext& context) : ssl_(SSL_new(context.native())) {
  SSL_set_bio(ssl_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

bool TlsSession::Ingest(const uint8_t* data, size_t size) {
  if (size > 0 && BIO_write(SSL_get_rbio(ssl_), data, static_cast<int>(size)) <= 0) return false;
  if (handshake_done_) return true;
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    handshake_done_ = true;
    return true;
  }
  const int err = SSL_get_error(ssl_, r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return true;
  ERR_clear_error();
  return false;
}

ptrdiff_t TlsSession::ReadPlain(uint8_t* buf, size_t capacity) {
  if (!handshake_done_) return 0;
  const int n = SSL_read(ssl_, buf, static_cast<int>(capacity));
  if (n > 0) return n;
  const int err = SSL_get_error(ssl_, n);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return 0;
  ERR_clear_error();
  return -1;
}

bool TlsSession::Encrypt(std::string_view plain) {
  if (!handshake_done_) return false;
  while (!plain.empty()) {
    const int n = SSL_write(ssl_, plain.data(), static_cast<int>(std::min<size_t>(plain.size(), 1 << 30)));
    if (n <= 0) {
      ERR_clear_error();
      return false;
    }
    plain.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void TlsSession::TakeCiphertext(std::string& out) {
  BIO* wbio = SSL_get_wbio(ssl_);
  const size_t pending = BIO_ctrl_pending(wbio);
  if (pending == 0) return;
  const size_t old = out.size();
  out.resize(old + pending);
  const int n = BIO_read(wbio, out.data() + old, static_cast<int>(pending));
  out.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
}

void TlsSession::Shutdown() {
  if (handshake_done_) SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace sela::net
