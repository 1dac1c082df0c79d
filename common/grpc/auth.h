// Authentication and per-RPC authorisation.
//
// Callers prove who they are in one of two ways:
// - Employees (and applications using OAuth client credentials) send
//   "authorization: Bearer <JWT>". The token must be signed by a configured key, with that
//   key's one algorithm (RS256/RS384/RS512 or ES256), and carry iss, aud, exp (and sub,
//   roles); nbf and iat are honoured with a small skew. The key is one PEM key, or a JSON Web
//   Key Set whose keys the token's `kid` header selects (two keys valid during a rotation).
// - The suite's services and executors connect with a client certificate (mTLS, when TLS is
//   configured); the certificate's identity (SAN, else CN) maps to roles through the
//   service-identity table.
// A bearer token, when present, is authoritative. No valid credential: UNAUTHENTICATED.
//
// The RoleTable says which roles may call which method; a method missing from the table is
// denied to everyone (fail closed). A wrong role: PERMISSION_DENIED.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "common/base/principal.h"

namespace cak::common {

struct AuthOptions {
  // "jwt": tokens signed by jwt_public_key_pem or a key of jwt_jwks (exactly one of the two).
  // "development": the committed development key (common/grpc/dev_keys.h); must be chosen
  // explicitly.
  std::string mode = "jwt";
  std::string jwt_public_key_pem;
  // The one algorithm tokens of the PEM key must be signed with (RS256, RS384, RS512 for an RSA
  // key; ES256 for an EC P-256 key); empty: RS256 for RSA, ES256 for EC. A token naming another
  // is refused. (A JWKS key names its own, in "alg".)
  std::string jwt_algorithm;
  // A JSON Web Key Set (RFC 7517) text; see JwtKeySet::FromJwks.
  std::string jwt_jwks;
  std::string issuer;
  std::string audience;
  absl::Duration clock_skew = absl::Seconds(60);
  // mTLS identity -> roles.
  std::map<std::string, std::vector<std::string>> service_identities;
};

// Parses "identity=role+role,identity2=role" (the --service-identities option).
absl::StatusOr<std::map<std::string, std::vector<std::string>>> ParseServiceIdentities(absl::string_view text);

// The key that signs bearer tokens, parsed once (OpenSSL's PEM decoding is far too slow to do
// per call), with the one algorithm it verifies: `algorithm` (RS256, RS384 or RS512 for an RSA
// key, ES256 for an EC P-256 key), by default RS256 or ES256. INVALID_ARGUMENT for an algorithm
// that does not fit the key.
class JwtVerificationKey {
 public:
  static absl::StatusOr<std::unique_ptr<JwtVerificationKey>> FromPem(const std::string& pem,
                                                                     const std::string& algorithm = "");
  // A public key given by its JWK parameters (base64url, no padding): kty "RSA" with n and e,
  // or kty "EC" with crv "P-256", x and y; verifying `algorithm` only.
  struct JwkParameters {
    std::string kty, n, e, crv, x, y;
  };
  static absl::StatusOr<std::unique_ptr<JwtVerificationKey>> FromJwk(const JwkParameters& jwk,
                                                                     const std::string& algorithm);
  ~JwtVerificationKey();
  // True when `alg` is this key's algorithm and `signature` over `signing_input` is valid.
  bool Verify(const std::string& alg, absl::string_view signing_input, const std::string& signature) const;

 private:
  JwtVerificationKey() = default;
  // Takes ownership of `key` (an OpenSSL EVP_PKEY).
  static absl::StatusOr<std::unique_ptr<JwtVerificationKey>> FromKey(struct evp_pkey_st* key,
                                                                     const std::string& algorithm);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The keys bearer tokens may be signed with, by key id.
class JwtKeySet {
 public:
  // One PEM key: every token is checked against it (a `kid` it names is not looked at).
  static absl::StatusOr<std::unique_ptr<JwtKeySet>> FromPem(const std::string& pem, const std::string& algorithm);
  // A JSON Web Key Set: {"keys": [{"kid": ..., "alg": ..., "kty": ..., ...}, ...]}. Every key
  // names a kid (unique in the set) and its alg (RS256, RS384, RS512 or ES256, fitting the key:
  // pinned per key); "use", where given, is "sig". INVALID_ARGUMENT naming the key otherwise.
  static absl::StatusOr<std::unique_ptr<JwtKeySet>> FromJwks(const std::string& json);
  ~JwtKeySet();

  // The key that must verify a token whose header names `kid` ("" when it names none): the PEM
  // key; the set's key with that kid; with no kid only the set's single key. Null: none fits.
  const JwtVerificationKey* Find(absl::string_view kid) const;
  size_t size() const { return by_kid_.size() + (single_ ? 1 : 0); }

 private:
  JwtKeySet() = default;
  std::unique_ptr<JwtVerificationKey> single_;  // FromPem
  std::map<std::string, std::unique_ptr<JwtVerificationKey>, std::less<>> by_kid_;
};

class Authenticator {
 public:
  // INVALID_ARGUMENT for a bad mode, a missing or unreadable key, or a missing issuer/audience
  // in jwt mode.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(AuthOptions options, const Clock* clock);

  // UNAUTHENTICATED (reason UNAUTHENTICATED) when no valid credential is presented.
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContext& context) const;

  // The bearer-token half, for unit tests: `token` without the "Bearer " prefix.
  absl::StatusOr<Principal> VerifyToken(absl::string_view token) const;

  const AuthOptions& options() const { return options_; }

 private:
  Authenticator(AuthOptions options, const Clock* clock, std::unique_ptr<JwtKeySet> keys)
      : options_(std::move(options)), clock_(clock), keys_(std::move(keys)) {}
  absl::StatusOr<Principal> VerifyUncached(absl::string_view token, int64_t* expiry) const;

  AuthOptions options_;
  const Clock* clock_;
  std::unique_ptr<JwtKeySet> keys_;
  // Tokens already verified, until their expiry: callers reuse a token for many calls, and a
  // signature check is the most expensive step of a call. Bounded; cleared when full.
  struct CachedPrincipal {
    Principal principal;
    int64_t expiry;  // Unix seconds
  };
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, CachedPrincipal> cache_;
};

class RoleTable {
 public:
  RoleTable() = default;
  RoleTable(std::initializer_list<std::pair<const std::string, std::vector<std::string>>> entries)
      : entries_(entries) {}

  // PERMISSION_DENIED (reason PERMISSION_DENIED) unless `principal` holds one of the roles
  // listed for `method`.
  absl::Status Authorize(const Principal& principal, absl::string_view method) const;

  bool Has(absl::string_view method) const { return entries_.count(std::string(method)) > 0; }
  const std::map<std::string, std::vector<std::string>>& entries() const { return entries_; }

 private:
  std::map<std::string, std::vector<std::string>> entries_;
};

}  // namespace cak::common
