// SHA-256 with the digest implementation fetched once: OpenSSL 3's one-shot helpers look the
// algorithm up in the provider store on every call, which takes locks on hot paths.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

struct evp_md_ctx_st;  // OpenSSL EVP_MD_CTX

namespace cak::common {

// 32 raw bytes.
std::string Sha256(absl::string_view data);
// 64 lower-case hex characters.
std::string Sha256Hex(absl::string_view data);

// SHA-256 over data that arrives in pieces (bulk imports, list checksums).
class Sha256Stream {
 public:
  Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  ~Sha256Stream();
  void Update(absl::string_view data);
  // 64 lower-case hex characters; the stream is finished afterwards.
  std::string FinalHex();

 private:
  ::evp_md_ctx_st* ctx_;
};

}  // namespace cak::common
