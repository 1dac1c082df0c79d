// dispatch-svc's domain values: executors with their capacity calendars, feasibility answers,
// dispatch orders, batches, items and outcomes. Plain structs; the rules live in calendar.h,
// delivery_format.h and dispatch_service.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/base/message_template.h"

namespace cak::dispatch::domain {

// Numbers as in the proto enums (and in the database).
enum class Channel { kLetter = 1, kCall = 2, kContactMoment = 3 };
enum class DeliveryMethod { kFiles = 1, kPull = 2 };
enum class FeasibilityState { kAwaitingSignOff = 1, kConfirmed = 2, kRejected = 3 };
enum class OrderState { kGenerating = 1, kReady = 2, kCompleted = 3, kPurged = 4 };
enum class BatchState { kPlanned = 1, kWritten = 2, kAcknowledged = 3 };
enum class Outcome {
  kLetterPrinted = 1,
  kLetterReturnedUndeliverable = 2,
  kCallReached = 3,
  kCallNotReached = 4,
  kCallWrongNumber = 5,
  kContactMomentPlaced = 6,
};
// How analysis-svc routed a recipient (analysis.v1.Routing).
enum class Routing { kCustomer = 1, kRepresentative = 2, kContactPerson = 3 };

common::MessageChannel ToMessageChannel(Channel c);
const char* ChannelName(Channel c);  // "LETTER"
bool OutcomeFitsChannel(Outcome o, Channel c);

struct CapacityCalendar {
  int64_t items_per_day = 0;
  uint8_t working_days = 0;                    // bit 0 Monday .. bit 6 Sunday
  int lead_time_days = 0;                      // working days between ordering and the first day of work
  std::vector<absl::CivilDay> blackout_dates;  // sorted, unique
};

struct Executor {
  std::string id;  // "repro"
  std::string display_name;
  Channel channel = Channel::kLetter;
  std::string identity;
  std::string location_country;  // ISO 3166-1 alpha-2
  CapacityCalendar calendar;
  DeliveryMethod delivery_method = DeliveryMethod::kFiles;
  absl::Time create_time;
  std::string created_by;
};

struct DayCount {
  absl::CivilDay day;
  int64_t count = 0;
};

struct FeasibilityCheck {
  std::string id;  // uuid
  std::string executor_id;
  Channel channel = Channel::kLetter;
  int64_t volume = 0;
  absl::CivilDay window_start, window_end;
  std::string campaign;
  bool feasible = false;
  std::optional<absl::CivilDay> earliest_start;
  std::vector<DayCount> spread;
  std::vector<std::string> reasons;
  FeasibilityState state = FeasibilityState::kAwaitingSignOff;
  std::string requested_by, decided_by, decision_comment;
  absl::Time create_time;
  std::optional<absl::Time> decide_time;
  std::string guidelines;  // the target group's guidelines the executor judges the work with
};

struct Order {
  std::string id;  // uuid
  std::string campaign, target_group;
  std::string recipient_list;  // analysis-svc's list id (uuid)
  Channel channel = Channel::kLetter;
  std::string template_reference, template_text;
  std::string guidelines;
  absl::CivilDay window_start, window_end;
  std::map<std::string, std::string> values;  // "bedrag", "kenmerk"
  std::string contact_moment_code;
  std::string feasibility_check;  // uuid or empty
  std::string executor_id;
  OrderState state = OrderState::kGenerating;
  int64_t recipient_count = 0;
  int32_t batch_count = 0, batches_written = 0, batches_acknowledged = 0;
  std::string created_by;
  absl::Time create_time;
  // The trace of the request that created the order: the batches' processing-log entries
  // continue it, so a privacy officer can follow a letter from the campaign to the printer.
  std::string traceparent;
};

struct Batch {
  std::string order_id;
  int32_t batch_no = 0;  // 1-based
  std::string executor_id;
  Channel channel = Channel::kLetter;
  absl::CivilDay planned_date;
  int64_t first_position = 0, last_position = 0;  // inclusive
  BatchState state = BatchState::kPlanned;
  int64_t item_count = 0;
  int64_t withheld_count = 0;  // positions withheld by analysis-svc (objections since the freeze)
  std::string sha256;
  std::string data_file, manifest_file;  // relative to the delivery directory; empty for PULL
  std::optional<absl::Time> write_time, acknowledge_time;
  std::string acknowledged_by;
  // Failed generation attempts: how many, when the next one is due, why the last one failed
  // (a reason code), and the data file's bytes per item an attempt saw (0: none yet).
  int32_t failed_attempts = 0;
  std::optional<absl::Time> next_attempt_time;
  std::string last_failure;
  int64_t bytes_per_item = 0;
  // The order's guidelines: every batch handed to the executor carries them (filled in by
  // DispatchService where a batch goes out, not stored per batch).
  std::string guidelines;
};

// One list member as analysis-svc streams it, with the order's channel's field set.
// Personal data.
struct Recipient {
  int64_t position = 0;
  std::string bsn;  // the data subject: hashed for the processing log, never stored
  Routing routing = Routing::kCustomer;
  std::string customer_number;
  common::SalutationKind salutation = common::SalutationKind::kUnknown;
  std::string customer_name, addressee_name;
  std::string street, house_number_suffix, postcode, city;
  int32_t house_number = 0;
  std::string phone;
  // analysis-svc withheld the member (an objection since the freeze): position only, no item.
  bool withheld = false;
};

// One stored delivery item: the channel's fields of a recipient, without BSN (the item is
// named by order and list position). Personal data.
struct Item {
  int64_t position = 0;
  Routing routing = Routing::kCustomer;
  common::SalutationKind salutation = common::SalutationKind::kUnknown;
  // A field of CONTACT_MOMENT items; letters and calls keep it only when their text quotes it.
  std::string customer_number;
  std::string customer_name;                                // LETTER (text only) and CALL
  std::string addressee_name;                               // LETTER and CALL
  std::string street, house_number_suffix, postcode, city;  // LETTER only
  int32_t house_number = 0;
  std::string phone;  // CALL only
  // The customer's processing-log id (keyed hash of the BSN, never the BSN): whose item it is.
  std::string data_subject_id;
};

struct ItemOutcome {
  int64_t position = 0;
  Outcome outcome = Outcome::kLetterPrinted;
  absl::Time outcome_time;
};

struct RecordedOutcome {
  int64_t id = 0;
  std::string order_id, recipient_list, campaign, target_group;
  int64_t position = 0;
  Channel channel = Channel::kLetter;
  Outcome outcome = Outcome::kLetterPrinted;
  absl::Time outcome_time, report_time;
  // The recipient's current outcome: of all reported for (order, position), the latest
  // outcome_time, of equal times the later report. The others are superseded (history).
  bool current = true;
};

}  // namespace cak::dispatch::domain
