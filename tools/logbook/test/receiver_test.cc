// The development logbook and the services' logboek.v1 client over a real gRPC channel: what
// the client sends arrives as one JSON line per operation, a repeat is accepted and not
// written twice (also across a restart on the same directory), malformed ids are refused.
#include "tools/logbook/receiver.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/base/random.h"
#include "common/base/trace_context.h"
#include "common/grpc/logbook_client.h"

namespace cak::tools::logbook {
namespace {

class ReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        (std::filesystem::temp_directory_path() / absl::StrCat("cak-logbook-", common::HexEncode(common::NewSpanId())))
            .string();
    std::filesystem::create_directories(dir_);
    Start();
  }
  void TearDown() override {
    Stop();
    std::filesystem::remove_all(dir_);
  }
  void Start() {
    receiver_ = *Receiver::Open(dir_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(receiver_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port_, 0);
    common::PeerOptions peer;
    peer.address = absl::StrCat("127.0.0.1:", port_);
    sink_ = *common::GrpcLogbookSink::Create(peer, "intake-svc");
  }
  void Stop() {
    if (server_) server_->Shutdown();
    server_.reset();
  }
  std::vector<nlohmann::json> Lines(const std::string& file) {
    std::vector<nlohmann::json> out;
    std::ifstream in(absl::StrCat(dir_, "/", file));
    std::string line;
    while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  static common::LogbookOperation Op(const std::string& name) {
    common::LogbookOperation op;
    op.trace_id = std::string(16, '\x01');
    op.operation_id = common::NewSpanId();
    op.name = name;
    op.start_time = absl::FromUnixMicros(1'800'000'000'123'456);
    op.end_time = op.start_time + absl::Milliseconds(5);
    op.status = common::ProcessingStatus::kError;
    op.foreign_trace_id = op.trace_id;
    op.foreign_operation_id = std::string(8, '\x02');
    op.foreign_entity = "kcc-portal";
    op.attributes = {{common::kAttrDataSubjectId, std::string(64, 'a')}, {common::kAttrDataSubjectIdType, "BSN"}};
    return op;
  }

  std::string dir_;
  int port_ = 0;
  std::unique_ptr<Receiver> receiver_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<common::GrpcLogbookSink> sink_;
};

TEST_F(ReceiverTest, AnOperationArrivesOnceAsAJsonLine) {
  const common::LogbookOperation a = Op("intake.SubmitSignal"), b = Op("intake.GetSignal");
  ASSERT_TRUE(sink_->Export({a, b}).ok());
  ASSERT_TRUE(sink_->Export({b}).ok());  // a repeat: accepted, not written
  const auto lines = Lines("intake-svc.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  const auto& j = lines[0];
  EXPECT_EQ(j["resource"]["name"], "intake-svc");
  EXPECT_EQ(j["resource"]["version"], std::string(common::SuiteVersion()));
  EXPECT_EQ(j["trace_id"], "01010101010101010101010101010101");
  EXPECT_EQ(j["operation_id"], common::HexEncode(a.operation_id));
  EXPECT_EQ(j["parent_operation_id"], "");
  EXPECT_EQ(j["name"], "intake.SubmitSignal");
  EXPECT_EQ(j["start_time"], "2027-01-15T08:00:00.123456Z");
  EXPECT_EQ(j["status"], "ERROR");
  EXPECT_EQ(j["foreign_operation"]["entity"], "kcc-portal");
  EXPECT_EQ(j["foreign_operation"]["operation_id"], "0202020202020202");
  EXPECT_EQ(j["attributes"]["dpl.core.data_subject_id_type"], "BSN");
  EXPECT_EQ(receiver_->counts()["intake-svc"].stored, 2);
  EXPECT_EQ(receiver_->counts()["intake-svc"].duplicates, 1);
}

// Whatever a name or an attribute holds (quotes, control characters, bytes that are not UTF-8),
// the line is valid JSON: the suite's one JSON writer, not hand escaping.
TEST(OperationJsonTest, AnyTextMakesAValidLine) {
  logboek::v1::Resource resource;
  resource.set_name("intake-svc");
  logboek::v1::ProcessingOperation op;
  op.set_name("a \"quoted\"\tname\n");
  auto* a = op.add_attributes();
  a->set_key("note");
  a->set_value("caf\xc3\xa9 \xff\xfe end");
  auto* again = op.add_attributes();
  again->set_key("note");
  again->set_value("last");
  const std::string line = OperationJson(resource, op);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto j = nlohmann::json::parse(line);  // throws on invalid JSON or UTF-8
  EXPECT_EQ(j["name"], "a \"quoted\"\tname\n");
  EXPECT_EQ(j["attributes"]["note"], "last");  // a key given twice keeps its last value
  op.mutable_attributes()->RemoveLast();
  EXPECT_EQ(nlohmann::json::parse(OperationJson(resource, op))["attributes"]["note"],
            "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end");
}

TEST_F(ReceiverTest, ARestartedReceiverStillKnowsWhatItHolds) {
  const common::LogbookOperation a = Op("x");
  ASSERT_TRUE(sink_->Export({a}).ok());
  Stop();
  EXPECT_EQ(sink_->Export({Op("y")}).code(), absl::StatusCode::kUnavailable);  // down: the exporter retries
  Start();
  ASSERT_TRUE(sink_->Export({a, Op("z")}).ok());
  EXPECT_EQ(Lines("intake-svc.jsonl").size(), 2u);
}

TEST_F(ReceiverTest, MalformedIdsAreRefusedAndNothingIsWritten) {
  common::LogbookOperation bad = Op("x");
  bad.operation_id = "short";
  EXPECT_EQ(sink_->Export({Op("ok"), bad}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Lines("intake-svc.jsonl").empty());
}

}  // namespace
}  // namespace cak::tools::logbook
