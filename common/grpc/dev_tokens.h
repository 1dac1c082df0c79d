// Minting bearer tokens (RS256 JWTs) for development, tests, the benchmark and the command-line
// client's development mode. Services never link this: they only verify.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cak::common {

extern const char kDevJwtPrivateKeyPem[];

struct TokenClaims {
  std::string subject;             // "sub": employee number or application id
  std::vector<std::string> roles;  // "roles"
  bool application = false;        // "principal_type": "application" instead of "employee"
  std::string issuer;              // "iss" (default: the development issuer)
  // "aud": one is written as a string, more as an array (a token several services accept).
  // Empty: the development audience.
  std::vector<std::string> audiences;
  absl::Time issued_at = absl::Now();
  absl::Duration lifetime = absl::Hours(1);
  std::string key_id;  // the header's "kid", when set (a key of a JWKS)
};

// Signs `claims` with `private_key_pem` (RS256).
absl::StatusOr<std::string> MintToken(const TokenClaims& claims,
                                      const std::string& private_key_pem = kDevJwtPrivateKeyPem);

// The public half of `private_key_pem` (RSA, or EC P-256) as a JSON Web Key with `kid`, `alg`
// and use "sig", the way an identity provider publishes it in its key set.
absl::StatusOr<std::string> PublicJwk(const std::string& private_key_pem, const std::string& kid,
                                      const std::string& alg);

}  // namespace cak::common
