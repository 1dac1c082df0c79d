// Request-id claims (see idempotency.h).
#include "common/db/idempotency.h"

#include <set>

#include "common/base/clock.h"
#include "common/base/errors.h"
#include "common/db/prepared.h"
#include "common/db/sql_array.h"

namespace cak::common::db {

absl::StatusOr<std::optional<std::string>> ClaimRequestId(Tx& tx, const std::string& schema, const IdempotencyKey& key,
                                                          const std::string& resource_id, absl::Time now) {
  return ClaimRequestIds(tx, schema, {Claim{&key, resource_id, now}})[0];
}

std::vector<absl::StatusOr<std::optional<std::string>>> ClaimRequestIds(Tx& tx, const std::string& schema,
                                                                        const std::vector<Claim>& claims) {
  std::vector<absl::StatusOr<std::optional<std::string>>> out;
  if (claims.empty()) return out;
  soci::session& sql = tx.sql();
  std::vector<std::string> ops, rids, fps, res;
  std::vector<int64_t> times;
  for (const Claim& c : claims) {
    ops.push_back(c.key->operation);
    rids.push_back(c.key->request_id);
    fps.push_back(c.key->fingerprint);
    res.push_back(c.resource_id);
    times.push_back(absl::ToUnixMicros(c.now));
  }
  const std::string ops_l = TextArrayLiteral(ops), rids_l = TextArrayLiteral(rids), fps_l = TextArrayLiteral(fps),
                    res_l = TextArrayLiteral(res), times_l = IntArrayLiteral(times);
  // A key another transaction is claiming makes this wait for it, then count as taken.
  std::set<std::string> won;
  const TextRows rows =
      ExecutePrepared(sql,
                      "INSERT INTO " + schema +
                          ".idempotency_keys (operation, request_id, fingerprint, resource_id, create_time)"
                          " SELECT o, r, f, x, " +
                          schema +
                          ".from_micros(t) FROM unnest(CAST($1 AS text[]),"
                          " CAST($2 AS text[]), CAST($3 AS text[]), CAST($4 AS text[]), CAST($5 AS bigint[]))"
                          " AS k(o, r, f, x, t) ON CONFLICT (operation, request_id) DO NOTHING RETURNING resource_id",
                      {ops_l, rids_l, fps_l, res_l, times_l});
  for (const auto& row : rows) won.insert(*row[0]);
  for (const Claim& c : claims) {
    if (won.count(c.resource_id)) {
      out.emplace_back(std::nullopt);
      continue;
    }
    std::string fingerprint, existing;
    sql << "SELECT fingerprint, resource_id FROM " + schema +
               ".idempotency_keys WHERE operation = :op AND request_id = :rid",
        soci::use(c.key->operation), soci::use(c.key->request_id), soci::into(fingerprint), soci::into(existing);
    if (fingerprint != c.key->fingerprint) {
      out.emplace_back(InvalidField(reason::kRequestIdReused, "request_id",
                                    "this request_id was already used for a different request"));
    } else {
      out.emplace_back(std::optional<std::string>(existing));
    }
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> FindClaim(PgPool& pool, const std::string& schema, const IdempotencyKey& key,
                                                     absl::Time deadline) {
  std::optional<ClaimedKey> found;
  CAK_RETURN_IF_ERROR(WithSession(
      pool,
      [&](soci::session& sql) {
        found = FindRequestId(sql, schema, key.operation, key.request_id);
        return absl::OkStatus();
      },
      deadline));
  if (!found) return std::optional<std::string>();
  if (found->fingerprint != key.fingerprint) {
    return InvalidField(reason::kRequestIdReused, "request_id",
                        "this request_id was already used for a different request");
  }
  return std::optional<std::string>(found->resource_id);
}

std::optional<ClaimedKey> FindRequestId(soci::session& sql, const std::string& schema, const std::string& operation,
                                        const std::string& request_id) {
  ClaimedKey key;
  soci::indicator ind = soci::i_null;
  sql << "SELECT fingerprint, resource_id FROM " + schema +
             ".idempotency_keys WHERE operation = :op AND request_id = :rid",
      soci::use(operation), soci::use(request_id), soci::into(key.fingerprint, ind), soci::into(key.resource_id);
  if (!sql.got_data()) return std::nullopt;
  return key;
}

void ForgetRequestIds(Tx& tx, const std::string& schema, const std::string& resource_ids_array_literal) {
  tx.sql() << "DELETE FROM " + schema + ".idempotency_keys WHERE resource_id = ANY(CAST(:ids AS text[]))",
      soci::use(resource_ids_array_literal);
}

}  // namespace cak::common::db
