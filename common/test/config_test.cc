// Configuration parsing: flags over environment over defaults; every problem reported.
#include "common/base/config.h"

#include <gtest/gtest.h>

#include <map>

#include "common/grpc/service_config.h"

namespace cak::common {
namespace {

ConfigParser::EnvLookup Env(std::map<std::string, std::string> values) {
  return [values](absl::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

struct Fixture {
  std::string name;
  int64_t size = 0;
  absl::Duration timeout;
  bool flag = false;
  std::string mode;
  int port = 0;
  ConfigParser parser{"svc", "test"};
  Fixture() {
    parser.String("name", &name, "default", "a name");
    parser.Int("pool-size", &size, 8, 1, 64, "size");
    parser.Duration("timeout", &timeout, absl::Seconds(2), absl::Milliseconds(1), absl::Hours(24 * 1000), "t");
    parser.Bool("dry-run", &flag, false, "flag");
    parser.Choice("mode", &mode, "jwt", {"jwt", "development"}, "mode");
    parser.Port("port", &port, 50051, "port");
  }
};

TEST(ConfigTest, DefaultsApply) {
  Fixture f;
  ASSERT_TRUE(f.parser.Parse({}, Env({})).ok());
  EXPECT_EQ(f.name, "default");
  EXPECT_EQ(f.size, 8);
  EXPECT_EQ(f.timeout, absl::Seconds(2));
  EXPECT_FALSE(f.flag);
  EXPECT_EQ(f.mode, "jwt");
}

TEST(ConfigTest, FlagBeatsEnvironmentBeatsDefault) {
  Fixture f;
  ASSERT_TRUE(f.parser
                  .Parse({"--pool-size=12", "--dry-run", "--timeout", "730d"},
                         Env({{"CAK_POOL_SIZE", "20"}, {"CAK_NAME", "from-env"}}))
                  .ok());
  EXPECT_EQ(f.size, 12);
  EXPECT_EQ(f.name, "from-env");
  EXPECT_TRUE(f.flag);
  EXPECT_EQ(f.timeout, absl::Hours(24 * 730));
}

TEST(ConfigTest, ReportsEveryProblemNamingOptionAndSource) {
  Fixture f;
  absl::Status st = f.parser.Parse({"--pool-size=100", "--bogus=1", "--mode=open"},
                                   Env({{"CAK_TIMEOUT", "soon"}, {"CAK_PORT", "70000"}}));
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(st.message());
  EXPECT_NE(msg.find("--pool-size=100: must be between 1 and 64"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown option --bogus"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--mode=open: must be one of: jwt, development"), std::string::npos) << msg;
  EXPECT_NE(msg.find("CAK_TIMEOUT=soon"), std::string::npos) << msg;
  EXPECT_NE(msg.find("CAK_PORT=70000"), std::string::npos) << msg;
}

TEST(ConfigTest, EnvNamesFollowFlagNames) { EXPECT_EQ(ConfigParser::EnvName("db-pool-size"), "CAK_DB_POOL_SIZE"); }

TEST(ConfigTest, ServiceConfigRequiresWhatTheModeUses) {
  ServiceConfig c;
  ConfigParser p("svc", "test");
  AddServiceOptions(p, &c, "intake");
  ASSERT_TRUE(p.Parse({}, Env({})).ok());
  absl::Status serve = ValidateServiceConfig(c);
  ASSERT_FALSE(serve.ok());
  const std::string msg(serve.message());
  EXPECT_NE(msg.find("--db-dsn"), std::string::npos);
  EXPECT_NE(msg.find("--hash-key-file"), std::string::npos);
  EXPECT_NE(msg.find("--auth-mode=jwt needs one of --jwt-public-key-file and --jwt-jwks-file"), std::string::npos);

  // The migration Job needs only the database.
  ServiceConfig m;
  ConfigParser pm("svc", "test");
  AddServiceOptions(pm, &m, "intake");
  ASSERT_TRUE(pm.Parse({"--migrate-only", "--db-dsn=host=x"}, Env({})).ok());
  absl::Status no_role = ValidateServiceConfig(m);
  EXPECT_NE(no_role.message().find("--migrate-only needs --db-app-role"), absl::string_view::npos) << no_role;
  ASSERT_TRUE(pm.Parse({"--db-app-role=intake_svc"}, Env({})).ok());
  EXPECT_TRUE(ValidateServiceConfig(m).ok());
}

TEST(ConfigTest, DevelopmentAuthIsNeverTheDefault) {
  ServiceConfig c;
  ConfigParser p("svc", "test");
  AddServiceOptions(p, &c, "intake");
  ASSERT_TRUE(p.Parse({}, Env({})).ok());
  EXPECT_EQ(c.auth_mode, "jwt");
}

}  // namespace
}  // namespace cak::common
