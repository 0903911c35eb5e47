// Sha256: an incremental SHA-256 (OpenSSL's EVP), for hashing files as their
// bytes pass by rather than reading them again.
//
// Thread-safety: none; one user at a time (it may move between threads).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace sela::files {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // Lowercase hex of the digest of everything so far; the hasher starts over.
  std::string FinishHex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

// 64 lowercase hex digits.
bool IsSha256Hex(std::string_view text);

}  // namespace sela::files
