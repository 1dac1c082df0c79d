// Processing-log read API (see processing_log_service.h).
#include "common/grpc/processing_log_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/bsn.h"
#include "common/base/errors.h"
#include "common/base/page_token.h"
#include "common/base/random.h"
#include "common/grpc/convert.h"

namespace cak::common {

namespace pb = cak::voorlichting::processinglog::v1;

namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

void ToProto(const db::ProcessingLogEntry& e, pb::ProcessingLogEntry* out) {
  out->set_trace_id(e.trace_id);
  out->set_span_id(e.span_id);
  out->set_parent_span_id(e.parent_span_id);
  out->set_name(e.name);
  out->set_status(e.status == ProcessingStatus::kOk      ? pb::PROCESSING_STATUS_OK
                  : e.status == ProcessingStatus::kError ? pb::PROCESSING_STATUS_ERROR
                                                         : pb::PROCESSING_STATUS_UNSPECIFIED);
  *out->mutable_start_time() = ToProtoTime(e.start_time);
  *out->mutable_end_time() = ToProtoTime(e.end_time);
  out->set_resource(e.resource);
  out->set_processing_activity_id(e.processing_activity_id);
  out->set_data_subject_id(e.data_subject_id);
  out->set_data_subject_id_type(e.data_subject_id_type);
  out->set_foreign_operation_span_id(e.foreign_operation_span_id);
  out->set_foreign_operation_trace_id(e.foreign_operation_trace_id);
  out->set_subject_row_count(e.subject_rows);
  out->set_foreign_operation_processor(e.foreign_operation_processor);
  out->set_actor(e.actor);
  for (const auto& [k, v] : e.attributes) (*out->mutable_attributes())[k] = v;
  (*out->mutable_attributes())["dpl.core.legal_basis"] = e.legal_basis;
}

}  // namespace

ProcessingLogServiceImpl::ProcessingLogServiceImpl(const RpcEnvironment* env, db::PgPool* pool,
                                                   const db::ProcessingLogStore* store)
    : env_(env), pool_(pool), store_(store) {}

grpc::Status ProcessingLogServiceImpl::ListProcessingLogEntries(grpc::ServerContext* context,
                                                                const pb::ListProcessingLogEntriesRequest* request,
                                                                pb::ListProcessingLogEntriesResponse* response) {
  return env_->Run(context, kListProcessingLogEntries, [&](const CallContext& call) -> absl::Status {
    std::optional<Bsn> subject;
    std::string selector;
    switch (request->selector_case()) {
      case pb::ListProcessingLogEntriesRequest::kDataSubjectBsn: {
        CAK_ASSIGN_OR_RETURN(Bsn bsn, Bsn::Parse(request->data_subject_bsn(), "data_subject_bsn"));
        selector = "ListProcessingLogEntries:subject:" + store_->hasher().Hash(bsn);
        subject = std::move(bsn);
        break;
      }
      case pb::ListProcessingLogEntriesRequest::kTraceId: {
        std::string raw;
        if (request->trace_id().size() != 32 || !HexDecode(request->trace_id(), &raw)) {
          return InvalidField(reason::kInvalidFieldValue, "trace_id", "trace_id must be 32 hex characters");
        }
        selector = "ListProcessingLogEntries:trace:" + request->trace_id();
        break;
      }
      default:
        return InvalidField(reason::kRequiredFieldMissing, "selector", "set either data_subject_bsn or trace_id");
    }
    CAK_ASSIGN_OR_RETURN(auto page,
                         Page::Open(env_->page_tokens(), selector, request->page_size(), request->page_token(),
                                    {kDefaultPageSize, kMaxPageSize}, {PagePart::kId}));
    const int64_t after_id = page.first() ? 0 : page.Id(0);
    return db::InTransaction(
        *pool_,
        [&](db::Tx& tx) -> absl::Status {
          auto entries = subject ? store_->ListBySubject(tx.sql(), *subject, after_id, page.read_limit())
                                 : store_->ListByTrace(tx.sql(), request->trace_id(), after_id, page.read_limit());
          response->set_next_page_token(
              page.Close(entries, [](const db::ProcessingLogEntry& e) { return std::vector{absl::StrCat(e.id)}; }));
          for (const auto& e : entries) ToProto(e, response->add_entries());
          if (subject) {
            ProcessingRecord record;
            record.name = "processinglog.ListProcessingLogEntries";
            record.activity = ProcessingActivity::kInzage;
            record.end_time = env_->clock().Now();
            record.data_subjects.push_back(*subject);
            store_->Append(tx, call, record);
          }
          return absl::OkStatus();
        },
        call.deadline);
  });
}

}  // namespace cak::common
