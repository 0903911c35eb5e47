// TLS for the server's connections, with OpenSSL over memory BIOs so that it
// fits the loop's reactor-style I/O: ciphertext read from the socket is fed
// in, plaintext comes out; plaintext to send goes in, ciphertext to write
// comes out. Enabled when TLS_CERT_FILE and TLS_KEY_FILE are set.
//
// Thread-safety: a TlsSession belongs to one connection on the loop thread;
// TlsContext is immutable after Create.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace sela::net {

class TlsContext {
 public:
  // Loads the PEM certificate chain and private key; errors name the file.
  static Result<std::unique_ptr<TlsContext>> Create(const std::string& cert_file,
                                                    const std::string& key_file);
  ~TlsContext();
  SSL_CTX* native() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

class TlsSession {
 public:
  explicit TlsSession(const TlsContext& context);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Feeds ciphertext from the peer and advances the handshake. False on a
  // fatal TLS error (bad handshake, bad record).
  bool Ingest(const uint8_t* data, size_t size);
  // Decrypts into buf. Returns the bytes written, 0 when no more plaintext is
  // available now, -1 on a fatal error or the peer's close_notify.
  ptrdiff_t ReadPlain(uint8_t* buf, size_t capacity);
  // Encrypts plaintext (only after the handshake). False on error.
  bool Encrypt(std::string_view plain);
  // Moves pending ciphertext (handshake, records, alerts) into out.
  void TakeCiphertext(std::string& out);
  // Queues close_notify.
  void Shutdown();
  bool handshake_done() const { return handshake_done_; }

 private:
  SSL* ssl_;
  bool handshake_done_ = false;
};

}  // namespace sela::net
