// What a service holds about one data subject, as the domain describes it for an access
// request (GDPR art. 15; contract cak.voorlichting.privacy.v1.DataSubjectService): categories
// of data, each with its purpose, legal basis, source and retention, and the records held.
// common/grpc/data_subject_service serves it; each service supplies a SubjectDataExporter.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/base/bsn.h"
#include "common/base/processing_log.h"

namespace cak::common {

struct SubjectDataField {
  std::string name;   // machine-readable, e.g. "postcode"
  std::string label;  // Dutch, for the person
  std::string value;  // as held, as text
};

struct SubjectDataRecord {
  std::vector<SubjectDataField> fields;
  // Adds a field (an empty value too: the person sees what is held, including nothing).
  SubjectDataRecord& Add(std::string name, std::string label, std::string value) {
    fields.push_back({std::move(name), std::move(label), std::move(value)});
    return *this;
  }
};

struct SubjectDataCategory {
  std::string name;         // machine-readable, e.g. "signals"
  std::string title;        // Dutch
  std::string purpose;      // Dutch: the purpose in record M7624
  std::string legal_basis;  // as LegalBasis() gives it for the activity
  std::string source;       // Dutch: where the data came from
  std::string retention;    // Dutch: how long it is kept
  std::vector<SubjectDataRecord> records;
};

struct SubjectData {
  std::vector<SubjectDataCategory> categories;  // categories without records are left out
  std::vector<std::string> remarks;             // Dutch, for the person
};

// A category held for `activity` of record M7624 (its legal basis as LegalBasis gives it); the
// caller adds the records.
inline SubjectDataCategory SubjectCategory(std::string name, std::string title, std::string purpose,
                                           ProcessingActivity activity, std::string source, std::string retention) {
  SubjectDataCategory c;
  c.name = std::move(name);
  c.title = std::move(title);
  c.purpose = std::move(purpose);
  c.legal_basis = std::string(LegalBasis(activity));
  c.source = std::move(source);
  c.retention = std::move(retention);
  return c;
}

// A row as storage read it: (column, value) pairs in table order, values as text ("" for NULL).
using SubjectRow = std::vector<std::pair<std::string, std::string>>;

// Per column, stored codes as a person reads them ("WLZ" -> "Wlz", "true" -> "ja").
using SubjectValueNames = std::map<std::string, std::map<std::string, std::string>>;

// Dutch labels of the name, address and contact columns several services hold (their tables
// use the same column names): the labels every record falls back on.
inline const std::map<std::string, std::string>& PersonFieldLabels() {
  static const auto* labels = new std::map<std::string, std::string>{
      {"customer_number", "Klantnummer"},
      {"customer_name", "Naam klant"},
      {"addressee_name", "Naam geadresseerde"},
      {"initials", "Voorletters"},
      {"name_prefix", "Tussenvoegsel"},
      {"surname", "Achternaam"},
      {"street", "Straat"},
      {"house_number", "Huisnummer"},
      {"house_number_suffix", "Toevoeging"},
      {"postcode", "Postcode"},
      {"city", "Woonplaats"},
      {"phone", "Telefoonnummer"},
      {"email", "E-mailadres"},
      {"position", "Plaats in de lijst"},
  };
  return *labels;
}

// `row` as a record, each column labelled from `labels`, else PersonFieldLabels(), else by its
// own name, and each coded value named from `values` (as stored when it has no name).
inline SubjectDataRecord RecordOf(const SubjectRow& row, const std::map<std::string, std::string>& labels,
                                  const SubjectValueNames& values = {}) {
  SubjectDataRecord r;
  for (const auto& [column, value] : row) {
    std::string label = column;
    if (auto own = labels.find(column); own != labels.end()) {
      label = own->second;
    } else if (auto person = PersonFieldLabels().find(column); person != PersonFieldLabels().end()) {
      label = person->second;
    }
    std::string shown = value;
    if (auto codes = values.find(column); codes != values.end()) {
      if (auto name = codes->second.find(value); name != codes->second.end()) shown = name->second;
    }
    r.Add(column, std::move(label), std::move(shown));
  }
  return r;
}

// Reads what the service holds about `subject` (no writes; the caller logs the access).
using SubjectDataExporter = std::function<absl::StatusOr<SubjectData>(const CallContext&, const Bsn&)>;

namespace reason {
// Another kind or scope of objection is active for the person: lift it first.
inline constexpr char kObjectionExists[] = "OBJECTION_EXISTS";
}  // namespace reason

// Objection (GDPR art. 21) and restriction (art. 18): numbers as in the proto enums and the
// register's columns.
enum class ObjectionKind { kObjection = 1, kRestriction = 2 };
// What the person is left out of: all selection (statistics too), or being contacted.
enum class ObjectionScope { kAllSelection = 1, kContact = 2 };

struct ObjectionRequest {
  Bsn subject;
  ObjectionKind kind = ObjectionKind::kObjection;
  ObjectionScope scope = ObjectionScope::kAllSelection;
  std::string reason;
  absl::CivilDay received_day;
};

// An objection as registered; lift_time set once lifted (history is kept).
struct ObjectionState {
  ObjectionKind kind = ObjectionKind::kObjection;
  ObjectionScope scope = ObjectionScope::kAllSelection;
  std::string reason;
  absl::CivilDay received_day;
  absl::Time record_time;
  std::string recorded_by;
  std::optional<absl::Time> lift_time;
  std::string lift_reason, lifted_by;
};

// One service's answer to recording or lifting an objection.
struct ObjectionOutcome {
  std::optional<ObjectionState> objection;  // the register's service only
  bool unchanged = false;                   // already so: nothing was written but the log entry
  std::vector<std::string> effects;         // Dutch: what this service did or does about it
};

// One service's erasure (or what it would erase: dry run).
struct ErasureOutcome {
  struct Category {
    std::string name, title;  // machine-readable; Dutch
    int64_t count = 0;
  };
  std::vector<Category> categories;  // those with records
  std::vector<std::string> kept;     // Dutch: what stays and why
};

// What a service does with an objection. Services that select nobody leave the handlers empty
// and answer with `no_selection_remark`.
struct SubjectRights {
  SubjectDataExporter exporter;
  std::function<absl::StatusOr<ObjectionOutcome>(const CallContext&, const ObjectionRequest&)> record_objection;
  std::function<absl::StatusOr<ObjectionOutcome>(const CallContext&, const Bsn&, const std::string& reason)>
      lift_objection;
  // Erases (or with dry_run counts) what the service holds about the person; empty: holds
  // nothing about people outside its processing log.
  std::function<absl::StatusOr<ErasureOutcome>(const CallContext&, const Bsn&, bool dry_run)> erase;
  bool keeps_register = false;      // analysis-svc: the objection register
  std::string no_selection_remark;  // Dutch: why an objection changes nothing here
};

}  // namespace cak::common
