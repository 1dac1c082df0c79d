// Bearer-token verification and the role table.
#include "common/grpc/auth.h"

#include <gtest/gtest.h>
#include <jwt.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/grpc/dev_keys.h"
#include "common/grpc/dev_tokens.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"

namespace cak::common {
namespace {

using testing::FakeClock;
using testing::StatusIs;

// A second RSA key: tokens it signs must not verify.
constexpr char kOtherPrivateKey[] = R"pem(-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDbM+/K/1okuLxF
VhVXQfnl2kAGDnKbG0PwPS4eXVn5LzbgGWqwAkx8ZBMs3bTgZchwmSTRvwMGkC5F
cbtjOnzAcfcmSVclTiqAxY266r4XDHJlEM6Zc/jnUakpYjYzvqmyQtpp527efN6t
88q+nIGUxhMAQKWi8o43DQ4sddtrFgz1MT7fTX6/j8QPCgJAA7SFvPWQEfWo1FnN
qrpxBJ4DSpWn6IvjhrsUL3NGoqti0GUbbuPuqs6SVPz37Ro4H7RQyVHqZQsBVFnz
zHEABOxRG4P9Xnbbj4QS6CtlcPQfXTq51StQyRnPgU4tLhtbqzscrwtLbVtIaOwd
u+4URDn/AgMBAAECggEABACAPcAIuMfopAlszVGGivQ/m/yyifNm+6FaULKanGqI
wXGlWX5JQDIhiX2oujoRfUDGg8/Ncda7CYiIh8i/E1JhVUEchrFVJFG3AzUa8FfJ
VOAILZQI9MwwXvGMlMhD193RmAJiK0yzUhCz4GQCF6HAIg6MF5v/DbE+03/5WAyf
3HdBw2g69HB6Cw5GZwbaWMJNLqoTgwCwbCs8kUUMuQNwBmSAWE3iTyrg4WQjHNY4
T7TOOLtdWocpH8qGxbWm6FsOT6vTOyB3pFU/cILkVwZQ7EepZ6Od6s4NvDslpT5b
6mY0Lix5egAcGEsptcalmB6xM7iMkYW8AnDZap076QKBgQDvaVTNczh6VVBrCMXf
N+b3eVR3JjhMzz4PXnI8ptlMzOuyndVuLMlUVNPu9K0JDjEkfoGHbVj09wk9bD+H
QbbR8YpItGZWo0sa681Dsow6kcu/FJFz4Gt/h3PPTL1Nbe9ij4gM7Bn2zoTqkvo4
dC5Qs4tn2arwtD/i2zOfiP6y+QKBgQDqZCWRREmSxHHz0NDSoEnNtpReHPv2SR90
FFyZfvAo3i+YFWil8HWYKR6HXWcH2+EDORdP+wsDB8TsKoJXUy0qQpVwZZI/xVXJ
E5L2lMFdW+UfZI6agWTxF2OONWWwql4Vn2rXfhyml86wU6YIJVos5PWRmPeF19Ah
SugwtG0atwKBgHhrfqAoSEwgBWcQ7pYsRBxOBtI3gzH/O7P3SXaAZeRfXl5lTSkx
lcK5ODCFGVPos4crqnM36PquFxOyEvIxd4d5+pg/RQpm8CwGVySp9iavls/xxIeI
ZgmrU/D9JGqB1Vq53zDAwP6HOgvTCdDDf1hQNtpxfa28vDWbFAg2nAXhAoGAZLA6
tymnlWXQMdXdLu3uZnFtUPSQhF8rJNluYf32uwefWGyx9L7UNVZMqAfGr8iT46eN
zSzhsR6QSIeGUG8JsuLBgXQQnFZwIJ3I/yYt3qYQSikPXW4CZ9MNUFS952N4YT+H
TST+t8302yhD5bHuB+UfXLlic1ufK/4aunl3eQcCgYAWn2WgGxvkMqJvbVBRQu6F
S6LjGw/XAqrjm7agYX+NlzxqEmhlI5kE6Z8tdLFecWMGZA+gHRoiwNBEVk0y49L2
6qYZLZIRPxnh/EdTwZ0QR47vRkLH/rNqjSUTCstzQ3Fxx/3CdbaGWr24zmSE77Az
oIus0+4OFQJGEOscpN7cIg==
-----END PRIVATE KEY-----
)pem";

// An EC P-256 key for ES256 tokens.
constexpr char kEcPrivateKey[] = R"pem(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg367buY5RdqEWIIC7
YBSzug0acLA3qpsXJ+gWzbFuxk6hRANCAATY58AhjIdQZJzjkAs1fJ/8tivm3vx6
GkbieUt09q3RqR2GtrFU8VJ6aIW3MwT8bAuG2pGVjfWC02kazUbQhR/w
-----END PRIVATE KEY-----
)pem";

// The public half of `private_pem` as a JWK with `kid` and `alg` (what an identity provider
// publishes).
std::string Jwk(const std::string& private_pem, const std::string& kid, const std::string& alg) {
  auto jwk = PublicJwk(private_pem, kid, alg);
  EXPECT_TRUE(jwk.ok()) << jwk.status();
  return jwk.ok() ? *jwk : "";
}

std::string Jwks(const std::vector<std::string>& keys) {
  return absl::StrCat(R"({"keys":[)", absl::StrJoin(keys, ","), "]}");
}

class AuthTest : public ::testing::Test {
 protected:
  AuthTest() : clock_(absl::Now()) {
    AuthOptions o;
    o.mode = "development";
    auth_ = *Authenticator::Create(o, &clock_);
  }
  std::string Token(TokenClaims c, const std::string& key = kDevJwtPrivateKeyPem) {
    if (c.subject.empty()) c.subject = "emp-1";
    c.issued_at = clock_.Now();
    return *MintToken(c, key);
  }
  // A token built by hand (not by MintToken): signed with `alg` under `key`, valid for an hour,
  // naming `kid` in its header when given.
  std::string HandSigned(jwt_alg_t alg, const std::string& key, const char* subject, const char* roles_json,
                         const char* kid = nullptr) {
    jwt_t* jwt = nullptr;
    EXPECT_EQ(jwt_new(&jwt), 0);
    if (kid != nullptr) jwt_add_header(jwt, "kid", kid);
    jwt_add_grant(jwt, "sub", subject);
    jwt_add_grant(jwt, "iss", kDevJwtIssuer);
    jwt_add_grant(jwt, "aud", kDevJwtAudience);
    jwt_add_grant_int(jwt, "iat", absl::ToUnixSeconds(clock_.Now()));
    jwt_add_grant_int(jwt, "exp", absl::ToUnixSeconds(clock_.Now()) + 3600);
    jwt_add_grants_json(jwt, roles_json);
    EXPECT_EQ(jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(key.data()), key.size()), 0);
    char* raw = jwt_encode_str(jwt);
    jwt_free(jwt);
    std::string token = raw ? raw : "";
    std::free(raw);
    return token;
  }
  FakeClock clock_;
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(AuthTest, AcceptsAValidToken) {
  auto p = auth_->VerifyToken(Token({.subject = "emp-42", .roles = {"intake_officer", "analyst"}}));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->id, "emp-42");
  EXPECT_EQ(p->kind, PrincipalKind::kEmployee);
  EXPECT_TRUE(p->HasRole("analyst"));
  auto app =
      auth_->VerifyToken(Token({.subject = "kcc-portal", .roles = {"reporting_application"}, .application = true}));
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->kind, PrincipalKind::kApplication);
}

// A token an identity provider issued for several services (aud as an array) is accepted by each
// of them.
TEST_F(AuthTest, AcceptsATokenForSeveralAudiencesThatNamesThisService) {
  auto p = auth_->VerifyToken(
      Token({.subject = "emp-42", .roles = {"analyst"}, .audiences = {"intake-svc", kDevJwtAudience}}));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->id, "emp-42");
}

TEST_F(AuthTest, RejectsExpiredWrongIssuerAudienceOrKey) {
  const auto unauth = [](const absl::StatusOr<Principal>& p) {
    return p.status().code() == absl::StatusCode::kUnauthenticated && ErrorReason(p.status()) == "UNAUTHENTICATED";
  };
  std::string expired = Token({.lifetime = absl::Minutes(5)});
  clock_.Advance(absl::Minutes(10));
  EXPECT_TRUE(unauth(auth_->VerifyToken(expired)));
  EXPECT_TRUE(unauth(auth_->VerifyToken(Token({.issuer = "https://evil.example"}))));
  EXPECT_TRUE(unauth(auth_->VerifyToken(Token({.audiences = {"other-system"}}))));
  EXPECT_TRUE(unauth(auth_->VerifyToken(Token({.audiences = {"other-system", "another-system"}}))));
  EXPECT_TRUE(unauth(auth_->VerifyToken(Token({}, kOtherPrivateKey))));
  EXPECT_TRUE(unauth(auth_->VerifyToken("not.a.token")));
  EXPECT_TRUE(unauth(auth_->VerifyToken("")));
}

TEST_F(AuthTest, RejectsSymmetricForgeryWithThePublicKeyAndUnsignedTokens) {
  // The classic algorithm confusion: HS256 "signed" with the public key as the HMAC secret.
  const std::string forged =
      HandSigned(JWT_ALG_HS256, kDevJwtPublicKeyPem, "attacker", R"({"roles":["administrator"]})");
  ASSERT_FALSE(forged.empty());
  EXPECT_THAT(auth_->VerifyToken(forged), StatusIs(absl::StatusCode::kUnauthenticated, "UNAUTHENTICATED", ""));

  const std::string header = absl::WebSafeBase64Escape(R"({"alg":"none","typ":"JWT"})");
  const std::string body =
      absl::WebSafeBase64Escape(R"({"sub":"attacker","iss":")" + std::string(kDevJwtIssuer) + R"(","aud":")" +
                                kDevJwtAudience + R"(","exp":9999999999,"roles":["administrator"]})");
  EXPECT_THAT(auth_->VerifyToken(header + "." + body + "."),
              StatusIs(absl::StatusCode::kUnauthenticated, "UNAUTHENTICATED", ""));
}

// The algorithm is the configured one, never the one a token names: with the RSA key pinned to
// RS256, a token signed RS384 or RS512 by the same key is refused; pinned to RS384, RS384 is the
// one accepted. An algorithm that does not fit the key is a configuration error.
TEST_F(AuthTest, OnlyTheConfiguredAlgorithmIsAccepted) {
  auto signed_with = [&](jwt_alg_t alg) {
    return HandSigned(alg, kDevJwtPrivateKeyPem, "emp-7", R"({"roles":["analyst"]})");
  };
  const std::string rs256 = signed_with(JWT_ALG_RS256), rs384 = signed_with(JWT_ALG_RS384),
                    rs512 = signed_with(JWT_ALG_RS512);
  EXPECT_TRUE(auth_->VerifyToken(rs256).ok());
  EXPECT_THAT(auth_->VerifyToken(rs384), StatusIs(absl::StatusCode::kUnauthenticated, "UNAUTHENTICATED", ""));
  EXPECT_THAT(auth_->VerifyToken(rs512), StatusIs(absl::StatusCode::kUnauthenticated, "UNAUTHENTICATED", ""));

  AuthOptions o;
  o.mode = "jwt";
  o.jwt_public_key_pem = kDevJwtPublicKeyPem;
  o.issuer = kDevJwtIssuer;
  o.audience = kDevJwtAudience;
  o.jwt_algorithm = "RS384";
  auto pinned = Authenticator::Create(o, &clock_);
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  EXPECT_TRUE((*pinned)->VerifyToken(rs384).ok());
  EXPECT_FALSE((*pinned)->VerifyToken(rs256).ok());
  o.jwt_algorithm = "ES256";  // an RSA key
  EXPECT_EQ(Authenticator::Create(o, &clock_).status().code(), absl::StatusCode::kInvalidArgument);
  o.jwt_algorithm = "HS256";
  EXPECT_EQ(Authenticator::Create(o, &clock_).status().code(), absl::StatusCode::kInvalidArgument);
}

// Key rotation with a JSON Web Key Set: the token's kid picks the key, each key verifies only
// its own algorithm, and the old and the new key are both valid while the rotation runs.
TEST_F(AuthTest, AKeySetPicksTheKeyByKidAndHoldsTwoDuringARotation) {
  AuthOptions o;
  o.mode = "jwt";
  o.issuer = kDevJwtIssuer;
  o.audience = kDevJwtAudience;
  o.jwt_jwks = Jwks({Jwk(kDevJwtPrivateKeyPem, "2026-11", "RS256"), Jwk(kEcPrivateKey, "2026-12", "ES256")});
  auto rotating = Authenticator::Create(o, &clock_);
  ASSERT_TRUE(rotating.ok()) << rotating.status();
  auto token = [&](jwt_alg_t alg, const std::string& key, const char* kid) {
    return HandSigned(alg, key, "emp-9", R"({"roles":["analyst"]})", kid);
  };
  const auto refused = StatusIs(absl::StatusCode::kUnauthenticated, "UNAUTHENTICATED", "");
  EXPECT_TRUE((*rotating)->VerifyToken(token(JWT_ALG_RS256, kDevJwtPrivateKeyPem, "2026-11")).ok());  // the old key
  EXPECT_TRUE((*rotating)->VerifyToken(token(JWT_ALG_ES256, kEcPrivateKey, "2026-12")).ok());         // the new key
  EXPECT_THAT((*rotating)->VerifyToken(token(JWT_ALG_RS256, kDevJwtPrivateKeyPem, "2026-12")), refused);
  EXPECT_THAT((*rotating)->VerifyToken(token(JWT_ALG_ES256, kEcPrivateKey, "2026-11")), refused);
  EXPECT_THAT((*rotating)->VerifyToken(token(JWT_ALG_RS256, kDevJwtPrivateKeyPem, "2027-01")), refused);  // unknown
  EXPECT_THAT((*rotating)->VerifyToken(token(JWT_ALG_RS256, kDevJwtPrivateKeyPem, nullptr)), refused);    // which key?
  EXPECT_THAT((*rotating)->VerifyToken(token(JWT_ALG_RS384, kDevJwtPrivateKeyPem, "2026-11")), refused);  // its alg
  EXPECT_THAT((*rotating)->VerifyToken(token(JWT_ALG_RS256, kOtherPrivateKey, "2026-11")), refused);
  EXPECT_THAT((*rotating)->VerifyToken(token(JWT_ALG_HS256, kDevJwtPublicKeyPem, "2026-11")), refused);

  // The rotation done: the old key is gone from the set; a single key needs no kid.
  o.jwt_jwks = Jwks({Jwk(kEcPrivateKey, "2026-12", "ES256")});
  auto rotated = Authenticator::Create(o, &clock_);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_THAT((*rotated)->VerifyToken(token(JWT_ALG_RS256, kDevJwtPrivateKeyPem, "2026-11")), refused);
  EXPECT_TRUE((*rotated)->VerifyToken(token(JWT_ALG_ES256, kEcPrivateKey, "2026-12")).ok());
  EXPECT_TRUE((*rotated)->VerifyToken(token(JWT_ALG_ES256, kEcPrivateKey, nullptr)).ok());
}

TEST_F(AuthTest, ABadKeySetIsAConfigurationError) {
  AuthOptions o;
  o.mode = "jwt";
  o.issuer = kDevJwtIssuer;
  o.audience = kDevJwtAudience;
  const std::string rsa = Jwk(kDevJwtPrivateKeyPem, "a", "RS256");
  const std::string ec = Jwk(kEcPrivateKey, "b", "ES256");
  auto with = [](std::string jwk, const std::string& from, const std::string& to) {
    const size_t at = jwk.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return jwk.replace(at, from.size(), to);
  };
  for (const std::string& bad :
       {std::string("not json"), std::string("[]"), std::string(R"({"keys":[]})"),
        Jwks({with(rsa, R"("kid":"a",)", "")}),                     // no kid
        Jwks({with(rsa, R"("alg":"RS256",)", "")}),                 // no alg
        Jwks({rsa, with(ec, R"("kid":"b")", R"("kid":"a")")}),      // kid twice
        Jwks({with(rsa, R"("alg":"RS256")", R"("alg":"ES256")")}),  // alg misfits the key
        Jwks({with(rsa, R"("alg":"RS256")", R"("alg":"HS256")")}),
        Jwks({with(rsa, R"("kty":"RSA")", R"("kty":"oct")")}), Jwks({with(rsa, R"("use":"sig")", R"("use":"enc")")}),
        Jwks({with(ec, R"("crv":"P-256")", R"("crv":"P-384")")}),
        Jwks({with(ec, R"("x":")", R"("x":"AAAA)")}),  // x not 32 bytes
        Jwks({with(ec, R"("x":")", R"("x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","z":")")})}) {
    o.jwt_jwks = bad;
    EXPECT_EQ(Authenticator::Create(o, &clock_).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  o.jwt_jwks = Jwks({rsa, ec});
  EXPECT_TRUE(Authenticator::Create(o, &clock_).ok());
  o.jwt_algorithm = "RS256";  // a JWKS key names its own
  EXPECT_EQ(Authenticator::Create(o, &clock_).status().code(), absl::StatusCode::kInvalidArgument);
  o.jwt_algorithm.clear();
  o.jwt_public_key_pem = kDevJwtPublicKeyPem;  // one of the two, not both
  EXPECT_EQ(Authenticator::Create(o, &clock_).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthTest, JwtModeNeedsKeyIssuerAndAudience) {
  AuthOptions o;
  o.mode = "jwt";
  EXPECT_EQ(Authenticator::Create(o, &clock_).status().code(), absl::StatusCode::kInvalidArgument);
  o.jwt_public_key_pem = kDevJwtPublicKeyPem;
  EXPECT_EQ(Authenticator::Create(o, &clock_).status().code(), absl::StatusCode::kInvalidArgument);
  o.issuer = "https://login.cak.nl";
  o.audience = "intake-svc";
  EXPECT_TRUE(Authenticator::Create(o, &clock_).ok());
  o.mode = "open";
  EXPECT_EQ(Authenticator::Create(o, &clock_).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RoleTableTest, AllowsListedRolesAndFailsClosed) {
  RoleTable table{{"DeclineSignal", {"intake_officer"}}};
  Principal officer{"e1", PrincipalKind::kEmployee, {"intake_officer"}};
  Principal analyst{"e2", PrincipalKind::kEmployee, {"analyst"}};
  EXPECT_TRUE(table.Authorize(officer, "DeclineSignal").ok());
  EXPECT_THAT(table.Authorize(analyst, "DeclineSignal"),
              StatusIs(absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED", ""));
  EXPECT_THAT(table.Authorize(officer, "SomethingUnlisted"),
              StatusIs(absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED", ""));
}

TEST(ServiceIdentitiesTest, Parses) {
  auto ids =
      ParseServiceIdentities("campaign-svc.voorlichting.svc=campaign_service, dispatch=dispatch_service+executor");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->at("campaign-svc.voorlichting.svc"), std::vector<std::string>{"campaign_service"});
  EXPECT_EQ(ids->at("dispatch").size(), 2u);
  EXPECT_FALSE(ParseServiceIdentities("no-roles=").ok());
  EXPECT_FALSE(ParseServiceIdentities("=role").ok());
}

}  // namespace
}  // namespace cak::common
