// Test server assembly (see dispatch_test_server.h).
#include "dispatch-svc/test/dispatch_test_server.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/random.h"
#include "common/grpc/dev_tokens.h"
#include "dispatch-svc/src/storage/schema.h"

namespace cak::dispatch::testing {

common::testing::TestCaller Admin() { return {"ops-1", {common::roles::kAdministrator}, false}; }
common::testing::TestCaller CampaignService() {
  return {"campaign-svc.voorlichting.svc", {common::roles::kCampaignService}, true};
}
common::testing::TestCaller PrivacyOfficer() { return {"emp-9001", {common::roles::kPrivacyOfficer}}; }
common::testing::TestCaller AnalysisService() {
  return {"analysis-svc.voorlichting.svc", {common::roles::kAnalysisService}, true};
}
common::testing::TestCaller ExecutorCaller(const std::string& identity) {
  return {identity, {common::roles::kExecutor}, true};
}

pb::CreateExecutorRequest ExecutorRequest(const std::string& id, pb::Channel channel, const std::string& identity,
                                          int64_t per_day, pb::DeliveryMethod method) {
  pb::CreateExecutorRequest req;
  req.set_request_id(absl::StrCat("exec-", id));
  req.set_executor_id(id);
  pb::Executor* e = req.mutable_executor();
  e->set_display_name(absl::StrCat("Uitvoerder ", id));
  e->set_channel(channel);
  e->set_identity(identity);
  e->set_location_country("NL");
  e->set_delivery_method(method);
  pb::CapacityCalendar* c = e->mutable_calendar();
  c->set_items_per_day(per_day);
  c->set_lead_time_days(1);
  for (auto d :
       {pb::WEEKDAY_MONDAY, pb::WEEKDAY_TUESDAY, pb::WEEKDAY_WEDNESDAY, pb::WEEKDAY_THURSDAY, pb::WEEKDAY_FRIDAY}) {
    c->add_working_days(d);
  }
  return req;
}

pb::CreateDispatchOrderRequest OrderRequest(const std::string& request_id, const std::string& list_id,
                                            pb::Channel channel) {
  pb::CreateDispatchOrderRequest req;
  req.set_request_id(request_id);
  pb::DispatchOrder* o = req.mutable_order();
  o->set_campaign("campaigns/5b3f7c1e-1111-4c1a-9a55-2f4a1c0de001");
  o->set_target_group("Wlz-klanten met te hoge eigen bijdrage");
  o->set_recipient_list(absl::StrCat("recipientLists/", list_id));
  o->set_channel(channel);
  o->mutable_message()->set_reference("campaigns/5b3f7c1e/messages/1/versions/2");
  switch (channel) {
    case pb::CHANNEL_LETTER:
      o->mutable_message()->set_text(
          "{aanhef},\n\nOp {datum} ontvangt u, namens {naam}, een nieuwe factuur van {bedrag}.\nKenmerk: {kenmerk}");
      break;
    case pb::CHANNEL_CALL:
      o->mutable_message()->set_text(
          "Vraag naar {naam_geadresseerde}. Leg uit dat de factuur van {naam} wordt hersteld.");
      break;
    default:
      o->mutable_message()->set_text(
          "Klant {klantnummer} is op {datum} geïnformeerd over de herziene factuur ({kenmerk}).");
      o->set_contact_moment_code("VK-EB-2026");
  }
  o->set_guidelines("Verzenden in de standaard envelop; geen bijlagen.");
  (*o->mutable_values())["bedrag"] = "€ 12,50";
  (*o->mutable_values())["kenmerk"] = "VK-2026-017";
  o->mutable_window_start()->set_year(2026);
  o->mutable_window_start()->set_month(11);
  o->mutable_window_start()->set_day(3);
  o->mutable_window_end()->set_year(2026);
  o->mutable_window_end()->set_month(11);
  o->mutable_window_end()->set_day(30);
  return req;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::unique_ptr<DispatchTestServer>> DispatchTestServer::Start(TestServerOptions options) {
  std::unique_ptr<DispatchTestServer> t(new DispatchTestServer());
  if (options.shared_schema) {
    t->schema_ = options.shared_schema;
  } else {
    auto schema = common::testing::TestSchema::Create("dispatch", storage::DispatchMigrationSets(), kAppRole);
    if (!schema.ok()) return schema.status();
    t->own_schema_ = *std::move(schema);
    t->schema_ = t->own_schema_.get();
  }
  auto pool = t->schema_->MakePool(options.pool_size, absl::Seconds(5), kAppRole);
  if (!pool.ok()) return pool.status();
  t->pool_ = *std::move(pool);

  if (!options.shared_delivery_dir.empty()) {
    t->delivery_dir_ = options.shared_delivery_dir;
  } else {
    t->delivery_dir_ = (std::filesystem::temp_directory_path() / ("cak-deliveries-" + common::NewUuid())).string();
    std::filesystem::create_directories(t->delivery_dir_);
    t->owns_dir_ = true;
  }

  common::AuthOptions auth;
  auth.mode = "development";
  auto authenticator = common::Authenticator::Create(auth, &t->auth_clock_);
  if (!authenticator.ok()) return authenticator.status();
  t->auth_ = *std::move(authenticator);

  // dispatch-svc's own credential towards analysis-svc: a token file, as in development.
  t->token_file_ = (std::filesystem::temp_directory_path() / ("cak-token-" + common::NewUuid())).string();
  common::TokenClaims claims;
  claims.subject = "dispatch-svc.voorlichting.svc";
  claims.roles = {common::roles::kDispatchService};
  claims.application = true;
  auto token = common::MintToken(claims);
  if (!token.ok()) return token.status();
  std::ofstream(t->token_file_) << *token;
  common::PeerOptions peer;
  peer.address = absl::StrCat("127.0.0.1:", options.analysis_port);
  peer.token_file = t->token_file_;
  auto channel = common::PeerChannel::Create(peer);
  if (!channel.ok()) return channel.status();
  t->analysis_ = *std::move(channel);
  t->recipients_ = std::make_unique<clients::AnalysisRecipientSource>(t->analysis_.get());

  DispatchServerOptions o;
  o.pool = t->pool_.get();
  o.schema = t->schema_->name();
  o.clock = &t->clock_;
  o.auth = t->auth_.get();
  o.recipients = t->recipients_.get();
  o.hasher = *common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!");
  o.delivery_dir = t->delivery_dir_;
  o.delivery_store = options.delivery_store;
  o.metrics = &t->metrics_;
  o.settings.zone = absl::UTCTimeZone();
  o.settings.max_batch_items = options.max_batch_items;
  o.settings.replica = options.replica;
  o.generator_threads = options.generator_threads;
  o.generator_poll_interval = absl::Milliseconds(100);
  o.server.host = "127.0.0.1";
  o.server.grpc_port = 0;
  o.server.health_port = 0;
  o.server.shutdown_grace = absl::Seconds(5);
  t->server_ = std::make_unique<DispatchServer>(std::move(o));
  if (absl::Status st = t->server_->Start(); !st.ok()) return st;
  auto local = common::testing::LocalChannel(t->server_->grpc_port());
  t->stub_ = pb::DispatchService::NewStub(local);
  t->executor_stub_ = pb::ExecutorService::NewStub(local);
  t->log_stub_ = cak::voorlichting::processinglog::v1::ProcessingLogService::NewStub(local);
  return t;
}

DispatchTestServer::~DispatchTestServer() {
  if (server_) server_->Shutdown();
  server_.reset();
  std::error_code ec;
  if (owns_dir_) std::filesystem::remove_all(delivery_dir_, ec);
  std::filesystem::remove(token_file_, ec);
}

int64_t DispatchTestServer::Count(const std::string& table, const std::string& where) {
  auto n = schema_->Query(
      absl::StrCat("SELECT count(*) FROM ", schema_->name(), ".", table, where.empty() ? "" : " WHERE ", where));
  int64_t out = -1;
  if (n.ok()) (void)absl::SimpleAtoi(*n, &out);
  return out;
}

std::string DispatchTestServer::Query(const std::string& sql) {
  auto r = schema_->Query(sql);
  return r.ok() ? *r : std::string("ERROR: ") + std::string(r.status().message());
}

}  // namespace cak::dispatch::testing
