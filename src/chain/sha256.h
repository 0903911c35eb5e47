// SHA-256 over one or several byte strings (OpenSSL).
//
// Thread-safety: free functions; safe from any thread.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace sela::chain {

inline constexpr size_t kSha256Bytes = 32;

// SHA-256 of the concatenation of parts, as 32 raw bytes.
std::string Sha256(std::initializer_list<std::string_view> parts);
inline std::string Sha256(std::string_view bytes) { return Sha256({bytes}); }

// Incremental form for long inputs.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view bytes);
  std::string Finish();  // 32 raw bytes; the hasher may not be used after.

 private:
  void* ctx_;  // EVP_MD_CTX*
};

}  // namespace sela::chain
