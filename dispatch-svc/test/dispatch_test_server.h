// A dispatch-svc for storage, API and benchmark runs: a fresh schema whose runtime grants go to
// the role cak_test_app (every session runs as it, so the tests exercise the production
// privileges), a delivery directory of its own, the real server on port 0 with development
// authentication and a fake clock (Monday 2 November 2026), reading recipient lists from a
// fake analysis-svc (or any address) over gRPC as the dispatch_service identity.
#pragma once

#include <memory>
#include <string>

#include "cak/voorlichting/dispatch/v1/dispatch_service.grpc.pb.h"
#include "cak/voorlichting/processinglog/v1/processing_log_service.grpc.pb.h"
#include "common/grpc/peer_channel.h"
#include "common/testing/fake_clock.h"
#include "common/testing/grpc_test_support.h"
#include "common/testing/pg_test_env.h"
#include "dispatch-svc/src/clients/analysis_recipient_source.h"
#include "dispatch-svc/src/server/dispatch_server.h"

namespace cak::dispatch::testing {

namespace pb = cak::voorlichting::dispatch::v1;

inline constexpr char kAppRole[] = "cak_test_app";

struct TestServerOptions {
  int analysis_port = 0;      // where the recipient lists come from
  int generator_threads = 1;  // 0: tests drive generation through service()
  int64_t max_batch_items = 1000;
  int pool_size = 8;
  // Share an existing schema (a second replica) instead of creating one.
  const common::testing::TestSchema* shared_schema = nullptr;
  std::string shared_delivery_dir;
  // Where batches are written instead of files in the delivery directory (not owned).
  domain::DeliveryStore* delivery_store = nullptr;
  std::string replica = "replica-a";
};

class DispatchTestServer {
 public:
  static absl::StatusOr<std::unique_ptr<DispatchTestServer>> Start(TestServerOptions options);
  ~DispatchTestServer();

  pb::DispatchService::Stub& stub() { return *stub_; }
  pb::ExecutorService::Stub& executor_stub() { return *executor_stub_; }
  cak::voorlichting::processinglog::v1::ProcessingLogService::Stub& log_stub() { return *log_stub_; }
  domain::DispatchService& service() { return server_->service(); }
  DispatchServer& server() { return *server_; }
  common::testing::FakeClock& clock() { return clock_; }
  const common::ServerMetrics& metrics() const { return metrics_; }
  const common::testing::TestSchema& schema() const { return *schema_; }
  const std::string& delivery_dir() const { return delivery_dir_; }

  // Rows of one of this server's tables (optionally WHERE ...); -1 on error.
  int64_t Count(const std::string& table, const std::string& where = "");
  std::string Query(const std::string& sql);

 private:
  DispatchTestServer() = default;
  common::testing::FakeClock clock_;
  common::SystemClock auth_clock_;
  common::ServerMetrics metrics_{"cak.voorlichting.dispatch.v1.DispatchService"};
  std::string delivery_dir_, token_file_;
  bool owns_dir_ = false;
  std::unique_ptr<common::testing::TestSchema> own_schema_;
  const common::testing::TestSchema* schema_ = nullptr;
  std::unique_ptr<common::db::PgPool> pool_;
  std::unique_ptr<common::Authenticator> auth_;
  std::unique_ptr<common::PeerChannel> analysis_;
  std::unique_ptr<clients::AnalysisRecipientSource> recipients_;
  std::unique_ptr<DispatchServer> server_;
  std::unique_ptr<pb::DispatchService::Stub> stub_;
  std::unique_ptr<pb::ExecutorService::Stub> executor_stub_;
  std::unique_ptr<cak::voorlichting::processinglog::v1::ProcessingLogService::Stub> log_stub_;
};

// Callers as the tests use them.
common::testing::TestCaller Admin();
common::testing::TestCaller CampaignService();
common::testing::TestCaller AnalysisService();
common::testing::TestCaller PrivacyOfficer();
common::testing::TestCaller ExecutorCaller(const std::string& identity);

// A registration request for an executor of `channel` with `identity`: NL, Monday to Friday,
// lead time 1, `per_day` items a day.
pb::CreateExecutorRequest ExecutorRequest(const std::string& id, pb::Channel channel, const std::string& identity,
                                          int64_t per_day, pb::DeliveryMethod method = pb::DELIVERY_METHOD_FILES);

// An order for `list_id` on `channel`, window 3-30 November 2026, with a fitting template.
pb::CreateDispatchOrderRequest OrderRequest(const std::string& request_id, const std::string& list_id,
                                            pb::Channel channel);

// Reads a whole file ("" when missing).
std::string ReadFile(const std::string& path);

}  // namespace cak::dispatch::testing
