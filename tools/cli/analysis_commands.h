// voorlichting-cli commands for analysis-svc (imports, impact analysis, samples, target groups,
// recipient lists, retention).
//
// Selections are written as --where=SPEC: terms separated by ';', all of which must hold:
//   regulation:WLZ,WMO   municipality:GM0363,GM0599   min-age:65   max-age:80
//   min-debt:CENTS   max-debt:CENTS   representative | no-representative   contact-person
//   payment-plan | no-payment-plan   active | inactive   contacted:DAYS[:MIN]   not-contacted:DAYS
//   mailing:TYPE[,TYPE]:YYYY-MM-DD:YYYY-MM-DD   all
#pragma once

#include <string>

#include "cak/voorlichting/analysis/v1/analysis_service.pb.h"
#include "cli/client.h"

namespace cak::cli {

// Parses a --where spec; false with *error set on a term it does not know.
bool ParseWhere(const std::string& spec, cak::voorlichting::analysis::v1::Criteria* out, std::string* error);

int Import(const Client& client, const Args& args);
int Snapshot(const Client& client, const Args& args);
int Impact(const Client& client, const Args& args);
int Sample(const Client& client, const Args& args);
int DefineGroups(const Client& client, const Args& args);
int Freeze(const Client& client, const Args& args);
int Recipients(const Client& client, const Args& args);
int PurgeCustomers(const Client& client, const Args& args);

}  // namespace cak::cli
