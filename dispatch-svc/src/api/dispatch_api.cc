// dispatch-svc gRPC handlers (see dispatch_api.h).
#include "dispatch-svc/src/api/dispatch_api.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/base/page_token.h"
#include "common/grpc/convert.h"
#include "common/grpc/data_subject_service.h"
#include "common/grpc/processing_log_service.h"
#include "dispatch-svc/src/api/mapping.h"

namespace cak::dispatch::api {

using common::CallContext;
namespace roles = common::roles;

namespace {

// Bytes of guidelines and message texts one page may carry. Such a text is up to 20,000
// characters (80 KB in UTF-8), so a full page of checks, orders or batches could outgrow a gRPC
// message (4 MiB by default, also on the executors' side): the page ends early instead.
constexpr size_t kPageTextBudget = 2 << 20;

// Ends `rows` (a page already closed by common::Page) after the row whose texts, added up, reach
// kPageTextBudget, keeping at least one row; the token then continues after the last row kept.
template <typename Row, typename TextBytes, typename KeyOf>
void FitPageToMessage(std::vector<Row>& rows, const TextBytes& text_bytes, const common::PageTokens& tokens,
                      const std::string& fingerprint, const KeyOf& key_of, std::string* next_page_token) {
  size_t bytes = 0;
  for (size_t i = 0; i + 1 < rows.size(); ++i) {
    bytes += text_bytes(rows[i]);
    if (bytes >= kPageTextBudget) {
      rows.resize(i + 1);
      *next_page_token = tokens.Encode(fingerprint, key_of(rows.back()));
      return;
    }
  }
}

// Part kinds and key of an executor's inbox (DispatchRepository::InboxKey).
const std::vector<common::PagePart> kInboxParts = {common::PagePart::kId, common::PagePart::kMicros,
                                                   common::PagePart::kUuid};

std::optional<domain::DispatchRepository::InboxKey> InboxAfter(const common::Page& page) {
  if (page.first()) return std::nullopt;
  return domain::DispatchRepository::InboxKey{static_cast<int>(std::min<int64_t>(page.Id(0), 1)), page.Micros(1),
                                              page.Part(2)};
}

std::vector<std::string> InboxKeyOf(bool closed, absl::Time create_time, const std::string& id) {
  return {closed ? "1" : "0", common::Page::MicrosPart(create_time), id};
}

}  // namespace

common::RoleTable DispatchRoleTable() {
  return {
      {"CreateExecutor", {roles::kAdministrator}},
      {"UpdateExecutor", {roles::kAdministrator}},
      {"GetExecutor", {roles::kAdministrator, roles::kCampaignDesigner, roles::kApprover, roles::kCampaignService}},
      {"ListExecutors", {roles::kAdministrator, roles::kCampaignDesigner, roles::kApprover, roles::kCampaignService}},
      {"CheckFeasibility", {roles::kCampaignService, roles::kCampaignDesigner}},
      // An executor reads only its own checks, orders and batches (DispatchService::VisibleExecutor).
      {"GetFeasibilityCheck",
       {roles::kCampaignService, roles::kCampaignDesigner, roles::kApprover, roles::kAdministrator, roles::kExecutor}},
      {"CreateDispatchOrder", {roles::kCampaignService}},
      {"GetDispatchOrder",
       {roles::kCampaignService, roles::kCampaignDesigner, roles::kApprover, roles::kAdministrator, roles::kExecutor}},
      {"ListBatches",
       {roles::kCampaignService, roles::kCampaignDesigner, roles::kApprover, roles::kAdministrator, roles::kExecutor}},
      {"ListOutcomes", {roles::kAnalysisService, roles::kAdministrator}},
      // The executors' pull API: their own identities only (DESIGN.md 4.8).
      {"ListFeasibilityChecks", {roles::kExecutor}},
      {"ListDispatchOrders", {roles::kExecutor}},
      {"ConfirmFeasibility", {roles::kExecutor}},
      {"RejectFeasibility", {roles::kExecutor}},
      {"ListOpenBatches", {roles::kExecutor}},
      {"StreamBatchItems", {roles::kExecutor}},
      {"AcknowledgeBatch", {roles::kExecutor}},
      {"ReportOutcomes", {roles::kExecutor}},
      {common::kListProcessingLogEntries, {roles::kPrivacyOfficer}},
      {common::kExportSubjectData, {roles::kPrivacyOfficer}},
      {common::kRecordObjection, {roles::kPrivacyOfficer}},
      {common::kLiftObjection, {roles::kPrivacyOfficer}},
      {common::kEraseSubjectData, {roles::kPrivacyOfficer}},
  };
}

DispatchApi::DispatchApi(const common::RpcEnvironment* env, domain::DispatchService* service,
                         std::function<void()> on_order_created)
    : env_(env), service_(service), on_order_created_(std::move(on_order_created)) {}

grpc::Status DispatchApi::CreateExecutor(grpc::ServerContext* ctx, const pb::CreateExecutorRequest* req,
                                         pb::Executor* resp) {
  return env_->Run(ctx, "CreateExecutor", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(domain::Executor e, ExecutorFromProto(req->executor()));
    e.id = req->executor_id();
    bool replayed = false;
    CAK_ASSIGN_OR_RETURN(
        e, service_->CreateExecutor(call, {req->request_id(), common::RequestFingerprint(*req, call.principal)},
                                    std::move(e), &replayed));
    ToProto(e, resp);
    resp->set_replayed(replayed);
    return absl::OkStatus();
  });
}

grpc::Status DispatchApi::UpdateExecutor(grpc::ServerContext* ctx, const pb::UpdateExecutorRequest* req,
                                         pb::Executor* resp) {
  return env_->Run(ctx, "UpdateExecutor", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, ParseExecutorName(req->executor().name(), "executor.name"));
    const std::vector<std::string> paths(req->update_mask().paths().begin(), req->update_mask().paths().end());
    CAK_ASSIGN_OR_RETURN(domain::Executor patch, ExecutorPatchFromProto(req->executor(), paths));
    CAK_ASSIGN_OR_RETURN(domain::Executor e, service_->UpdateExecutor(call, id, patch, paths));
    ToProto(e, resp);
    return absl::OkStatus();
  });
}

grpc::Status DispatchApi::GetExecutor(grpc::ServerContext* ctx, const pb::GetExecutorRequest* req, pb::Executor* resp) {
  return env_->Run(ctx, "GetExecutor", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, ParseExecutorName(req->name(), "name"));
    CAK_ASSIGN_OR_RETURN(domain::Executor e, service_->GetExecutor(call, id));
    ToProto(e, resp);
    return absl::OkStatus();
  });
}

grpc::Status DispatchApi::ListExecutors(grpc::ServerContext* ctx, const pb::ListExecutorsRequest* req,
                                        pb::ListExecutorsResponse* resp) {
  return env_->Run(ctx, "ListExecutors", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(auto page, common::Page::Open(env_->page_tokens(), "ListExecutors", req->page_size(),
                                                       req->page_token(), {50, 200}, {common::PagePart::kName}));
    CAK_ASSIGN_OR_RETURN(auto executors,
                         service_->ListExecutors(call, page.first() ? "" : page.Part(0), page.read_limit()));
    resp->set_next_page_token(page.Close(executors, [](const domain::Executor& e) { return std::vector{e.id}; }));
    for (const auto& e : executors) ToProto(e, resp->add_executors());
    return absl::OkStatus();
  });
}

grpc::Status DispatchApi::CheckFeasibility(grpc::ServerContext* ctx, const pb::CheckFeasibilityRequest* req,
                                           pb::FeasibilityCheck* resp) {
  return env_->Run(ctx, "CheckFeasibility", [&](const CallContext& call) -> absl::Status {
    domain::FeasibilityRequest in;
    in.create = {req->request_id(), common::RequestFingerprint(*req, call.principal)};
    CAK_ASSIGN_OR_RETURN(in.channel,
                         common::RequiredEnum<domain::Channel>(req->channel(), pb::Channel_IsValid, "channel"));
    in.volume = req->volume();
    CAK_ASSIGN_OR_RETURN(in.window_start,
                         common::RequiredDayFromProto(req->has_window_start(), req->window_start(), "window_start"));
    CAK_ASSIGN_OR_RETURN(in.window_end,
                         common::RequiredDayFromProto(req->has_window_end(), req->window_end(), "window_end"));
    in.campaign = req->campaign();
    in.guidelines = req->guidelines();
    bool replayed = false;
    CAK_ASSIGN_OR_RETURN(domain::FeasibilityCheck check, service_->CheckFeasibility(call, in, &replayed));
    ToProto(check, resp);
    resp->set_replayed(replayed);
    return absl::OkStatus();
  });
}

grpc::Status DispatchApi::GetFeasibilityCheck(grpc::ServerContext* ctx, const pb::GetFeasibilityCheckRequest* req,
                                              pb::FeasibilityCheck* resp) {
  return env_->Run(ctx, "GetFeasibilityCheck", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, common::ParseName(req->name(), "feasibilityChecks", "name"));
    CAK_ASSIGN_OR_RETURN(domain::FeasibilityCheck check, service_->GetFeasibilityCheck(call, id));
    ToProto(check, resp);
    return absl::OkStatus();
  });
}

grpc::Status DispatchApi::CreateDispatchOrder(grpc::ServerContext* ctx, const pb::CreateDispatchOrderRequest* req,
                                              pb::DispatchOrder* resp) {
  return env_->Run(ctx, "CreateDispatchOrder", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(domain::Order order, OrderFromProto(req->order()));
    bool replayed = false;
    CAK_ASSIGN_OR_RETURN(
        order, service_->CreateOrder(call, {req->request_id(), common::RequestFingerprint(*req, call.principal)},
                                     std::move(order), &replayed));
    if (!replayed && on_order_created_) on_order_created_();
    ToProto(order, resp);
    resp->set_replayed(replayed);
    return absl::OkStatus();
  });
}

grpc::Status DispatchApi::GetDispatchOrder(grpc::ServerContext* ctx, const pb::GetDispatchOrderRequest* req,
                                           pb::DispatchOrder* resp) {
  return env_->Run(ctx, "GetDispatchOrder", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, common::ParseName(req->name(), "dispatchOrders", "name"));
    CAK_ASSIGN_OR_RETURN(domain::Order order, service_->GetOrder(call, id));
    ToProto(order, resp);
    return absl::OkStatus();
  });
}

grpc::Status DispatchApi::ListBatches(grpc::ServerContext* ctx, const pb::ListBatchesRequest* req,
                                      pb::ListBatchesResponse* resp) {
  return env_->Run(ctx, "ListBatches", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, common::ParseName(req->parent(), "dispatchOrders", "parent"));
    const std::string fingerprint = absl::StrCat("ListBatches:", id);
    CAK_ASSIGN_OR_RETURN(auto page, common::Page::Open(env_->page_tokens(), fingerprint, req->page_size(),
                                                       req->page_token(), {100, 1000}, {common::PagePart::kId}));
    const int32_t after = page.first() ? 0 : static_cast<int32_t>(std::min<int64_t>(page.Id(0), INT32_MAX));
    CAK_ASSIGN_OR_RETURN(auto batches, service_->ListBatches(call, id, after, page.read_limit()));
    auto key_of = [](const domain::Batch& b) { return std::vector{absl::StrCat(b.batch_no)}; };
    std::string next = page.Close(batches, key_of);
    FitPageToMessage(
        batches, [](const domain::Batch& b) { return b.guidelines.size(); }, env_->page_tokens(), fingerprint, key_of,
        &next);
    resp->set_next_page_token(next);
    for (const auto& b : batches) ToProto(b, resp->add_batches());
    return absl::OkStatus();
  });
}

grpc::Status DispatchApi::ListOutcomes(grpc::ServerContext* ctx, const pb::ListOutcomesRequest* req,
                                       pb::ListOutcomesResponse* resp) {
  return env_->Run(ctx, "ListOutcomes", [&](const CallContext& call) -> absl::Status {
    std::string order;
    if (!req->order().empty()) {
      CAK_ASSIGN_OR_RETURN(order, common::ParseName(req->order(), "dispatchOrders", "order"));
    }
    // A token is for the view it was issued in (current outcomes, or the history as well).
    CAK_ASSIGN_OR_RETURN(
        auto page, common::Page::Open(env_->page_tokens(),
                                      absl::StrCat("ListOutcomes:", order, req->include_superseded() ? ":history" : ""),
                                      req->page_size(), req->page_token(), {1000, 10000}, {common::PagePart::kId}));
    CAK_ASSIGN_OR_RETURN(auto outcomes, service_->ListOutcomes(call, order, req->include_superseded(),
                                                               page.first() ? 0 : page.Id(0), page.read_limit()));
    resp->set_next_page_token(
        page.Close(outcomes, [](const domain::RecordedOutcome& o) { return std::vector{absl::StrCat(o.id)}; }));
    for (const auto& o : outcomes) ToProto(o, resp->add_outcomes());
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// ExecutorService

ExecutorApi::ExecutorApi(const common::RpcEnvironment* env, domain::DispatchService* service)
    : env_(env), service_(service) {}

grpc::Status ExecutorApi::ConfirmFeasibility(grpc::ServerContext* ctx, const pb::ConfirmFeasibilityRequest* req,
                                             pb::FeasibilityCheck* resp) {
  return env_->Run(ctx, "ConfirmFeasibility", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, common::ParseName(req->name(), "feasibilityChecks", "name"));
    CAK_ASSIGN_OR_RETURN(domain::FeasibilityCheck check, service_->DecideFeasibility(call, id, true, req->comment()));
    ToProto(check, resp);
    return absl::OkStatus();
  });
}

grpc::Status ExecutorApi::RejectFeasibility(grpc::ServerContext* ctx, const pb::RejectFeasibilityRequest* req,
                                            pb::FeasibilityCheck* resp) {
  return env_->Run(ctx, "RejectFeasibility", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, common::ParseName(req->name(), "feasibilityChecks", "name"));
    CAK_ASSIGN_OR_RETURN(domain::FeasibilityCheck check, service_->DecideFeasibility(call, id, false, req->comment()));
    ToProto(check, resp);
    return absl::OkStatus();
  });
}

grpc::Status ExecutorApi::ListFeasibilityChecks(grpc::ServerContext* ctx, const pb::ListFeasibilityChecksRequest* req,
                                                pb::ListFeasibilityChecksResponse* resp) {
  return env_->Run(ctx, "ListFeasibilityChecks", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(auto state, common::OptionalEnum<domain::FeasibilityState>(
                                         req->state(), pb::FeasibilityState_IsValid, "state"));
    // The token is bound to the caller and the filter: one executor's token means nothing to another.
    const std::string fingerprint =
        absl::StrCat("ListFeasibilityChecks:", call.principal.id, ":", state ? static_cast<int>(*state) : 0);
    CAK_ASSIGN_OR_RETURN(auto page, common::Page::Open(env_->page_tokens(), fingerprint, req->page_size(),
                                                       req->page_token(), {50, 200}, kInboxParts));
    CAK_ASSIGN_OR_RETURN(auto checks,
                         service_->ListFeasibilityChecks(call, state, InboxAfter(page), page.read_limit()));
    auto key_of = [](const domain::FeasibilityCheck& c) {
      return InboxKeyOf(c.state != domain::FeasibilityState::kAwaitingSignOff, c.create_time, c.id);
    };
    std::string next = page.Close(checks, key_of);
    FitPageToMessage(
        checks, [](const domain::FeasibilityCheck& c) { return c.guidelines.size(); }, env_->page_tokens(), fingerprint,
        key_of, &next);
    resp->set_next_page_token(next);
    for (const auto& c : checks) ToProto(c, resp->add_feasibility_checks());
    return absl::OkStatus();
  });
}

grpc::Status ExecutorApi::ListDispatchOrders(grpc::ServerContext* ctx, const pb::ListDispatchOrdersRequest* req,
                                             pb::ListDispatchOrdersResponse* resp) {
  return env_->Run(ctx, "ListDispatchOrders", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(auto state,
                         common::OptionalEnum<domain::OrderState>(req->state(), pb::OrderState_IsValid, "state"));
    const std::string fingerprint =
        absl::StrCat("ListDispatchOrders:", call.principal.id, ":", state ? static_cast<int>(*state) : 0);
    CAK_ASSIGN_OR_RETURN(auto page, common::Page::Open(env_->page_tokens(), fingerprint, req->page_size(),
                                                       req->page_token(), {50, 200}, kInboxParts));
    CAK_ASSIGN_OR_RETURN(auto orders, service_->ListExecutorOrders(call, state, InboxAfter(page), page.read_limit()));
    auto key_of = [](const domain::Order& o) {
      return InboxKeyOf(o.state != domain::OrderState::kGenerating && o.state != domain::OrderState::kReady,
                        o.create_time, o.id);
    };
    std::string next = page.Close(orders, key_of);
    FitPageToMessage(
        orders, [](const domain::Order& o) { return o.guidelines.size() + o.template_text.size(); },
        env_->page_tokens(), fingerprint, key_of, &next);
    resp->set_next_page_token(next);
    for (const auto& o : orders) ToProto(o, resp->add_dispatch_orders());
    return absl::OkStatus();
  });
}

grpc::Status ExecutorApi::ListOpenBatches(grpc::ServerContext* ctx, const pb::ListOpenBatchesRequest* req,
                                          pb::ListOpenBatchesResponse* resp) {
  return env_->Run(ctx, "ListOpenBatches", [&](const CallContext& call) -> absl::Status {
    // The token is bound to the caller: one executor's token means nothing to another.
    const std::string fingerprint = absl::StrCat("ListOpenBatches:", call.principal.id);
    CAK_ASSIGN_OR_RETURN(
        auto page,
        common::Page::Open(env_->page_tokens(), fingerprint, req->page_size(), req->page_token(), {100, 1000},
                           {common::PagePart::kDay, common::PagePart::kUuid, common::PagePart::kId}));
    std::optional<domain::DispatchRepository::BatchKey> after;
    if (!page.first()) {
      after = domain::DispatchRepository::BatchKey{page.Day(0), page.Part(1),
                                                   static_cast<int32_t>(std::min<int64_t>(page.Id(2), INT32_MAX))};
    }
    CAK_ASSIGN_OR_RETURN(auto batches, service_->ListOpenBatches(call, after, page.read_limit()));
    auto key_of = [](const domain::Batch& b) {
      return std::vector{common::Page::DayPart(b.planned_date), b.order_id, absl::StrCat(b.batch_no)};
    };
    std::string next = page.Close(batches, key_of);
    FitPageToMessage(
        batches, [](const domain::Batch& b) { return b.guidelines.size(); }, env_->page_tokens(), fingerprint, key_of,
        &next);
    resp->set_next_page_token(next);
    for (const auto& b : batches) ToProto(b, resp->add_batches());
    return absl::OkStatus();
  });
}

grpc::Status ExecutorApi::StreamBatchItems(grpc::ServerContext* ctx, const pb::StreamBatchItemsRequest* req,
                                           grpc::ServerWriter<pb::StreamBatchItemsResponse>* writer) {
  return env_->Run(ctx, "StreamBatchItems", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(auto batch, ParseBatchName(req->batch(), "batch"));
    pb::StreamBatchItemsResponse response;
    return service_->StreamBatchItems(call, batch.first, batch.second,
                                      [&](domain::Channel channel, std::vector<domain::RenderedItem>& items) {
                                        response.Clear();
                                        for (domain::RenderedItem& item : items)
                                          ToProto(std::move(item), channel, response.add_items());
                                        return writer->Write(response);
                                      });
  });
}

grpc::Status ExecutorApi::AcknowledgeBatch(grpc::ServerContext* ctx, const pb::AcknowledgeBatchRequest* req,
                                           pb::Batch* resp) {
  return env_->Run(ctx, "AcknowledgeBatch", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(auto batch, ParseBatchName(req->batch(), "batch"));
    CAK_ASSIGN_OR_RETURN(domain::Batch b, service_->AcknowledgeBatch(call, batch.first, batch.second));
    ToProto(b, resp);
    return absl::OkStatus();
  });
}

grpc::Status ExecutorApi::ReportOutcomes(grpc::ServerContext* ctx, const pb::ReportOutcomesRequest* req,
                                         pb::ReportOutcomesResponse* resp) {
  return env_->Run(ctx, "ReportOutcomes", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(auto batch, ParseBatchName(req->batch(), "batch"));
    std::vector<domain::ItemOutcome> outcomes;
    outcomes.reserve(req->outcomes_size());
    for (int i = 0; i < req->outcomes_size(); ++i) {
      const pb::ItemOutcome& o = req->outcomes(i);
      const std::string field = absl::StrCat("outcomes[", i, "]");
      domain::ItemOutcome d;
      d.position = o.position();
      CAK_ASSIGN_OR_RETURN(d.outcome,
                           common::RequiredEnum<domain::Outcome>(o.outcome(), pb::Outcome_IsValid, field + ".outcome"));
      if (!o.has_outcome_time()) {
        return common::InvalidField(common::reason::kRequiredFieldMissing, field + ".outcome_time", "required");
      }
      CAK_ASSIGN_OR_RETURN(d.outcome_time, common::FromProtoTime(o.outcome_time(), field + ".outcome_time"));
      outcomes.push_back(d);
    }
    bool replayed = false;
    CAK_ASSIGN_OR_RETURN(
        int64_t stored,
        service_->ReportOutcomes(call, {req->request_id(), common::RequestFingerprint(*req, call.principal)},
                                 batch.first, batch.second, std::move(outcomes), &replayed));
    resp->set_stored(stored);
    resp->set_replayed(replayed);
    return absl::OkStatus();
  });
}

}  // namespace cak::dispatch::api
