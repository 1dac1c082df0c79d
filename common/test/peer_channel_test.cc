// A PeerChannel retries what is safe to retry and nothing else: over a real channel to an
// in-process server (port 0) that answers UNAVAILABLE before it answers.
#include "common/grpc/peer_channel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>

#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"

namespace cak::common {
namespace {

namespace pb = cak::voorlichting::intake::v1;
constexpr char kIntake[] = "cak.voorlichting.intake.v1.IntakeService";

// Fails the first `failures` calls of each method with UNAVAILABLE, then answers.
class FlakyIntake final : public pb::IntakeService::Service {
 public:
  explicit FlakyIntake(int failures) : failures_(failures) {}
  grpc::Status GetSignal(grpc::ServerContext*, const pb::GetSignalRequest* req, pb::Signal* out) override {
    if (++gets_ <= failures_) return {grpc::StatusCode::UNAVAILABLE, "the database is unavailable"};
    out->set_name(req->name());
    return grpc::Status::OK;
  }
  grpc::Status SubmitSignal(grpc::ServerContext*, const pb::SubmitSignalRequest*, pb::SubmitSignalResponse*) override {
    if (++submits_ <= failures_) return {grpc::StatusCode::UNAVAILABLE, "the database is unavailable"};
    return grpc::Status::OK;
  }
  grpc::Status DeclineSignal(grpc::ServerContext*, const pb::DeclineSignalRequest*, pb::Signal*) override {
    if (++declines_ <= failures_) return {grpc::StatusCode::UNAVAILABLE, "the database is unavailable"};
    return grpc::Status::OK;
  }
  grpc::Status CloseSignal(grpc::ServerContext*, const pb::CloseSignalRequest*, pb::Signal*) override {
    ++closes_;
    return {grpc::StatusCode::INVALID_ARGUMENT, "not retried either"};
  }
  std::atomic<int> gets_{0}, submits_{0}, declines_{0}, closes_{0};

 private:
  const int failures_;
};

class PeerChannelRetryTest : public ::testing::Test {
 protected:
  void Start(int failures) {
    service_ = std::make_unique<FlakyIntake>(failures);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_GT(port, 0);
    PeerOptions options;
    options.address = "127.0.0.1:" + std::to_string(port);
    options.retry_services = {kIntake};
    auto peer = PeerChannel::Create(options);
    ASSERT_TRUE(peer.ok()) << peer.status();
    peer_ = *std::move(peer);
    stub_ = pb::IntakeService::NewStub(peer_->channel());
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }
  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  std::unique_ptr<FlakyIntake> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<PeerChannel> peer_;
  std::unique_ptr<pb::IntakeService::Stub> stub_;
};

TEST_F(PeerChannelRetryTest, ReadsAndRequestsWithARequestIdAreRetriedOnUnavailable) {
  Start(/*failures=*/2);
  pb::GetSignalRequest get;
  get.set_name("signals/1");
  pb::Signal signal;
  auto c1 = Context();
  ASSERT_TRUE(stub_->GetSignal(c1.get(), get, &signal).ok());
  EXPECT_EQ(signal.name(), "signals/1");
  EXPECT_EQ(service_->gets_, 3);  // two UNAVAILABLE, then the answer: the caller saw one call
  pb::SubmitSignalResponse submitted;
  auto c2 = Context();
  EXPECT_TRUE(stub_->SubmitSignal(c2.get(), pb::SubmitSignalRequest(), &submitted).ok());
  EXPECT_EQ(service_->submits_, 3);
}

TEST_F(PeerChannelRetryTest, AStateChangeWithoutARequestIdIsNotRetried) {
  Start(/*failures=*/1);
  pb::Signal signal;
  auto c1 = Context();
  EXPECT_EQ(stub_->DeclineSignal(c1.get(), pb::DeclineSignalRequest(), &signal).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_->declines_, 1);
  auto c2 = Context();
  EXPECT_EQ(stub_->CloseSignal(c2.get(), pb::CloseSignalRequest(), &signal).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(service_->closes_, 1);
}

TEST_F(PeerChannelRetryTest, GivesUpAfterThreeAttempts) {
  Start(/*failures=*/5);
  pb::Signal signal;
  auto c1 = Context();
  EXPECT_EQ(stub_->GetSignal(c1.get(), pb::GetSignalRequest(), &signal).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_->gets_, 3);
}

TEST(RetryServiceConfigTest, NamesOnlyTheIdempotentMethodsOfKnownServices) {
  const auto config = nlohmann::json::parse(RetryServiceConfig({kIntake, "no.such.v1.Service"}));
  std::set<std::string> methods;
  for (const auto& n : config["methodConfig"][0]["name"]) {
    EXPECT_EQ(n["service"], kIntake);
    methods.insert(n["method"].get<std::string>());
  }
  EXPECT_TRUE(methods.count("GetSignal"));
  EXPECT_TRUE(methods.count("ListSignals"));
  EXPECT_TRUE(methods.count("WatchSignal"));
  EXPECT_TRUE(methods.count("SubmitSignal"));  // request_id: the server replays
  EXPECT_FALSE(methods.count("DeclineSignal"));
  EXPECT_FALSE(methods.count("CloseSignal"));
  EXPECT_EQ(config["methodConfig"][0]["retryPolicy"]["retryableStatusCodes"], nlohmann::json({"UNAVAILABLE"}));
  EXPECT_EQ(RetryServiceConfig({}), "{}");
}

}  // namespace
}  // namespace cak::common
