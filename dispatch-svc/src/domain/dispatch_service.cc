// dispatch-svc use cases (see dispatch_service.h).
#include "dispatch-svc/src/domain/dispatch_service.h"

#include <algorithm>
#include <array>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/backoff.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/base/principal.h"
#include "common/base/random.h"
#include "common/base/request_id.h"
#include "common/base/sha256.h"
#include "common/base/text_rules.h"
#include "common/base/trace_context.h"
#include "dispatch-svc/src/domain/delivery_format.h"
#include "dispatch-svc/src/domain/reasons.h"
#include "dispatch-svc/src/domain/subject_export.h"

namespace cak::dispatch::domain {

using common::CallContext;
using common::InvalidField;
using common::MakeError;
using common::ProcessingActivity;
using common::ProcessingRecord;
namespace creason = common::reason;

namespace {

// The 27 member states of the European Union (ISO 3166-1 alpha-2).
constexpr std::array<absl::string_view, 27> kEuCountries = {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES",
                                                            "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
                                                            "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"};

bool IsSlug(absl::string_view s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max || !absl::ascii_islower(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-'; });
}

bool IsPrintable(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c != 0x7f; });
}

// Text for people (common/base/text_rules.h): required or optional, lengths in characters.
absl::Status CheckText(absl::string_view s, size_t max, const std::string& field, bool required) {
  return required ? common::ValidateText(s, max, field) : common::ValidateOptionalText(s, max, field);
}

absl::Status NotFound(const char* reason, absl::string_view what) {
  return MakeError(absl::StatusCode::kNotFound, reason, absl::StrCat(what, " not found"));
}

// The rules an executor meets whenever it is stored (the identity is fixed at registration).
// Sorts and de-duplicates the blackout dates.
absl::Status CheckExecutor(Executor& e) {
  CAK_RETURN_IF_ERROR(CheckText(e.display_name, 200, "executor.display_name", true));
  if (e.location_country.size() != 2 || !absl::ascii_isupper(e.location_country[0]) ||
      !absl::ascii_isupper(e.location_country[1])) {
    return InvalidField(creason::kInvalidFieldValue, "executor.location_country",
                        "an ISO 3166-1 alpha-2 country code, e.g. NL");
  }
  if (std::find(kEuCountries.begin(), kEuCountries.end(), e.location_country) == kEuCountries.end()) {
    return InvalidField(reason::kLocationOutsideEu, "executor.location_country",
                        "executors must process the data inside the European Union (record M7624)");
  }
  CAK_RETURN_IF_ERROR(ValidateCalendar(e.calendar, "executor.calendar"));
  std::sort(e.calendar.blackout_dates.begin(), e.calendar.blackout_dates.end());
  e.calendar.blackout_dates.erase(std::unique(e.calendar.blackout_dates.begin(), e.calendar.blackout_dates.end()),
                                  e.calendar.blackout_dates.end());
  return absl::OkStatus();
}

}  // namespace

DispatchService::DispatchService(DispatchRepository* repository, DeliveryStore* files, RecipientSource* recipients,
                                 const common::Clock* clock, common::DataSubjectHasher hasher,
                                 DispatchSettings settings)
    : repository_(repository),
      files_(files),
      recipients_(recipients),
      clock_(clock),
      hasher_(std::move(hasher)),
      settings_(std::move(settings)) {}

absl::CivilDay DispatchService::Today() const { return absl::ToCivilDay(clock_->Now(), settings_.zone); }

// ---------------------------------------------------------------------------------------------
// Executors

absl::StatusOr<Executor> DispatchService::CreateExecutor(const CallContext& call, const CreateRequest& create,
                                                         Executor e, bool* replayed) {
  if (!create.request_id.empty()) CAK_RETURN_IF_ERROR(common::ValidateRequestId(create.request_id, "request_id"));
  if (!IsSlug(e.id, 2, 40)) {
    return InvalidField(creason::kInvalidFieldValue, "executor_id", "2-40 of a-z, 0-9 and '-', starting with a letter");
  }
  if (e.identity.empty() || e.identity.size() > 253 || !IsPrintable(e.identity)) {
    return InvalidField(creason::kInvalidFieldValue, "executor.identity",
                        "the executor's mTLS identity or service account: 1-253 printable characters, no spaces");
  }
  CAK_RETURN_IF_ERROR(CheckExecutor(e));
  e.create_time = clock_->Now();
  e.created_by = call.principal.id;
  const common::IdempotencyKey key{"CreateExecutor", create.request_id, create.fingerprint};
  return repository_->CreateExecutor(e, create.request_id.empty() ? nullptr : &key, e.create_time, replayed,
                                     call.deadline);
}

absl::StatusOr<Executor> DispatchService::UpdateExecutor(const CallContext& call, const std::string& id,
                                                         const Executor& patch, const std::vector<std::string>& paths) {
  if (paths.empty()) {
    return InvalidField(creason::kRequiredFieldMissing, "update_mask", "say which fields change");
  }
  for (const std::string& path : paths) {
    if (path != "display_name" && path != "location_country" && path != "calendar" && path != "delivery_method") {
      return InvalidField(creason::kInvalidFieldValue, "update_mask",
                          absl::StrCat("'", path,
                                       "' cannot be changed (display_name, location_country, calendar, "
                                       "delivery_method can)"));
    }
  }
  return repository_->UpdateExecutor(
      id,
      [&](Executor& e) {
        for (const std::string& path : paths) {
          if (path == "display_name") e.display_name = patch.display_name;
          if (path == "location_country") e.location_country = patch.location_country;
          if (path == "calendar") e.calendar = patch.calendar;
          if (path == "delivery_method") e.delivery_method = patch.delivery_method;
        }
        return CheckExecutor(e);
      },
      call.deadline);
}

absl::StatusOr<Executor> DispatchService::GetExecutor(const CallContext& call, const std::string& id) {
  return repository_->GetExecutor(id, call.deadline);
}

absl::StatusOr<std::vector<Executor>> DispatchService::ListExecutors(const CallContext& call,
                                                                     const std::string& after_id, int limit) {
  return repository_->ListExecutors(after_id, limit, call.deadline);
}

// ---------------------------------------------------------------------------------------------
// Feasibility (step 7)

absl::StatusOr<FeasibilityCheck> DispatchService::CheckFeasibility(const CallContext& call,
                                                                   const FeasibilityRequest& request, bool* replayed) {
  if (!request.create.request_id.empty()) {
    CAK_RETURN_IF_ERROR(common::ValidateRequestId(request.create.request_id, "request_id"));
  }
  if (request.volume < 1 || request.volume > 100000000) {
    return InvalidField(creason::kInvalidFieldValue, "volume", "must be 1..100,000,000");
  }
  CAK_RETURN_IF_ERROR(CheckText(request.campaign, 200, "campaign", false));
  CAK_RETURN_IF_ERROR(CheckText(request.guidelines, 20000, "guidelines", false));
  const absl::CivilDay today = Today();
  CAK_RETURN_IF_ERROR(ValidateWindow(request.window_start, request.window_end, today, ""));
  CAK_ASSIGN_OR_RETURN(std::optional<Executor> executor,
                       repository_->ExecutorForChannel(request.channel, call.deadline));
  if (!executor) {
    return common::FieldError(absl::StatusCode::kFailedPrecondition, reason::kNoExecutorForChannel, "channel",
                              absl::StrCat("no executor is registered for channel ", ChannelName(request.channel)));
  }
  CAK_ASSIGN_OR_RETURN(
      auto booked, repository_->BookedCapacity(executor->id, request.window_start, request.window_end, call.deadline));
  const CapacityPlan plan =
      PlanVolume(executor->calendar, booked, request.volume, request.window_start, request.window_end, today);
  FeasibilityCheck check;
  check.id = common::NewUuid();
  check.executor_id = executor->id;
  check.channel = request.channel;
  check.volume = request.volume;
  check.window_start = request.window_start;
  check.window_end = request.window_end;
  check.campaign = request.campaign;
  check.feasible = plan.feasible;
  check.earliest_start = plan.earliest_start;
  check.spread = plan.spread;
  check.reasons = plan.reasons;
  check.state = FeasibilityState::kAwaitingSignOff;
  check.requested_by = call.principal.id;
  check.create_time = clock_->Now();
  check.guidelines = request.guidelines;
  const common::IdempotencyKey key{"CheckFeasibility", request.create.request_id, request.create.fingerprint};
  return repository_->CreateFeasibilityCheck(check, request.create.request_id.empty() ? nullptr : &key, replayed,
                                             call.deadline);
}

absl::StatusOr<FeasibilityCheck> DispatchService::GetFeasibilityCheck(const CallContext& call, const std::string& id) {
  CAK_ASSIGN_OR_RETURN(std::optional<Executor> only, VisibleExecutor(call));
  CAK_ASSIGN_OR_RETURN(FeasibilityCheck check, repository_->GetFeasibilityCheck(id, call.deadline));
  // Another executor's check answers as an unknown one: no hint that it exists.
  if (only && check.executor_id != only->id) return NotFound(reason::kFeasibilityNotFound, "feasibility check");
  return check;
}

absl::StatusOr<std::vector<FeasibilityCheck>> DispatchService::ListFeasibilityChecks(
    const CallContext& call, std::optional<FeasibilityState> state,
    const std::optional<DispatchRepository::InboxKey>& after, int limit) {
  CAK_ASSIGN_OR_RETURN(Executor executor, CallingExecutor(call));
  return repository_->ListExecutorChecks(executor.id, state, after, limit, call.deadline);
}

absl::StatusOr<std::optional<Executor>> DispatchService::VisibleExecutor(const CallContext& call) {
  for (const char* role : {common::roles::kCampaignService, common::roles::kCampaignDesigner, common::roles::kApprover,
                           common::roles::kAdministrator}) {
    if (call.principal.HasRole(role)) return std::nullopt;
  }
  CAK_ASSIGN_OR_RETURN(Executor executor, CallingExecutor(call));
  return std::optional<Executor>(std::move(executor));
}

absl::StatusOr<Executor> DispatchService::CallingExecutor(const CallContext& call) {
  CAK_ASSIGN_OR_RETURN(std::optional<Executor> executor,
                       repository_->ExecutorByIdentity(call.principal.id, call.deadline));
  if (!executor) {
    return MakeError(absl::StatusCode::kPermissionDenied, reason::kUnknownExecutor,
                     "the caller's identity is not a registered executor");
  }
  return *std::move(executor);
}

absl::StatusOr<FeasibilityCheck> DispatchService::DecideFeasibility(const CallContext& call, const std::string& id,
                                                                    bool confirm, const std::string& comment) {
  CAK_RETURN_IF_ERROR(CheckText(comment, 2000, "comment", !confirm));
  CAK_ASSIGN_OR_RETURN(Executor executor, CallingExecutor(call));
  return repository_->DecideFeasibility(id, executor.id,
                                        confirm ? FeasibilityState::kConfirmed : FeasibilityState::kRejected,
                                        call.principal.id, comment, clock_->Now(), call.deadline);
}

// ---------------------------------------------------------------------------------------------
// Orders (step 8)

absl::StatusOr<Order> DispatchService::CreateOrder(const CallContext& call, const CreateRequest& create, Order order,
                                                   bool* replayed) {
  if (!create.request_id.empty()) CAK_RETURN_IF_ERROR(common::ValidateRequestId(create.request_id, "request_id"));
  CAK_RETURN_IF_ERROR(CheckText(order.campaign, 200, "order.campaign", true));
  if (!absl::StartsWith(order.campaign, "campaigns/")) {
    return InvalidField(creason::kInvalidResourceName, "order.campaign", "must be campaigns/{id}");
  }
  CAK_RETURN_IF_ERROR(CheckText(order.target_group, 80, "order.target_group", true));
  CAK_RETURN_IF_ERROR(CheckText(order.template_reference, 300, "order.message.reference", true));
  CAK_ASSIGN_OR_RETURN(
      common::MessageTemplate message,
      common::MessageTemplate::Parse(order.template_text, ToMessageChannel(order.channel), "order.message.text"));
  CAK_RETURN_IF_ERROR(CheckText(order.guidelines, 20000, "order.guidelines", false));
  for (const auto& [key, value] : order.values) {
    const std::string field = absl::StrCat("order.values[", key, "]");
    if (key != "bedrag" && key != "kenmerk") {
      return InvalidField(creason::kInvalidFieldValue, field, "only bedrag and kenmerk can be given per order");
    }
    CAK_RETURN_IF_ERROR(CheckText(value, 200, field, true));
    if (value.find_first_of("\r\n") != std::string::npos) {
      return InvalidField(creason::kInvalidFieldValue, field, "one line");
    }
  }
  for (auto [p, key] :
       {std::pair{common::Placeholder::kBedrag, "bedrag"}, {common::Placeholder::kKenmerk, "kenmerk"}}) {
    if (message.Uses(p) && order.values.count(key) == 0) {
      return InvalidField(creason::kRequiredFieldMissing, absl::StrCat("order.values[", key, "]"),
                          absl::StrCat("the message uses {", key, "}: give its value"));
    }
  }
  if (order.channel == Channel::kContactMoment) {
    if (!IsPrintable(order.contact_moment_code) || order.contact_moment_code.empty() ||
        order.contact_moment_code.size() > 40) {
      return InvalidField(
          order.contact_moment_code.empty() ? creason::kRequiredFieldMissing : creason::kInvalidFieldValue,
          "order.contact_moment_code", "a contact moment needs its code (1-40 characters, no spaces)");
    }
  } else {
    order.contact_moment_code.clear();
  }
  // A repeat answers with the first order before anything that depends on the time or on other
  // services is checked: a retry after a lost answer may come when the window has started.
  const common::IdempotencyKey key{"CreateDispatchOrder", create.request_id, create.fingerprint};
  if (!create.request_id.empty()) {
    CAK_ASSIGN_OR_RETURN(std::optional<std::string> earlier, repository_->FindClaim(key, call.deadline));
    if (earlier) {
      CAK_ASSIGN_OR_RETURN(Order first, repository_->GetOrder(*earlier, call.deadline));
      *replayed = true;
      return first;
    }
  }
  const absl::CivilDay today = Today();
  CAK_RETURN_IF_ERROR(ValidateWindow(order.window_start, order.window_end, today, "order."));

  CAK_ASSIGN_OR_RETURN(std::optional<Executor> executor, repository_->ExecutorForChannel(order.channel, call.deadline));
  if (!executor) {
    return common::FieldError(absl::StatusCode::kFailedPrecondition, reason::kNoExecutorForChannel, "order.channel",
                              absl::StrCat("no executor is registered for channel ", ChannelName(order.channel)));
  }
  if (!order.feasibility_check.empty()) {
    CAK_ASSIGN_OR_RETURN(FeasibilityCheck check,
                         repository_->GetFeasibilityCheck(order.feasibility_check, call.deadline));
    if (check.state != FeasibilityState::kConfirmed) {
      return common::FieldError(absl::StatusCode::kFailedPrecondition, reason::kFeasibilityNotConfirmed,
                                "order.feasibility_check", "the executor has not confirmed this feasibility check");
    }
    if (check.channel != order.channel || check.executor_id != executor->id) {
      return common::FieldError(absl::StatusCode::kFailedPrecondition, reason::kFeasibilityMismatch,
                                "order.feasibility_check", "the feasibility check is for another channel or executor");
    }
  }
  auto list = recipients_->GetList(call, order.recipient_list);
  if (!list.ok()) {
    if (list.status().code() == absl::StatusCode::kNotFound) {
      return common::FieldError(absl::StatusCode::kNotFound, reason::kRecipientListNotFound, "order.recipient_list",
                                "analysis-svc knows no such recipient list");
    }
    return list.status();
  }
  if (list->member_count == 0) {
    return common::FieldError(absl::StatusCode::kFailedPrecondition, reason::kEmptyRecipientList,
                              "order.recipient_list", "the recipient list has no members");
  }

  order.id = common::NewUuid();
  order.executor_id = executor->id;
  order.state = OrderState::kGenerating;
  order.recipient_count = list->member_count;
  order.created_by = call.principal.id;
  order.create_time = clock_->Now();
  order.traceparent = call.trace.ToTraceparent();
  const CapacityCalendar calendar = executor->calendar;
  const int64_t count = list->member_count, max_batch = settings_.max_batch_items;
  auto plan = [&](const std::map<absl::CivilDay, int64_t>& booked) -> absl::StatusOr<std::vector<PlannedBatch>> {
    const CapacityPlan capacity = PlanVolume(calendar, booked, count, order.window_start, order.window_end, today);
    if (!capacity.feasible) {
      return common::FieldError(absl::StatusCode::kFailedPrecondition, reason::kInsufficientCapacity,
                                "order.window_end",
                                absl::StrCat("the executor cannot take ", count,
                                             " items in the window: ", absl::StrJoin(capacity.reasons, " ")));
    }
    return PlanBatches(capacity.spread, max_batch);
  };
  // The action's operation in this service: the order's batches, written later, are logged as
  // its children (no personal data is read here; the batches read the recipients).
  ProcessingRecord record =
      common::MakeRecord("dispatch.CreateDispatchOrder", ProcessingActivity::kUitvoerenActie, order.create_time);
  record.attributes = {{"dispatch_order", order.id},
                       {"campaign", order.campaign},
                       {"recipient_list", order.recipient_list},
                       {"channel", ChannelName(order.channel)},
                       {"executor", executor->id},
                       {"processor", executor->identity},
                       {"recipients", absl::StrCat(count)}};
  return repository_->CreateOrder(order, create.request_id.empty() ? nullptr : &key, plan, replayed, call.deadline,
                                  call, record);
}

absl::StatusOr<Order> DispatchService::GetOrder(const CallContext& call, const std::string& id) {
  CAK_ASSIGN_OR_RETURN(std::optional<Executor> only, VisibleExecutor(call));
  CAK_ASSIGN_OR_RETURN(Order order, repository_->GetOrder(id, call.deadline));
  // Another executor's order answers as an unknown one: no hint that it exists.
  if (only && order.executor_id != only->id) return NotFound(reason::kOrderNotFound, "dispatch order");
  return order;
}

absl::StatusOr<std::vector<Batch>> DispatchService::ListBatches(const CallContext& call, const std::string& order_id,
                                                                int32_t after_batch_no, int limit) {
  CAK_ASSIGN_OR_RETURN(Order order, GetOrder(call, order_id));
  CAK_ASSIGN_OR_RETURN(std::vector<Batch> batches,
                       repository_->ListBatches(order_id, after_batch_no, limit, call.deadline));
  for (Batch& b : batches) b.guidelines = order.guidelines;
  return batches;
}

absl::StatusOr<std::vector<Order>> DispatchService::ListExecutorOrders(
    const CallContext& call, std::optional<OrderState> state, const std::optional<DispatchRepository::InboxKey>& after,
    int limit) {
  CAK_ASSIGN_OR_RETURN(Executor executor, CallingExecutor(call));
  return repository_->ListExecutorOrders(executor.id, state, after, limit, call.deadline);
}

absl::Status DispatchService::AddGuidelines(std::vector<Batch>& batches, absl::Time deadline) {
  std::vector<std::string> ids;
  for (const Batch& b : batches) ids.push_back(b.order_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (ids.empty()) return absl::OkStatus();
  CAK_ASSIGN_OR_RETURN(auto guidelines, repository_->OrderGuidelines(ids, deadline));
  for (Batch& b : batches) b.guidelines = guidelines[b.order_id];
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Generation

absl::StatusOr<DispatchRepository::Attempt> DispatchService::GenerateNextBatch() {
  return repository_->GenerateNextBatch(
      clock_->Now(), [this](const ClaimedBatch& claimed, BatchWriter& writer, std::optional<BatchRetry>* retry) {
        return Generate(claimed, writer, retry);
      });
}

ProcessingRecord DispatchService::DeliveryRecord(const ClaimedBatch& claimed, absl::Time end) {
  ProcessingRecord record = common::MakeRecord("dispatch.DeliverBatch", ProcessingActivity::kUitvoerenActie, end);
  record.attributes = {{"dispatch_order", claimed.order.id},
                       {"batch", absl::StrCat(claimed.batch.batch_no)},
                       {"channel", ChannelName(claimed.order.channel)},
                       {"executor", claimed.executor.id},
                       {"processor", claimed.executor.identity},
                       {"processor_location", claimed.executor.location_country},
                       {"campaign", claimed.order.campaign},
                       {"recipient_list", claimed.order.recipient_list}};
  return record;
}

absl::Status DispatchService::Generate(const ClaimedBatch& claimed, BatchWriter& writer,
                                       std::optional<BatchRetry>* retry) {
  // The batch continues the trace of the request that created the order.
  CallContext call;
  std::optional<common::TraceContext> parent = common::ParseTraceparent(claimed.order.traceparent);
  call.trace = parent ? parent->NewChild() : common::TraceContext::NewRoot();
  call.principal = {settings_.replica + "/batch-generator", common::PrincipalKind::kApplication, {}};
  call.start_time = clock_->Now();
  call.deadline = absl::Now() + settings_.batch_deadline;  // (wall clock, as RPC deadlines are)
  AttemptProgress progress;
  absl::Status st = WriteBatch(call, claimed, writer, &progress);
  if (st.ok()) return st;
  if (progress.read > 0) {
    ProcessingRecord failed = DeliveryRecord(claimed, clock_->Now());
    failed.attributes["recipients_read"] = absl::StrCat(progress.read);
    common::WriteFailedProcessing(
        call, std::move(failed), st, clock_->Now(),
        [this](const CallContext& c, const ProcessingRecord& r) { return repository_->Log(c, r, c.deadline); });
  }
  const Batch& batch = claimed.batch;
  const int failures = batch.failed_attempts + 1;
  const absl::Duration wait = common::RetryBackoff(settings_.batch_retry_min, settings_.batch_retry_max, failures,
                                                   settings_.batch_retry_jitter());
  BatchRetry& next = retry->emplace();
  next.next_attempt_time = clock_->Now() + wait;
  next.reason = common::ErrorReason(st);
  if (next.reason.empty()) next.reason = absl::StatusCodeToString(st.code());
  // What this attempt saw per item, else what an earlier one saw: the space a retry checks for.
  next.bytes_per_item = progress.read > 0 ? progress.bytes / progress.read : batch.bytes_per_item;
  common::log::Warning("batch_attempt_failed", {{"dispatch_order", batch.order_id},
                                                {"batch", batch.batch_no},
                                                {"failed_attempts", failures},
                                                {"retry_in_ms", absl::ToInt64Milliseconds(wait)},
                                                {"reason", next.reason},
                                                {"recipients_read", progress.read},
                                                {"error", st}});
  if (settings_.batch_attempt_failed) settings_.batch_attempt_failed(next.reason);
  return st;
}

namespace {
// The least a data-file line takes, for the space check before any attempt has measured one.
constexpr int64_t kMinBytesPerItem = 64;
constexpr int64_t kManifestBytes = 4096;
}  // namespace

absl::Status DispatchService::CheckDeliverySpace(const Batch& batch) {
  const int64_t positions = batch.last_position - batch.first_position + 1;
  const int64_t needed = positions * std::max(batch.bytes_per_item, kMinBytesPerItem) + kManifestBytes;
  CAK_ASSIGN_OR_RETURN(const int64_t free, files_->FreeBytes());
  if (free >= needed) return absl::OkStatus();
  return MakeError(
      absl::StatusCode::kResourceExhausted, reason::kDeliveryStorageFull,
      absl::StrCat("the deliveries volume has ", free, " bytes free; batch ", batch.batch_no, " needs about ", needed));
}

absl::Status DispatchService::WriteBatch(const CallContext& call, const ClaimedBatch& claimed, BatchWriter& writer,
                                         AttemptProgress* progress) {
  const Order& order = claimed.order;
  const Batch& batch = claimed.batch;
  const Channel channel = order.channel;

  CAK_ASSIGN_OR_RETURN(common::MessageTemplate message,
                       common::MessageTemplate::Parse(order.template_text, ToMessageChannel(channel), "message"));
  ItemRenderer renderer(order, std::move(message), batch.planned_date);
  const bool files = claimed.executor.delivery_method == DeliveryMethod::kFiles;
  std::unique_ptr<DeliveryFile> data;
  if (files) {
    CAK_RETURN_IF_ERROR(CheckDeliverySpace(batch));
    CAK_ASSIGN_OR_RETURN(data, files_->Create(DataFileName(batch, channel)));
  }
  common::Sha256Stream sha;
  int64_t& bytes = progress->bytes;
  auto emit = [&](const std::string& chunk) -> absl::Status {
    sha.Update(chunk);
    bytes += static_cast<int64_t>(chunk.size());
    return data ? data->Append(chunk) : absl::OkStatus();
  };
  CAK_RETURN_IF_ERROR(emit(FileHeader(channel)));

  std::vector<std::string> subjects;  // log ids
  std::vector<std::string> addressees;
  std::vector<Item> items;
  std::string lines;
  int64_t withheld = 0;
  int64_t last = batch.first_position - 1;
  const absl::string_view line_end = LineEnd(channel);
  const absl::Time t0 = absl::Now();  // (phase timings for the debug log, not the injected clock)
  // Of the stream's time: routing and rendering, and handing the items to the store (time spent
  // there is the database's back-pressure on the COPY); the rest is reading from analysis-svc.
  absl::Duration render_time, add_time;
  CAK_RETURN_IF_ERROR(recipients_->Stream(
      call, order.recipient_list, channel, renderer.QuotesCustomerNumber(), batch.first_position - 1,
      batch.last_position, [&](std::vector<Recipient>& chunk) -> absl::Status {
        const absl::Time c0 = absl::Now();
        items.clear();
        lines.clear();
        for (Recipient& r : chunk) {
          // Only this batch's slice, each position at most once, in order: anything else means
          // the list is not what was planned, and nothing of the batch may be delivered. A
          // missing position is a member analysis-svc no longer holds (erased, or past
          // retention): nobody to write to, and nothing of them may be delivered either.
          if (r.position <= last || r.position > batch.last_position) {
            return MakeError(absl::StatusCode::kInternal, reason::kRecipientListChanged,
                             "analysis-svc sent a position outside the batch or out of order");
          }
          last = r.position;
          if (r.withheld) {  // objected since the freeze: no item, nothing of them here
            ++withheld;
            continue;
          }
          auto bsn = common::Bsn::Parse(r.bsn, "recipient.bsn");
          if (!bsn.ok()) {
            return MakeError(absl::StatusCode::kInternal, reason::kRecipientListChanged,
                             "analysis-svc sent a recipient without a valid BSN");
          }
          ++progress->read;
          Item& item = items.emplace_back(ToItem(std::move(r), channel, renderer.QuotesCustomerNumber()));
          item.data_subject_id = hasher_.Hash(*bsn);
          subjects.push_back(item.data_subject_id);
          addressees.push_back(AddresseeId(item, channel, hasher_));
          renderer.AppendFileLine(item, &lines);
          lines.append(line_end.data(), line_end.size());
        }
        CAK_RETURN_IF_ERROR(emit(lines));
        const absl::Time c1 = absl::Now();
        absl::Status added = writer.AddItems(items);
        render_time += c1 - c0;
        add_time += absl::Now() - c1;
        return added;
      }));

  const absl::Time t1 = absl::Now();
  BatchResult result;
  result.item_count = static_cast<int64_t>(subjects.size());
  result.withheld_count = withheld;
  result.sha256 = sha.FinalHex();
  result.write_time = clock_->Now();
  if (files) {
    result.data_file = DataFileName(batch, channel);
    result.manifest_file = ManifestFileName(batch);
    CAK_RETURN_IF_ERROR(data->Commit());
    ManifestInfo m{&order, &batch, &claimed.executor, result.item_count, bytes, result.sha256, result.write_time};
    CAK_ASSIGN_OR_RETURN(std::unique_ptr<DeliveryFile> manifest, files_->Create(result.manifest_file));
    CAK_RETURN_IF_ERROR(manifest->Append(ManifestJson(m)));
    // The manifest last: an executor that waits for it never reads a data file in the making.
    CAK_RETURN_IF_ERROR(manifest->Commit());
  }
  ProcessingRecord record = DeliveryRecord(claimed, result.write_time);
  record.attributes["items"] = absl::StrCat(result.item_count);
  record.attributes["withheld_objection"] = absl::StrCat(result.withheld_count);
  const absl::Time t2 = absl::Now();
  CAK_RETURN_IF_ERROR(writer.Finish(result, call, record, subjects, addressees));
  common::log::Debug("batch_written", {{"dispatch_order", order.id},
                                       {"batch", batch.batch_no},
                                       {"items", result.item_count},
                                       {"stream_render_ms", absl::ToInt64Milliseconds(t1 - t0)},
                                       {"render_ms", absl::ToInt64Milliseconds(render_time)},
                                       {"add_items_ms", absl::ToInt64Milliseconds(add_time)},
                                       {"files_ms", absl::ToInt64Milliseconds(t2 - t1)},
                                       {"store_ms", absl::ToInt64Milliseconds(absl::Now() - t2)}});
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Executors' side

absl::StatusOr<std::vector<Batch>> DispatchService::ListOpenBatches(
    const CallContext& call, const std::optional<DispatchRepository::BatchKey>& after, int limit) {
  CAK_ASSIGN_OR_RETURN(Executor executor, CallingExecutor(call));
  CAK_ASSIGN_OR_RETURN(std::vector<Batch> batches,
                       repository_->ListOpenBatches(executor.id, after, limit, call.deadline));
  CAK_RETURN_IF_ERROR(AddGuidelines(batches, call.deadline));
  return batches;
}

absl::Status DispatchService::StreamBatchItems(const CallContext& call, const std::string& order_id, int32_t batch_no,
                                               const std::function<bool(Channel, std::vector<RenderedItem>&)>& sink) {
  CAK_ASSIGN_OR_RETURN(Executor executor, CallingExecutor(call));
  CAK_ASSIGN_OR_RETURN(Batch batch, repository_->GetBatch(order_id, batch_no, executor.id, call.deadline));
  if (batch.state == BatchState::kPlanned) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kBatchNotWritten, "the batch is not written yet");
  }
  CAK_ASSIGN_OR_RETURN(Order order, repository_->GetOrder(order_id, call.deadline));
  CAK_ASSIGN_OR_RETURN(common::MessageTemplate message,
                       common::MessageTemplate::Parse(order.template_text, ToMessageChannel(order.channel), "message"));
  const ItemRenderer renderer(order, std::move(message), batch.planned_date);
  // The items' data subjects were logged as handed over to this executor when the batch was
  // written; this entry records that the executor fetched them.
  ProcessingRecord record =
      common::MakeRecord("dispatch.StreamBatchItems", ProcessingActivity::kUitvoerenActie, clock_->Now());
  record.attributes = {{"dispatch_order", order.id},
                       {"batch", absl::StrCat(batch_no)},
                       {"executor", executor.id},
                       {"processor", executor.identity},
                       {"items", absl::StrCat(batch.item_count)}};
  record.action_traceparent = order.traceparent;  // the executor's own trace becomes the foreign operation
  CAK_RETURN_IF_ERROR(repository_->Log(call, record, call.deadline));
  std::vector<RenderedItem> out;
  return repository_->StreamItems(order_id, batch_no, settings_.stream_chunk, [&](std::vector<Item>& items) {
    out.clear();
    for (Item& item : items) {
      RenderedItem& r = out.emplace_back();
      renderer.RenderText(item, &r.text);
      r.contact_moment_code = renderer.contact_moment_code();
      r.item = std::move(item);
    }
    if (!sink(order.channel, out)) return absl::CancelledError("the executor cancelled the stream");
    return absl::OkStatus();
  });
}

absl::StatusOr<Batch> DispatchService::AcknowledgeBatch(const CallContext& call, const std::string& order_id,
                                                        int32_t batch_no) {
  CAK_ASSIGN_OR_RETURN(Executor executor, CallingExecutor(call));
  CAK_ASSIGN_OR_RETURN(Batch batch, repository_->AcknowledgeBatch(order_id, batch_no, executor.id, call.principal.id,
                                                                  clock_->Now(), call.deadline));
  std::vector<Batch> one{std::move(batch)};
  CAK_RETURN_IF_ERROR(AddGuidelines(one, call.deadline));
  return std::move(one.front());
}

absl::StatusOr<int64_t> DispatchService::ReportOutcomes(const CallContext& call, const CreateRequest& create,
                                                        const std::string& order_id, int32_t batch_no,
                                                        std::vector<ItemOutcome> outcomes, bool* replayed) {
  if (!create.request_id.empty()) CAK_RETURN_IF_ERROR(common::ValidateRequestId(create.request_id, "request_id"));
  if (outcomes.empty() || outcomes.size() > 10000) {
    return InvalidField(outcomes.empty() ? creason::kRequiredFieldMissing : creason::kInvalidFieldValue, "outcomes",
                        "1..10,000 outcomes per report");
  }
  CAK_ASSIGN_OR_RETURN(Executor executor, CallingExecutor(call));
  CAK_ASSIGN_OR_RETURN(Batch batch, repository_->GetBatch(order_id, batch_no, executor.id, call.deadline));
  const absl::Time now = clock_->Now();
  std::vector<int64_t> seen;
  seen.reserve(outcomes.size());
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const ItemOutcome& o = outcomes[i];
    const std::string field = absl::StrCat("outcomes[", i, "]");
    if (!OutcomeFitsChannel(o.outcome, batch.channel)) {
      return InvalidField(reason::kOutcomeNotForChannel, field + ".outcome",
                          absl::StrCat("not an outcome of channel ", ChannelName(batch.channel)));
    }
    if (o.outcome_time > now + absl::Minutes(5)) {
      return InvalidField(reason::kOutcomeInFuture, field + ".outcome_time", "the outcome lies in the future");
    }
    if (o.position < batch.first_position || o.position > batch.last_position) {
      return InvalidField(reason::kOutcomeNotInBatch, field + ".position", "this recipient is not in the batch");
    }
    seen.push_back(o.position);
  }
  std::sort(seen.begin(), seen.end());
  if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) {
    return InvalidField(reason::kDuplicateOutcome, "outcomes", "one outcome per recipient per report");
  }
  CAK_ASSIGN_OR_RETURN(Order order, repository_->GetOrder(order_id, call.deadline));
  // What became of the deliveries, in the action's trace (the executor's call is the foreign
  // operation), each reported recipient a subject of it.
  ProcessingRecord record = common::MakeRecord("dispatch.ReportOutcomes", ProcessingActivity::kUitvoerenActie, now);
  record.attributes = {{"dispatch_order", order.id},
                       {"batch", absl::StrCat(batch_no)},
                       {"executor", executor.id},
                       {"processor", executor.identity},
                       {"outcomes", absl::StrCat(outcomes.size())}};
  record.action_traceparent = order.traceparent;
  OutcomeReport report{order_id, batch_no, executor.id, std::move(outcomes), call.principal.id, now};
  const common::IdempotencyKey key{"ReportOutcomes", create.request_id, create.fingerprint};
  return repository_->StoreOutcomes(report, create.request_id.empty() ? nullptr : &key, replayed, call.deadline, call,
                                    record);
}

absl::StatusOr<std::vector<RecordedOutcome>> DispatchService::ListOutcomes(const CallContext& call,
                                                                           const std::string& order_id,
                                                                           bool include_superseded, int64_t after_id,
                                                                           int limit) {
  if (!order_id.empty()) CAK_RETURN_IF_ERROR(repository_->GetOrder(order_id, call.deadline).status());
  return repository_->ListOutcomes(order_id, include_superseded, after_id, limit, call.deadline);
}

// ---------------------------------------------------------------------------------------------
// Retention

absl::StatusOr<common::SubjectData> DispatchService::ExportSubjectData(const CallContext& call,
                                                                       const common::Bsn& customer) {
  CAK_ASSIGN_OR_RETURN(std::vector<common::SubjectRow> items,
                       repository_->SubjectItems(hasher_.Hash(customer), call.deadline));
  return SubjectExport(items, settings_.delivery_retention);
}

absl::StatusOr<common::ObjectionOutcome> DispatchService::ObjectionEffects(const CallContext& call,
                                                                           const common::Bsn& subject, bool lifted) {
  common::ObjectionOutcome out;
  if (lifted) {
    out.effects.push_back(
        "Batches die nog niet zijn geschreven nemen de persoon weer op, als die op de lijst staat; wat is "
        "achtergehouden blijft achtergehouden.");
    return out;
  }
  CAK_ASSIGN_OR_RETURN(std::vector<common::SubjectRow> items,
                       repository_->SubjectItems(hasher_.Hash(subject), call.deadline));
  out.effects.push_back(
      "Batches die nog niet zijn geschreven laten de persoon weg (analysis-svc houdt het bezwaar bij); elke batch "
      "telt hoeveel plaatsen om deze reden zijn achtergehouden.");
  for (const common::SubjectRow& item : items) {
    std::map<std::string, std::string> f(item.begin(), item.end());
    out.effects.push_back(absl::StrCat("Al overgedragen, niet meer terug te halen: ", f["dispatch_order"], " batch ",
                                       f["batch"], " aan ", f["executor"], " op ", f["handed_over"],
                                       f["acknowledged"].empty() ? " (nog niet bevestigd door de uitvoerder)" : ""));
  }
  if (items.empty()) out.effects.push_back("Geen verzending met deze persoon is al aan een uitvoerder overgedragen.");
  return out;
}

absl::StatusOr<common::ErasureOutcome> DispatchService::EraseSubjectData(const CallContext& call,
                                                                         const common::Bsn& subject, bool dry_run) {
  CAK_ASSIGN_OR_RETURN(const DispatchRepository::ItemErasure erased,
                       repository_->EraseSubjectItems(call, {hasher_.Hash(subject)}, dry_run, nullptr));
  common::ErasureOutcome out;
  out.categories.push_back({"deliveries", "Verzendingen aan u (naam, adres, telefoon, klantnummer)", erased.items});
  for (const std::string& file : erased.files) {
    out.kept.push_back(absl::StrCat("Al overgedragen aan de uitvoerder, buiten dit systeem: bestand ", file,
                                    ". De uitvoerder bewaart het volgens de afspraken met het CAK."));
  }
  if (erased.items > 0) {
    out.kept.push_back(
        "De plaats van elke verzending in haar batch, zonder gegevens over u (de uitkomst blijft "
        "meetellen in de responsmeting).");
  }
  return out;
}

absl::StatusOr<common::FollowOutcome> DispatchService::FollowRemovals(const CallContext& call,
                                                                      common::SubjectRemovalFeed& feed, bool dry_run) {
  CAK_ASSIGN_OR_RETURN(const common::RemovalPosition from, repository_->RemovalFeedPosition(call.deadline));
  return common::FollowRemovals(
      feed, call, from, kRemovalPage, dry_run,
      [&](const std::vector<common::SubjectRemoval>& page, bool dry) -> absl::StatusOr<common::PageOutcome> {
        std::vector<std::string> ids;
        ids.reserve(page.size());
        for (const common::SubjectRemoval& r : page) ids.push_back(r.data_subject_id);
        common::FollowedPage followed{
            page.back().position,
            common::MakeRecord("dispatch.FollowSubjectRemovals", ProcessingActivity::kBewaartermijn, clock_->Now())};
        followed.record.attributes = {{"removals", absl::StrCat(page.size())}};
        CAK_ASSIGN_OR_RETURN(const DispatchRepository::ItemErasure erased,
                             repository_->EraseSubjectItems(call, ids, dry, dry ? nullptr : &followed));
        return common::PageOutcome{erased.subjects, erased.items};
      });
}

absl::StatusOr<PurgeCounts> DispatchService::Purge(const CallContext& call, bool dry_run) {
  const absl::CivilDay cutoff = absl::ToCivilDay(clock_->Now() - settings_.delivery_retention, settings_.zone);
  return repository_->PurgeOrders(call, cutoff, dry_run, [this](const std::vector<Batch>& batches) {
    for (const Batch& b : batches) {
      for (const std::string* f : {&b.data_file, &b.manifest_file}) {
        if (!f->empty()) CAK_RETURN_IF_ERROR(files_->Remove(*f));
      }
    }
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// BatchGenerator

BatchGenerator::BatchGenerator(DispatchService* service, int threads, absl::Duration poll_interval)
    : service_(service), threads_(std::max(1, threads)), poll_interval_(poll_interval) {}

BatchGenerator::~BatchGenerator() { Stop(); }

void BatchGenerator::Start() {
  for (int i = 0; i < threads_; ++i) workers_.emplace_back([this] { Run(); });
}

void BatchGenerator::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wakeups_;
  }
  cv_.notify_all();
}

void BatchGenerator::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void BatchGenerator::Run() {
  namespace log = common::log;
  for (;;) {
    uint64_t seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      seen = wakeups_;
    }
    auto attempt = service_->GenerateNextBatch();
    if (attempt.ok() && *attempt == DispatchRepository::Attempt::kWritten) {
      generated_.fetch_add(1);
      continue;  // more may be waiting
    }
    // A failed attempt was logged and counted, and its batch waits its backoff; others may be due.
    if (attempt.ok() && *attempt == DispatchRepository::Attempt::kRescheduled) continue;
    if (!attempt.ok()) log::Warning("batch_generation_failed", {{"error", attempt.status()}});
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(poll_interval_), [&] { return stop_ || wakeups_ != seen; });
  }
}

}  // namespace cak::dispatch::domain
