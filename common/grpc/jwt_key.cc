// JWT signature verification with OpenSSL and a key parsed once (see JwtVerificationKey in
// auth.h).
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "absl/strings/str_cat.h"
#include "common/grpc/auth.h"

namespace cak::common {

struct JwtVerificationKey::Impl {
  EVP_PKEY* key = nullptr;
  bool is_rsa = false;
  std::string algorithm;  // the only one accepted
  EVP_MD* sha256 = nullptr;
  EVP_MD* sha384 = nullptr;
  EVP_MD* sha512 = nullptr;
  ~Impl() {
    EVP_PKEY_free(key);
    EVP_MD_free(sha256);
    EVP_MD_free(sha384);
    EVP_MD_free(sha512);
  }
};

JwtVerificationKey::~JwtVerificationKey() = default;

absl::StatusOr<std::unique_ptr<JwtVerificationKey>> JwtVerificationKey::FromPem(const std::string& pem,
                                                                                const std::string& algorithm) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return absl::InvalidArgumentError("the JWT public key is not a PEM public key");
  std::unique_ptr<JwtVerificationKey> out(new JwtVerificationKey());
  out->impl_ = std::make_unique<Impl>();
  out->impl_->key = key;
  if (EVP_PKEY_is_a(key, "RSA")) {
    out->impl_->is_rsa = true;
  } else if (!EVP_PKEY_is_a(key, "EC")) {
    return absl::InvalidArgumentError("the JWT public key must be RSA or EC (P-256)");
  }
  const bool rsa = out->impl_->is_rsa;
  out->impl_->algorithm = !algorithm.empty() ? algorithm : rsa ? "RS256" : "ES256";
  const std::string& a = out->impl_->algorithm;
  if (rsa ? !(a == "RS256" || a == "RS384" || a == "RS512") : a != "ES256") {
    return absl::InvalidArgumentError(
        absl::StrCat("the JWT algorithm ", a, " does not fit the key (RSA: RS256, RS384 or RS512; EC: ES256)"));
  }
  // Fetched once: an implicit fetch per verification takes provider locks every call.
  out->impl_->sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  out->impl_->sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  out->impl_->sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  return out;
}

bool JwtVerificationKey::Verify(const std::string& alg, absl::string_view signing_input,
                                const std::string& signature) const {
  if (alg != impl_->algorithm) return false;  // pinned: never the algorithm the token names
  const EVP_MD* md = nullptr;
  std::string der;
  const std::string* sig = &signature;
  if (impl_->is_rsa) {
    if (alg == "RS256")
      md = impl_->sha256;
    else if (alg == "RS384")
      md = impl_->sha384;
    else if (alg == "RS512")
      md = impl_->sha512;
  } else if (alg == "ES256" && signature.size() == 64) {
    // JWS carries r || s (32 bytes each); OpenSSL wants a DER ECDSA-Sig-Value.
    md = impl_->sha256;
    ECDSA_SIG* es = ECDSA_SIG_new();
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
    unsigned char* buf = nullptr;
    const int len = i2d_ECDSA_SIG(es, &buf);
    if (len > 0) der.assign(reinterpret_cast<char*>(buf), len);
    OPENSSL_free(buf);
    ECDSA_SIG_free(es);
    sig = &der;
  }
  if (md == nullptr || sig->empty()) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, impl_->key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace cak::common
