// analysis-svc as the recipient source (see analysis_recipient_source.h).
#include "dispatch-svc/src/clients/analysis_recipient_source.h"

#include "absl/strings/str_cat.h"
#include "common/base/errors.h"

namespace cak::dispatch::clients {

namespace pb = cak::voorlichting::analysis::v1;

namespace {

pb::FieldSet FieldSetOf(domain::Channel c) {
  switch (c) {
    case domain::Channel::kLetter:
      return pb::FIELD_SET_POSTAL;
    case domain::Channel::kCall:
      return pb::FIELD_SET_PHONE;
    case domain::Channel::kContactMoment:
      return pb::FIELD_SET_CONTACT_MOMENT;
  }
  return pb::FIELD_SET_UNSPECIFIED;
}

common::SalutationKind SalutationOf(pb::Salutation s) {
  switch (s) {
    case pb::SALUTATION_MR:
      return common::SalutationKind::kMr;
    case pb::SALUTATION_MS:
      return common::SalutationKind::kMs;
    case pb::SALUTATION_NEUTRAL:
      return common::SalutationKind::kNeutral;
    default:
      return common::SalutationKind::kUnknown;
  }
}

domain::Routing RoutingOf(pb::Routing r) {
  switch (r) {
    case pb::ROUTING_REPRESENTATIVE:
      return domain::Routing::kRepresentative;
    case pb::ROUTING_CONTACT_PERSON:
      return domain::Routing::kContactPerson;
    default:
      return domain::Routing::kCustomer;
  }
}

}  // namespace

AnalysisRecipientSource::AnalysisRecipientSource(const common::PeerChannel* peer, absl::Duration call_timeout)
    : peer_(peer), stub_(pb::AnalysisService::NewStub(peer->channel())), call_timeout_(call_timeout) {}

absl::StatusOr<domain::RecipientListInfo> AnalysisRecipientSource::GetList(const common::CallContext& call,
                                                                           const std::string& list_id) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, call_timeout_));
  pb::GetRecipientListRequest req;
  req.set_name(absl::StrCat("recipientLists/", list_id));
  pb::RecipientList list;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->GetRecipientList(ctx.get(), req, &list), "analysis-svc"));
  return domain::RecipientListInfo{list_id, list.member_count(), list.snapshot_version()};
}

absl::Status AnalysisRecipientSource::Stream(const common::CallContext& call, const std::string& list_id,
                                             domain::Channel channel, bool with_customer_number, int64_t after_position,
                                             int64_t until_position,
                                             const std::function<absl::Status(std::vector<domain::Recipient>&)>& sink) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, absl::InfiniteDuration()));
  pb::StreamRecipientsRequest req;
  req.set_name(absl::StrCat("recipientLists/", list_id));
  req.set_field_set(FieldSetOf(channel));
  req.set_after_position(after_position);
  req.set_until_position(until_position);
  req.set_with_customer_number(with_customer_number);
  auto reader = stub_->StreamRecipients(ctx.get(), req);
  pb::StreamRecipientsResponse response;
  std::vector<domain::Recipient> chunk;
  absl::Status consumer;
  while (reader->Read(&response)) {
    chunk.clear();
    chunk.reserve(response.recipients_size());
    for (pb::Recipient& r : *response.mutable_recipients()) {
      domain::Recipient& d = chunk.emplace_back();
      d.position = r.position();
      d.withheld = !r.withheld_reason().empty();
      d.bsn = std::move(*r.mutable_bsn());
      d.routing = RoutingOf(r.routing());
      d.customer_number = std::move(*r.mutable_customer_number());
      d.salutation = SalutationOf(r.salutation());
      d.customer_name = std::move(*r.mutable_customer_name());
      d.addressee_name = std::move(*r.mutable_addressee_name());
      pb::PostalAddress* a = r.mutable_address();
      d.street = std::move(*a->mutable_street());
      d.house_number = a->house_number();
      d.house_number_suffix = std::move(*a->mutable_house_number_suffix());
      d.postcode = std::move(*a->mutable_postcode());
      d.city = std::move(*a->mutable_city());
      d.phone = std::move(*r.mutable_phone());
    }
    consumer = sink(chunk);
    if (!consumer.ok()) {
      ctx->TryCancel();
      while (reader->Read(&response)) {
      }
      (void)reader->Finish();
      return consumer;
    }
  }
  const grpc::Status st = reader->Finish();
  if (!st.ok()) {
    // A batch cannot be half delivered: any failure of the stream fails the batch, which is
    // generated again later.
    absl::Status peer = common::FromPeerStatus(st, "analysis-svc");
    if (peer.code() == absl::StatusCode::kUnavailable || peer.code() == absl::StatusCode::kDeadlineExceeded ||
        peer.code() == absl::StatusCode::kResourceExhausted) {
      return common::MakeError(peer.code(), "RECIPIENT_SOURCE_UNAVAILABLE", peer.message());
    }
    return peer;
  }
  return absl::OkStatus();
}

}  // namespace cak::dispatch::clients
