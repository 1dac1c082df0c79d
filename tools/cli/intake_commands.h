// voorlichting-cli commands for intake-svc. Each takes the options its subcommand declares (see
// cli/command_line.cc) and returns the process exit code (0 ok, 1 the call failed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cak/voorlichting/intake/v1/intake_service.pb.h"
#include "cli/client.h"

namespace cak::cli {

// health [--service=NAME]: the standard gRPC health check of --address.
struct HealthOptions {
  std::string service;
};
int Health(const Client& client, const HealthOptions& options);

// submit --regulation=.. --category=.. --channel=.. --description=TEXT [--bsn=BSN ...] [--request-id=ID]
struct SubmitOptions {
  cak::voorlichting::intake::v1::Regulation regulation = cak::voorlichting::intake::v1::REGULATION_WLZ;
  cak::voorlichting::intake::v1::SignalCategory category = cak::voorlichting::intake::v1::SIGNAL_CATEGORY_OTHER;
  cak::voorlichting::intake::v1::SourceChannel channel = cak::voorlichting::intake::v1::SOURCE_CHANNEL_EMPLOYEE;
  std::string description;
  std::vector<std::string> bsns;
  std::string request_id;
};
int Submit(const Client& client, const SubmitOptions& options);

// get signals/<id> [--full]
struct GetOptions {
  std::string name;
  bool full = false;
};
int Get(const Client& client, const GetOptions& options);

// list [--state=STATE] [--page-size=N] [--all]
struct ListOptions {
  std::optional<cak::voorlichting::intake::v1::SignalState> state;
  int page_size = 50;
  bool all = false;
};
int List(const Client& client, const ListOptions& options);

// add-info signals/<id> --text=TEXT
struct AddInformationOptions {
  std::string name;
  std::string text;
};
int AddInformation(const Client& client, const AddInformationOptions& options);

// decline signals/<id> --reason=REASON --feedback=TEXT
struct DeclineOptions {
  std::string name;
  cak::voorlichting::intake::v1::DeclineReason reason = cak::voorlichting::intake::v1::DECLINE_REASON_UNSPECIFIED;
  std::string feedback;
};
int Decline(const Client& client, const DeclineOptions& options);

// start-assessment signals/<id>
struct SignalNameOptions {
  std::string name;
};
int StartAssessment(const Client& client, const SignalNameOptions& options);

// plan signals/<id> --campaign=campaigns/<id>
struct PlanOptions {
  std::string name;
  std::string campaign;
};
int MarkActionPlanned(const Client& client, const PlanOptions& options);

// close signals/<id> --feedback=TEXT
struct CloseOptions {
  std::string name;
  std::string feedback;
};
int Close(const Client& client, const CloseOptions& options);

// watch signals/<id> [--after=N]
struct WatchOptions {
  std::string name;
  int64_t after = 0;
};
int Watch(const Client& client, const WatchOptions& options);

// purge [--dry-run]
struct PurgeOptions {
  bool dry_run = false;
};
int Purge(const Client& client, const PurgeOptions& options);

}  // namespace cak::cli
