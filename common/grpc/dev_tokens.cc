// Token minting with libjwt (see dev_tokens.h).
#include "common/grpc/dev_tokens.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "common/grpc/dev_keys.h"

namespace cak::common {

const char kDevJwtPrivateKeyPem[] = R"pem(-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDWnC1XW8KaIsRR
+tXrchEWsX4VoA+Tzm7PXxDE7lgOUzcKHZ+Hjpa+pbj4+CsWNPMEay33WORidxbb
QVGsWxikfJKfiUJjpmMu4Ls90H0ET46CwBvZA6vt2vyI4pnlWDqEhFhR+sqWfYU9
hDEy/P/aZhyulrclzsW/lMJEUGKEnTSTGbH4IqJq9ZeDCWBNolQZi3cVDoyWU6LF
XWMbaABxsykQVNZ9ARWFJpMdb864YSkm5XOWFA6VcCXs8n/ddNp4qMoF6mS9tJ9H
X715PULPCrhyP/RdNq/RFBRcdqJhiI9KrqVUfTe8QdyMwFOooG8bLbRZ52WYlRlv
V12iT7YpAgMBAAECggEACce+8+blTMueJsjyTB3mqXdtR48D0WNBqYcA5031YAcV
ewsz5KRFj7/9rgWhRmHOBrrbsr9aU80ZkuRnKcj9ASysLJkUwssnufsujU1IZT86
6g/XNQygc+ExoQtdTWu36adztEi5nXdwRbLAizz8a/eQrGQx9Icie+32QdFoAU2+
D8ZYfqklBTsn/4zK69Ru9EbJrbtnz1hsoP+aonVwQpou43Shfn3+rzr+mDLXTEEJ
1DjcVZe/FVF5RBFu4p6vb02e71HoQSyBLrQ6V989ulc7mupNwrpMyEDXehrMK+Ep
qTHo86rCU3aa5vR1QS06qJNUfMaBUrugz/FulGKQAQKBgQDq4LoJBSMRBRjGEBTK
wKrMqJ/8CDPGjknvDhlXkQjceaQ3mdprmTEfFLErQS5qjMJLzGAzpvA+21LJ8KrV
fmyJP3n9eUyQWdD9eeMe1EeI8awz4AXoi6Ny+vagSwwTCp7Ecl5txJHbaUu2y6ir
tb2Lvsq4fpdeYPZIVKr5tpd2/QKBgQDp6NphNK+1psL/nfksIDjj86CvO/YvKsK7
mAu70iMFkMNjCWBkrenN/czoCzfVnpAr/Qhm7IEf+oYqmJ66BhkOMh7zNiTzq0Cv
7XruEHswW5KUYxd5VIqYC83vA/bSbKChuoWEzGa7j+kHyr9LlICAk9+UE4NkI8R0
rw1uZMPBnQKBgCUHYMzjPnAEea9gAaclUMgLHY3CTUdUT1ucwWoIt3jqxHTvkHu+
HvxjarsC/6pUnp0Mj24VN3LxaM/lXUljMQFCPJ01blijkEsl2CSYGt8AGsHi44uR
2CbcYd1Ld4/Y8MbPsQtlHgmVRBaBbQoFEOjjH1qOupZqeulUT9AmdSKRAoGBAIX2
pEuTvyZMEdYQBYruEWcMOvThZIdy+AA0flPdb81aMWzhC+HdcNBXESm8cwfXPj7T
NiKsRO+prXlr20wy/dqRfgRQ+CzN4chgPE1oBwWVDIgLkIAemRmneRPws0WkjQLT
LnD2F8hIDXA3AAQrUsVQ63WFD3UkvvkM4KZe83ZJAoGBAIsXUq0GEl+XRZPRulvj
EJ0+73k1td9K1rtGEGaYg1mDFcfOmvrOpzUDHNgW0EoaykKINnLl///mTLBWTD3E
e0GNJifLsGarsnfQUJBCDRvywMDwgSM/JT1LhH0SJI0yBca2PAegcUbVOy91/Mdi
M1MiR9x/WfTJM3XWU5XrUWRb
-----END PRIVATE KEY-----
)pem";

absl::StatusOr<std::string> MintToken(const TokenClaims& claims, const std::string& private_key_pem) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) return absl::InternalError("jwt_new failed");
  nlohmann::json grants = {
      {"sub", claims.subject},
      {"roles", claims.roles},
      {"principal_type", claims.application ? "application" : "employee"},
      {"iss", claims.issuer.empty() ? kDevJwtIssuer : claims.issuer},
      {"aud", claims.audiences.empty()       ? nlohmann::json(kDevJwtAudience)
              : claims.audiences.size() == 1 ? nlohmann::json(claims.audiences.front())
                                             : nlohmann::json(claims.audiences)},
      {"iat", absl::ToUnixSeconds(claims.issued_at)},
      {"exp", absl::ToUnixSeconds(claims.issued_at + claims.lifetime)},
  };
  int rc = jwt_add_grants_json(jwt, grants.dump().c_str());
  if (rc == 0 && !claims.key_id.empty()) rc = jwt_add_header(jwt, "kid", claims.key_id.c_str());
  if (rc == 0) {
    rc = jwt_set_alg(jwt, JWT_ALG_RS256, reinterpret_cast<const unsigned char*>(private_key_pem.data()),
                     static_cast<int>(private_key_pem.size()));
  }
  char* encoded = rc == 0 ? jwt_encode_str(jwt) : nullptr;
  jwt_free(jwt);
  if (encoded == nullptr) return absl::InternalError("could not sign the token");
  std::string token(encoded);
  std::free(encoded);
  return token;
}

namespace {

// The big number `name` of `key`, base64url, left-padded to `width` bytes (0: its own length).
std::string JwkNumber(EVP_PKEY* key, const char* name, int width = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return "";
  std::string bytes(width > 0 ? width : BN_num_bytes(bn), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  BN_free(bn);
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);
  return out;
}

}  // namespace

absl::StatusOr<std::string> PublicJwk(const std::string& private_key_pem, const std::string& kid,
                                      const std::string& alg) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                          &EVP_PKEY_free);
  if (!key) return absl::InvalidArgumentError("not a PEM private key");
  nlohmann::ordered_json jwk = {{"kid", kid}, {"alg", alg}, {"use", "sig"}};
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    jwk["kty"] = "RSA";
    jwk["n"] = JwkNumber(key.get(), OSSL_PKEY_PARAM_RSA_N);
    jwk["e"] = JwkNumber(key.get(), OSSL_PKEY_PARAM_RSA_E);
  } else if (EVP_PKEY_is_a(key.get(), "EC")) {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = JwkNumber(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32);
    jwk["y"] = JwkNumber(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  } else {
    return absl::InvalidArgumentError("the key is neither RSA nor EC");
  }
  return jwk.dump();
}

}  // namespace cak::common
