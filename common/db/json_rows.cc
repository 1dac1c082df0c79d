// Rows as column/value text pairs (see json_rows.h).
#include "common/db/json_rows.h"

#include <nlohmann/json.hpp>

#include "common/db/prepared.h"

namespace cak::common::db {

std::vector<SubjectRow> SelectAsText(soci::session& sql, const std::string& select,
                                     const std::vector<std::optional<std::string>>& params) {
  std::vector<SubjectRow> out;
  for (const auto& r : ExecutePrepared(sql, "SELECT row_to_json(x)::text FROM (" + select + ") x", params)) {
    const nlohmann::ordered_json j = nlohmann::ordered_json::parse(r[0].value_or("{}"));
    SubjectRow row;
    for (const auto& [column, value] : j.items()) {
      row.emplace_back(column, value.is_null() ? "" : value.is_string() ? value.get<std::string>() : value.dump());
    }
    out.push_back(std::move(row));
  }
  return out;
}

absl::StatusOr<std::vector<SubjectRow>> SelectAsText(PgPool& pool, const std::string& select,
                                                     const std::vector<std::optional<std::string>>& params,
                                                     absl::Time deadline) {
  std::vector<SubjectRow> out;
  absl::Status st = WithSession(
      pool,
      [&](soci::session& sql) {
        out = SelectAsText(sql, select, params);
        return absl::OkStatus();
      },
      deadline);
  if (!st.ok()) return st;
  return out;
}

}  // namespace cak::common::db
