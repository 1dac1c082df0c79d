#include "common/db/removal_feed_position.h"

#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/db/prepared.h"
#include "common/db/sql_values.h"

namespace cak::common::db {

absl::StatusOr<RemovalPosition> ReadRemovalPosition(PgPool& pool, const std::string& schema, absl::Time deadline) {
  RemovalPosition at;
  CAK_RETURN_IF_ERROR(WithSession(
      pool,
      [&](soci::session& sql) {
        const TextRows rows =
            ExecutePrepared(sql, "SELECT transaction, entry_id FROM " + schema + ".removal_feed_position", {});
        if (!rows.empty()) {
          at.transaction = ToInt(rows[0][0]);
          at.entry_id = ToInt(rows[0][1]);
        }
        return absl::OkStatus();
      },
      deadline));
  return at;
}

void SaveRemovalPosition(Tx& tx, const std::string& schema, const RemovalPosition& at) {
  ExecutePrepared(tx.sql(),
                  "INSERT INTO " + schema +
                      ".removal_feed_position (transaction, entry_id) VALUES (CAST($1 AS bigint), CAST($2 AS bigint))"
                      " ON CONFLICT (singleton) DO UPDATE SET transaction = EXCLUDED.transaction,"
                      " entry_id = EXCLUDED.entry_id, update_time = now()",
                  {absl::StrCat(at.transaction), absl::StrCat(at.entry_id)});
}

}  // namespace cak::common::db
