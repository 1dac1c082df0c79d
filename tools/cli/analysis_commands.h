// voorlichting-cli commands for analysis-svc (imports, impact analysis, samples, target groups,
// recipient lists, retention).
//
// Selections are written as --where=SPEC: terms separated by ';', all of which must hold:
//   regulation:WLZ,WMO   municipality:GM0363,GM0599   min-age:65   max-age:80
//   min-debt:CENTS   max-debt:CENTS   representative | no-representative   contact-person
//   payment-plan | no-payment-plan   active | inactive   contacted:DAYS[:MIN]   not-contacted:DAYS
//   mailing:TYPE[,TYPE]:YYYY-MM-DD:YYYY-MM-DD   all
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "cak/voorlichting/analysis/v1/analysis_service.pb.h"
#include "cli/client.h"

namespace cak::cli {

// Parses a --where spec; false with *error set on a term it does not know.
bool ParseWhere(const std::string& spec, cak::voorlichting::analysis::v1::Criteria* out, std::string* error);

// import --dataset=DATASET --file=NAME.csv [--request-id=ID] [--max-rejected-share=0.01]
struct ImportOptions {
  cak::voorlichting::analysis::v1::Dataset dataset = cak::voorlichting::analysis::v1::DATASET_UNSPECIFIED;
  std::string file;
  std::string request_id;
  std::optional<double> max_rejected_share;
};
int Import(const Client& client, const ImportOptions& options);

// snapshot
int Snapshot(const Client& client);

// impact [--where=SPEC] [--reference-date=YYYY-MM-DD]
struct ImpactOptions {
  std::string where = "all";
  std::optional<absl::CivilDay> reference_date;
};
int Impact(const Client& client, const ImpactOptions& options);

// sample --size=N --seed=S [--stratify=..] [--full --purpose=TEXT] [--where=SPEC]
struct SampleOptions {
  std::string where = "all";
  int size = 10;
  uint64_t seed = 1;
  std::optional<cak::voorlichting::analysis::v1::Stratification> stratify;
  bool full = false;
  std::string purpose;
};
int Sample(const Client& client, const SampleOptions& options);

// define-groups --signal=signals/<id> --group=NAME=SPEC ... [--request-id=ID] (--signal is the
// global option: the groups are defined for that signal, in its action's trace)
struct DefineGroupsOptions {
  std::vector<std::string> groups;  // NAME=SPEC
  std::string request_id;
};
int DefineGroups(const Client& client, const DefineGroupsOptions& options);

// freeze targetGroupSets/<id> --group=NAME [--request-id=ID]
struct FreezeOptions {
  std::string target_group_set;
  std::string group;
  std::string request_id;
};
int Freeze(const Client& client, const FreezeOptions& options);

// recipients recipientLists/<id> [--fields=postal|phone|contact-moment] [--limit=N]
struct RecipientsOptions {
  std::string name;
  cak::voorlichting::analysis::v1::FieldSet fields = cak::voorlichting::analysis::v1::FIELD_SET_POSTAL;
  int limit = 20;
};
int Recipients(const Client& client, const RecipientsOptions& options);

// listing (--where=SPEC | --set=targetGroupSets/<id> --group=NAME) --fields=F[,F...]
//   [--full --purpose=TEXT] [--limit=N] [--reference-date=YYYY-MM-DD] --out=FILE
// Writes analysis-svc's listing (ExportListing, CSV, pseudonymised unless --full) to FILE
// (created with mode 0600, replaced only when the whole listing arrived); progress on stderr.
struct ListingOptions {
  std::string where;  // empty: --set
  std::string target_group_set;
  std::string group;
  std::string fields;  // ParseListingFields
  bool full = false;
  std::string purpose;
  int limit = 0;
  std::optional<absl::CivilDay> reference_date;
  std::string out;
};
int Listing(const Client& client, const ListingOptions& options);

// "bsn,name,age-band"-style field names (ListingField without its prefix, '-' or '_', any case)
// in order; false with *error naming the first unknown one.
bool ParseListingFields(const std::string& spec, std::vector<cak::voorlichting::analysis::v1::ListingField>* out,
                        std::string* error);

// purge-customers [--dry-run]
struct PurgeCustomersOptions {
  bool dry_run = false;
};
int PurgeCustomers(const Client& client, const PurgeCustomersOptions& options);

}  // namespace cak::cli
