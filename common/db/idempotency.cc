// Request-id claims (see idempotency.h).
#include "common/db/idempotency.h"

#include "common/base/clock.h"
#include "common/base/errors.h"

namespace cak::common::db {

absl::StatusOr<std::optional<std::string>> ClaimRequestId(Tx& tx, const std::string& schema,
                                                          const IdempotencyKey& key,
                                                          const std::string& resource_id,
                                                          absl::Time now) {
  soci::session& sql = tx.sql();
  int claimed = 0;
  soci::indicator ind = soci::i_null;
  const long long created = absl::ToUnixMicros(now);
  sql << "INSERT INTO " + schema +
             ".idempotency_keys (operation, request_id, fingerprint, resource_id, create_time)"
             " VALUES (:op, :rid, :fp, :res, " + schema + ".from_micros(:t))"
             " ON CONFLICT (operation, request_id) DO NOTHING RETURNING 1",
      soci::use(key.operation), soci::use(key.request_id), soci::use(key.fingerprint),
      soci::use(resource_id), soci::use(created),
      soci::into(claimed, ind);
  if (sql.got_data() && ind == soci::i_ok) return std::nullopt;

  std::string fingerprint, existing;
  sql << "SELECT fingerprint, resource_id FROM " + schema +
             ".idempotency_keys WHERE operation = :op AND request_id = :rid",
      soci::use(key.operation), soci::use(key.request_id), soci::into(fingerprint),
      soci::into(existing);
  if (fingerprint != key.fingerprint) {
    return InvalidField(reason::kRequestIdReused, "request_id",
                        "this request_id was already used for a different request");
  }
  return existing;
}

void ForgetRequestIds(Tx& tx, const std::string& schema, const std::string& resource_ids_array_literal) {
  tx.sql() << "DELETE FROM " + schema + ".idempotency_keys WHERE resource_id = ANY(CAST(:ids AS text[]))",
      soci::use(resource_ids_array_literal);
}

}  // namespace cak::common::db
