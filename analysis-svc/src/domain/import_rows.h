// Import rows: the column layout of each data set (the CSV files and the streamed proto rows
// share it) and the row rules. A RowEncoder checks one record at a time and, when it is good,
// appends it as a line of PostgreSQL COPY text format; a bad record gives a RowError naming
// the column and a reason, never the value (it may be personal data).
//
// Row rules (analysis-svc/README.md, "CSV format"): BSN 11-test and unique per import,
// required fields, lengths, enum names, dates (not in the future where they are facts),
// NL IBAN mod-97, an address complete or absent, valid UTF-8 without control characters, and
// for relations / mailings / contact reports a customer that exists in the current snapshot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "analysis-svc/src/domain/columnar.h"
#include "analysis-svc/src/domain/model.h"
#include "common/base/copy_text.h"

namespace cak::analysis::domain {

struct RowError {
  int64_t row = 0;
  std::string field;
  std::string reason;
  std::string message;
};

// The input columns of a data set, in order (CSV header, proto field order).
const std::vector<std::string>& InputColumns(Dataset dataset);
// The columns COPY fills, in the order RowEncoder writes them.
const std::vector<std::string>& CopyColumns(Dataset dataset);

class RowEncoder {
 public:
  // `today` bounds birth and inactive dates. `customers` (may be null only for the customers
  // data set) is the current snapshot the references are checked against.
  RowEncoder(Dataset dataset, absl::CivilDay today, const ColumnarSnapshot* customers);

  // `fields` in InputColumns() order. True: the COPY line was appended to *out. False: *error
  // says why (row set to `row`), *out is unchanged.
  bool Encode(int64_t row, const std::vector<absl::string_view>& fields, std::string* out, RowError* error);

  Dataset dataset() const { return dataset_; }

 private:
  bool EncodeCustomer(const std::vector<absl::string_view>& f, std::string* out, RowError* e);
  bool EncodeRelation(const std::vector<absl::string_view>& f, std::string* out, RowError* e);
  bool EncodeMailing(const std::vector<absl::string_view>& f, std::string* out, RowError* e);
  bool EncodeContactReport(const std::vector<absl::string_view>& f, std::string* out, RowError* e);
  bool CustomerKnown(int32_t bsn) const;

  Dataset dataset_;
  absl::CivilDay today_;
  const ColumnarSnapshot* customers_;
  absl::flat_hash_set<int32_t> seen_bsns_;
  int64_t relation_seq_ = 0;
};

// Whether a customer row (InputColumns order) shows the customer active after `day`: active
// now, or inactive since a later day. False for a row too short or malformed to say.
bool CustomerActiveAfter(const std::vector<absl::string_view>& fields, absl::CivilDay day);

// Reasons of rejected rows.
namespace row_reason {
inline constexpr char kWrongColumnCount[] = "WRONG_COLUMN_COUNT";
inline constexpr char kRequired[] = "REQUIRED_FIELD_MISSING";
inline constexpr char kInvalidBsn[] = "INVALID_BSN";
inline constexpr char kDuplicateBsn[] = "DUPLICATE_BSN";
inline constexpr char kUnknownCustomer[] = "UNKNOWN_CUSTOMER";
// Not rejections: the row's customer was erased at their request, or removed at the end of the
// retention period and not active since (ImportReport.skipped).
inline constexpr char kErased[] = "ERASED";
inline constexpr char kPastRetention[] = "PAST_RETENTION";
inline constexpr char kInvalidValue[] = "INVALID_FIELD_VALUE";
inline constexpr char kUnknownEnum[] = "UNKNOWN_ENUM_VALUE";
inline constexpr char kInvalidDate[] = "INVALID_DATE";
inline constexpr char kDateInFuture[] = "DATE_IN_FUTURE";
inline constexpr char kTooLong[] = "FIELD_TOO_LONG";
inline constexpr char kInvalidCharacters[] = "INVALID_CHARACTERS";
inline constexpr char kIncompleteAddress[] = "INCOMPLETE_ADDRESS";
inline constexpr char kInvalidIban[] = "INVALID_IBAN";
}  // namespace row_reason

using common::AppendCopyText;  // (common/base/copy_text.h)

}  // namespace cak::analysis::domain
