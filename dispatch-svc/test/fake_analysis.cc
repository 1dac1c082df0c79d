// Fake analysis-svc (see fake_analysis.h).
#include "dispatch-svc/test/fake_analysis.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/random.h"
#include "common/base/synthetic.h"

namespace cak::dispatch::testing {

FakeAnalysis::FakeAnalysis() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
}

FakeAnalysis::~FakeAnalysis() { server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2))); }

std::string FakeAnalysis::AddList(int64_t members, uint64_t seed) {
  List list;
  list.members = members;
  list.seed = seed;
  for (const common::Bsn& b : common::SyntheticBsns(seed, static_cast<int>(members))) list.bsns.push_back(b.digits());
  const std::string id = common::NewUuid();
  std::lock_guard<std::mutex> lock(mu_);
  lists_[id] = std::move(list);
  return id;
}

std::string FakeAnalysis::BsnOf(const std::string& list_id, int64_t position) const {
  std::lock_guard<std::mutex> lock(mu_);
  return lists_.at(list_id).bsns.at(position - 1);
}

int FakeAnalysis::SliceStreams(const std::string& list_id, int64_t after, int64_t until) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = slices_.find({list_id, after, until});
  return it == slices_.end() ? 0 : it->second;
}

int64_t FakeAnalysis::members_streamed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return streamed_;
}

grpc::Status FakeAnalysis::GetRecipientList(grpc::ServerContext*, const apb::GetRecipientListRequest* req,
                                            apb::RecipientList* resp) {
  const std::string id = req->name().substr(req->name().find('/') + 1);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lists_.find(id);
  if (it == lists_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "recipient list not found");
  resp->set_name(req->name());
  resp->set_member_count(it->second.members);
  resp->set_snapshot_version(3);
  return grpc::Status::OK;
}

void FakeAnalysis::Withhold(const std::string& list_id, int64_t position) {
  std::lock_guard<std::mutex> lock(mu_);
  lists_.at(list_id).withheld.insert(position);
}

void FakeAnalysis::Fill(const List& list, int64_t p, apb::FieldSet set, apb::Recipient* r) const {
  r->set_position(p);
  if (list.withheld.count(p) > 0) {
    r->set_withheld_reason("OBJECTION");
    return;
  }
  r->set_bsn(list.bsns[p - 1]);
  const apb::Routing routing = p % 10 == 0   ? apb::ROUTING_REPRESENTATIVE
                               : p % 25 == 0 ? apb::ROUTING_CONTACT_PERSON
                                             : apb::ROUTING_CUSTOMER;
  r->set_routing(routing);
  r->set_customer_number(absl::StrFormat("K%08d", p));
  if (set == apb::FIELD_SET_CONTACT_MOMENT) return;
  r->set_salutation(p % 2 == 0 ? apb::SALUTATION_MS : apb::SALUTATION_MR);
  const std::string customer = absl::StrCat("J. Jansen-", p);
  r->set_customer_name(customer);
  r->set_addressee_name(routing == apb::ROUTING_CUSTOMER ? customer : absl::StrCat("mr. P. de Vries, \"Bewind\" ", p));
  if (set == apb::FIELD_SET_POSTAL) {
    apb::PostalAddress* a = r->mutable_address();
    a->set_street(routing == apb::ROUTING_CUSTOMER ? "Dorpsstraat" : "Kantoorlaan");
    a->set_house_number(static_cast<int32_t>(1 + p % 300));
    if (p % 7 == 0) a->set_house_number_suffix("bis");
    a->set_postcode("3511 AB");
    a->set_city("Utrecht");
  }
  if (set == apb::FIELD_SET_PHONE) r->set_phone(absl::StrFormat("06%08d", p));
}

grpc::Status FakeAnalysis::StreamRecipients(grpc::ServerContext* ctx, const apb::StreamRecipientsRequest* req,
                                            grpc::ServerWriter<apb::StreamRecipientsResponse>* writer) {
  const std::string id = req->name().substr(req->name().find('/') + 1);
  const List* list = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = lists_.find(id);
    if (it == lists_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "recipient list not found");
    list = &it->second;  // lists are never removed
  }
  const int64_t until = req->until_position() > 0 ? std::min(req->until_position(), list->members) : list->members;
  apb::StreamRecipientsResponse response;
  int64_t sent = 0;
  const int64_t fail_after = fail_after_;
  for (int64_t p = req->after_position() + 1; p <= until; ++p) {
    Fill(*list, p, req->field_set(), response.add_recipients());
    if (fail_after >= 0 && sent >= fail_after) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "analysis-svc went away mid-stream");
    }
    if (response.recipients_size() == 1000 || p == until ||
        (fail_after >= 0 && sent + response.recipients_size() == fail_after)) {
      if (delay_ > absl::ZeroDuration()) std::this_thread::sleep_for(absl::ToChronoNanoseconds(delay_));
      if (ctx->IsCancelled() || !writer->Write(response)) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
      sent += response.recipients_size();
      sent_ += response.recipients_size();
      response.Clear();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++slices_[{id, req->after_position(), req->until_position()}];
  streamed_ += sent;
  return grpc::Status::OK;
}

}  // namespace cak::dispatch::testing
