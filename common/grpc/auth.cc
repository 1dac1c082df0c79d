// JWT and mTLS authentication, role-table authorisation (see auth.h).
#include "common/grpc/auth.h"

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/errors.h"
#include "common/grpc/dev_keys.h"

namespace cak::common {
namespace {

absl::Status Unauthenticated(absl::string_view why) {
  return MakeError(absl::StatusCode::kUnauthenticated, reason::kUnauthenticated, why);
}

}  // namespace

absl::StatusOr<std::map<std::string, std::vector<std::string>>> ParseServiceIdentities(absl::string_view text) {
  std::map<std::string, std::vector<std::string>> out;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || absl::StripAsciiWhitespace(kv[0]).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("service identity entry '", entry, "' is not identity=role+role"));
    }
    std::vector<std::string> roles;
    for (absl::string_view role : absl::StrSplit(kv[1], '+', absl::SkipWhitespace())) {
      roles.emplace_back(absl::StripAsciiWhitespace(role));
    }
    if (roles.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("service identity '", kv[0], "' has no roles"));
    }
    out[std::string(absl::StripAsciiWhitespace(kv[0]))] = std::move(roles);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(AuthOptions options, const Clock* clock) {
  if (options.mode == "development") {
    options.jwt_public_key_pem = kDevJwtPublicKeyPem;
    if (options.issuer.empty()) options.issuer = kDevJwtIssuer;
    if (options.audience.empty()) options.audience = kDevJwtAudience;
  } else if (options.mode == "jwt") {
    if (options.jwt_public_key_pem.empty() == options.jwt_jwks.empty()) {
      return absl::InvalidArgumentError(
          "auth mode jwt needs one public key (--jwt-public-key-file) or one key set (--jwt-jwks-file)");
    }
    if (!options.jwt_jwks.empty() && !options.jwt_algorithm.empty()) {
      return absl::InvalidArgumentError("--jwt-algorithm goes with --jwt-public-key-file; a JWKS key names its alg");
    }
    if (options.issuer.empty() || options.audience.empty()) {
      return absl::InvalidArgumentError("auth mode jwt needs --jwt-issuer and --jwt-audience");
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown auth mode '", options.mode, "'"));
  }
  auto keys = options.jwt_jwks.empty() ? JwtKeySet::FromPem(options.jwt_public_key_pem, options.jwt_algorithm)
                                       : JwtKeySet::FromJwks(options.jwt_jwks);
  if (!keys.ok()) return keys.status();
  return std::unique_ptr<Authenticator>(new Authenticator(std::move(options), clock, *std::move(keys)));
}

absl::StatusOr<Principal> Authenticator::VerifyToken(absl::string_view token) const {
  constexpr size_t kMaxCachedTokens = 10000;
  const std::string key(token);
  const int64_t now = absl::ToUnixSeconds(clock_->Now());
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (it->second.expiry + absl::ToInt64Seconds(options_.clock_skew) >= now) return it->second.principal;
      cache_.erase(it);
    }
  }
  int64_t expiry = 0;
  absl::StatusOr<Principal> principal = VerifyUncached(token, &expiry);
  if (principal.ok()) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (cache_.size() >= kMaxCachedTokens) cache_.clear();
    cache_[key] = CachedPrincipal{*principal, expiry};
  }
  return principal;
}

absl::StatusOr<Principal> Authenticator::VerifyUncached(absl::string_view token, int64_t* expiry) const {
  // header.payload.signature, each base64url; the signature covers "header.payload".
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == absl::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == absl::string_view::npos || token.find('.', dot2 + 1) != absl::string_view::npos) {
    return Unauthenticated("the bearer token is not a JWT");
  }
  std::string header_text, payload_text, signature;
  if (!absl::WebSafeBase64Unescape(token.substr(0, dot1), &header_text) ||
      !absl::WebSafeBase64Unescape(token.substr(dot1 + 1, dot2 - dot1 - 1), &payload_text) ||
      !absl::WebSafeBase64Unescape(token.substr(dot2 + 1), &signature)) {
    return Unauthenticated("the bearer token is not a JWT");
  }
  const nlohmann::json header = nlohmann::json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string()) {
    return Unauthenticated("the bearer token header is malformed");
  }
  std::string kid;
  if (header.contains("kid")) {
    if (!header["kid"].is_string()) return Unauthenticated("the bearer token header is malformed");
    kid = header["kid"].get<std::string>();
  }
  const JwtVerificationKey* key = keys_->Find(kid);
  if (key == nullptr) return Unauthenticated("the bearer token's key id (kid) names no configured key");
  // Only the asymmetric algorithm of that key: an HS* token "signed" with the public key as
  // HMAC secret, or an unsigned one ("none"), never passes.
  if (!key->Verify(header["alg"].get<std::string>(), token.substr(0, dot2), signature)) {
    return Unauthenticated("the bearer token is invalid or its signature does not verify");
  }
  nlohmann::json claims = nlohmann::json::parse(payload_text, nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object()) return Unauthenticated("the bearer token claims are malformed");

  const int64_t now = absl::ToUnixSeconds(clock_->Now());
  const int64_t skew = absl::ToInt64Seconds(options_.clock_skew);
  if (!claims.contains("exp") || !claims["exp"].is_number_integer()) {
    return Unauthenticated("the bearer token has no expiry");
  }
  if (claims["exp"].get<int64_t>() + skew < now) return Unauthenticated("the bearer token has expired");
  *expiry = claims["exp"].get<int64_t>();
  if (claims.contains("nbf") && claims["nbf"].is_number_integer() && claims["nbf"].get<int64_t>() - skew > now) {
    return Unauthenticated("the bearer token is not valid yet");
  }
  if (!claims.contains("iss") || claims["iss"] != options_.issuer) {
    return Unauthenticated("the bearer token has the wrong issuer");
  }
  bool audience_ok = false;
  if (claims.contains("aud")) {
    const auto& aud = claims["aud"];
    if (aud.is_string()) audience_ok = aud == options_.audience;
    if (aud.is_array()) {
      for (const auto& a : aud) audience_ok |= a.is_string() && a == options_.audience;
    }
  }
  if (!audience_ok) return Unauthenticated("the bearer token is not meant for this service (aud)");
  if (!claims.contains("sub") || !claims["sub"].is_string() || claims["sub"].get<std::string>().empty()) {
    return Unauthenticated("the bearer token has no subject");
  }

  Principal principal;
  principal.id = claims["sub"].get<std::string>();
  principal.kind = claims.value("principal_type", "employee") == "application" ? PrincipalKind::kApplication
                                                                               : PrincipalKind::kEmployee;
  if (claims.contains("roles") && claims["roles"].is_array()) {
    for (const auto& r : claims["roles"]) {
      if (r.is_string()) principal.roles.push_back(r.get<std::string>());
    }
  }
  return principal;
}

absl::StatusOr<Principal> Authenticator::Authenticate(const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) {
    absl::string_view value(it->second.data(), it->second.size());
    if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
      return Unauthenticated("the authorization header is not a bearer token");
    }
    return VerifyToken(absl::StripAsciiWhitespace(value));
  }
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth && auth->IsPeerAuthenticated()) {
    for (const auto& identity : auth->GetPeerIdentity()) {
      std::string id(identity.data(), identity.size());
      auto entry = options_.service_identities.find(id);
      if (entry != options_.service_identities.end()) {
        return Principal{id, PrincipalKind::kApplication, entry->second};
      }
    }
    return Unauthenticated("the client certificate's identity is not a known service");
  }
  return Unauthenticated("no credentials: send a bearer token or a client certificate");
}

absl::Status RoleTable::Authorize(const Principal& principal, absl::string_view method) const {
  auto it = entries_.find(std::string(method));
  if (it != entries_.end()) {
    for (const auto& role : it->second) {
      if (principal.HasRole(role)) return absl::OkStatus();
    }
  }
  return MakeError(absl::StatusCode::kPermissionDenied, reason::kPermissionDenied,
                   absl::StrCat("the caller's roles do not allow ", method));
}

}  // namespace cak::common
