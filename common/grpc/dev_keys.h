// The development-mode JWT key pair. It is public knowledge (it is in this repository), so a
// service accepts tokens signed with it only when started with --auth-mode=development, which no
// deployment manifest sets. Tests, the benchmark and the local run use it to mint tokens.
#pragma once

namespace cak::common {

// PEM, RSA 2048, for RS256. The private half is in dev_tokens.h (not linked into services).
extern const char kDevJwtPublicKeyPem[];
// The issuer and audience development tokens carry.
inline constexpr char kDevJwtIssuer[] = "https://dev.voorlichting.cak.invalid";
inline constexpr char kDevJwtAudience[] = "voorlichting";

}  // namespace cak::common
