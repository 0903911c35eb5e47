#include "chain/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace sela::chain {

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  // Allocation failure or an OpenSSL without SHA-256 is not recoverable.
  if (ctx_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Hasher::Update(std::string_view bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}

std::string Sha256Hasher::Finish() {
  std::string out(kSha256Bytes, '\0');
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), reinterpret_cast<unsigned char*>(out.data()), &len);
  return out;
}

std::string Sha256(std::initializer_list<std::string_view> parts) {
  Sha256Hasher h;
  for (std::string_view p : parts) h.Update(p);
  return h.Finish();
}

}  // namespace sela::chain
