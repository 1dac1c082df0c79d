// JWT signature verification with OpenSSL and keys parsed once: a PEM key or a JSON Web Key Set
// (see JwtVerificationKey and JwtKeySet in auth.h).
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
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

namespace {

// A public key from OpenSSL parameters (`type` "RSA" or "EC"); null when they are not one.
EVP_PKEY* KeyFromParams(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    key = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (key == nullptr) return nullptr;
  // The point must lie on the curve (and an RSA key be sane) before anything is verified with it.
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  const bool ok = check != nullptr && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!ok) {
    EVP_PKEY_free(key);
    return nullptr;
  }
  return key;
}

bool Base64Url(const std::string& in, std::string* out) { return !in.empty() && absl::WebSafeBase64Unescape(in, out); }

}  // namespace

absl::StatusOr<std::unique_ptr<JwtVerificationKey>> JwtVerificationKey::FromJwk(const JwkParameters& jwk,
                                                                                const std::string& algorithm) {
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  EVP_PKEY* key = nullptr;
  if (jwk.kty == "RSA") {
    std::string n, e;
    if (!Base64Url(jwk.n, &n) || !Base64Url(jwk.e, &e)) {
      return absl::InvalidArgumentError("an RSA key needs n and e (base64url)");
    }
    using Bignum = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
    const Bignum bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr),
                      &BN_free);
    const Bignum bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr),
                      &BN_free);
    if (OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1) {
      key = KeyFromParams("RSA", bld.get());
    }
  } else if (jwk.kty == "EC") {
    std::string x, y;
    if (jwk.crv != "P-256" || !Base64Url(jwk.x, &x) || !Base64Url(jwk.y, &y) || x.size() != 32 || y.size() != 32) {
      return absl::InvalidArgumentError("an EC key needs crv P-256 and 32-byte x and y (base64url)");
    }
    const std::string point = "\x04" + x + y;  // uncompressed
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1) {
      key = KeyFromParams("EC", bld.get());
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("key type (kty) '", jwk.kty, "' is not RSA or EC"));
  }
  if (key == nullptr) return absl::InvalidArgumentError("the key parameters do not make a valid public key");
  return FromKey(key, algorithm);
}

absl::StatusOr<std::unique_ptr<JwtVerificationKey>> JwtVerificationKey::FromPem(const std::string& pem,
                                                                                const std::string& algorithm) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return absl::InvalidArgumentError("the JWT public key is not a PEM public key");
  return FromKey(key, algorithm);
}

absl::StatusOr<std::unique_ptr<JwtVerificationKey>> JwtVerificationKey::FromKey(EVP_PKEY* key,
                                                                                const std::string& algorithm) {
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

JwtKeySet::~JwtKeySet() = default;

absl::StatusOr<std::unique_ptr<JwtKeySet>> JwtKeySet::FromPem(const std::string& pem, const std::string& algorithm) {
  auto key = JwtVerificationKey::FromPem(pem, algorithm);
  if (!key.ok()) return key.status();
  std::unique_ptr<JwtKeySet> set(new JwtKeySet());
  set->single_ = *std::move(key);
  return set;
}

absl::StatusOr<std::unique_ptr<JwtKeySet>> JwtKeySet::FromJwks(const std::string& json) {
  const nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array() || doc["keys"].empty()) {
    return absl::InvalidArgumentError("the JWKS is not a JSON object with a non-empty \"keys\" array");
  }
  std::unique_ptr<JwtKeySet> set(new JwtKeySet());
  int index = 0;
  for (const nlohmann::json& k : doc["keys"]) {
    const std::string where = absl::StrCat("JWKS key ", index++);
    auto text = [&](const char* name) {
      return k.is_object() && k.contains(name) && k[name].is_string() ? k[name].get<std::string>() : std::string();
    };
    const std::string kid = text("kid"), alg = text("alg");
    if (kid.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": no kid"));
    if (alg.empty()) return absl::InvalidArgumentError(absl::StrCat(where, " (", kid, "): no alg"));
    if (k.contains("use") && text("use") != "sig") {
      return absl::InvalidArgumentError(absl::StrCat(where, " (", kid, "): use is not \"sig\""));
    }
    if (set->by_kid_.count(kid) > 0) return absl::InvalidArgumentError(absl::StrCat(where, ": kid ", kid, " twice"));
    auto key = JwtVerificationKey::FromJwk({text("kty"), text("n"), text("e"), text("crv"), text("x"), text("y")}, alg);
    if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(where, " (", kid, "): ", key.status().message()));
    set->by_kid_.emplace(kid, *std::move(key));
  }
  return set;
}

const JwtVerificationKey* JwtKeySet::Find(absl::string_view kid) const {
  if (single_) return single_.get();
  if (kid.empty()) return by_kid_.size() == 1 ? by_kid_.begin()->second.get() : nullptr;
  auto it = by_kid_.find(kid);
  return it == by_kid_.end() ? nullptr : it->second.get();
}

}  // namespace cak::common
