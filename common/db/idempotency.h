// Idempotent creates by request_id (AIP-155), inside the caller's transaction.
//
// Usage in a repository's create transaction:
//   CAK_ASSIGN_OR_RETURN(auto existing, ClaimRequestId(tx, schema, key, new_id, now));
//   if (existing) return *existing;   // a repeat: the resource the first request created
//   ... insert the resource with new_id ...
// The claim and the resource commit together, so a crash in between leaves neither.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/idempotency_key.h"
#include "common/db/pool.h"

namespace cak::common::db {

// Claims `key` for `resource_id`. Returns nullopt when the claim is new, the first request's
// resource id when this is a repeat with the same fingerprint, and INVALID_ARGUMENT (reason
// REQUEST_ID_REUSED, field request_id) when the request_id was used for a different request.
// A concurrent first request with the same key makes this wait for it to commit.
absl::StatusOr<std::optional<std::string>> ClaimRequestId(Tx& tx, const std::string& schema, const IdempotencyKey& key,
                                                          const std::string& resource_id, absl::Time now);

// The same for many keys in one statement (batched creates): one result per key, in order.
// Two keys in the same call that are equal: the first claims, the second is its repeat.
struct Claim {
  const IdempotencyKey* key;
  std::string resource_id;
  absl::Time now;
};
std::vector<absl::StatusOr<std::optional<std::string>>> ClaimRequestIds(Tx& tx, const std::string& schema,
                                                                        const std::vector<Claim>& claims);

// An earlier claim of (operation, request_id), read without claiming: for requests whose
// fingerprint is only known at the end (streamed imports) or that should skip expensive work
// on a repeat. Throws what SOCI throws.
struct ClaimedKey {
  std::string fingerprint;
  std::string resource_id;
};
std::optional<ClaimedKey> FindRequestId(soci::session& sql, const std::string& schema, const std::string& operation,
                                        const std::string& request_id);

// An earlier claim of `key`, read on a pooled session: the resource id the first request
// created, nullopt for a new request_id, INVALID_ARGUMENT (REQUEST_ID_REUSED, field request_id)
// when the request_id was used for a different request. For creates whose checks depend on the
// time or on other services: a repeat must answer with the first result before those checks
// run (AIP-155), or a retry a day later would be refused for a window now in the past.
absl::StatusOr<std::optional<std::string>> FindClaim(PgPool& pool, const std::string& schema, const IdempotencyKey& key,
                                                     absl::Time deadline);

// Removes the keys that point at the given resources (when those are purged).
void ForgetRequestIds(Tx& tx, const std::string& schema, const std::string& resource_ids_array_literal);

}  // namespace cak::common::db
