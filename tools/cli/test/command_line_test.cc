// voorlichting-cli's command line without a network: unknown options and commands are refused
// with exit code 2 naming them, --help/-h and --version go to stdout with exit code 0, bad
// numbers, durations, dates and enum values are refused (enums listing their choices), every
// global option is the same from the environment as from the command line (the command line
// winning), the token comes from --token, --token-file or the environment but only one of them,
// and the invocations of scripts/run.sh and the end-to-end tests still parse. The last tests run
// the real binary for its exit codes.
#include "cli/command_line.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/base/random.h"
#include "common/base/version.h"
#include "common/grpc/auth.h"
#include "common/grpc/dev_tokens.h"
#include "common/testing/fake_clock.h"

namespace cak::cli {
namespace {

// Every environment variable the command line reads.
constexpr const char* kVariables[] = {
    "CAK_ADDRESS",      "CAK_INTAKE_ADDRESS", "CAK_TIMEOUT",       "CAK_TOKEN",           "CAK_TOKEN_FILE",
    "CAK_AS",           "CAK_ROLES",          "CAK_APPLICATION",   "CAK_TRACE",           "CAK_SIGNAL",
    "CAK_TLS_CA",       "CAK_TLS_CERT",       "CAK_TLS_KEY",       "CAK_TLS_SERVER_NAME", "CAK_TOKEN_KEY",
    "CAK_TOKEN_KEY_ID", "CAK_TOKEN_ISSUER",   "CAK_TOKEN_AUDIENCE"};

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kCerts = CAK_TEST_CERTS_DIR;

struct Parsed {
  std::optional<int> exit_code;
  std::string out, err;
  GlobalOptions global;
  std::string command;
};

auto Fields(const GlobalOptions& g) {
  return std::tie(g.address, g.intake_address, g.timeout, g.token, g.token_file, g.as, g.roles, g.application, g.trace,
                  g.signal, g.tls.ca_file, g.tls.cert_file, g.tls.key_file, g.tls.server_name);
}

class CommandLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The tests set what they need; nothing from the shell that runs them.
    for (const char* name : kVariables) {
      if (const char* value = std::getenv(name)) saved_[name] = value;
      unsetenv(name);
    }
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("cak-cli-", common::HexEncode(common::NewSpanId()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    for (const char* name : kVariables) unsetenv(name);
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
    std::filesystem::remove_all(dir_);
  }

  static Parsed Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "voorlichting-cli");
    CommandLine command_line;
    std::ostringstream out, err;
    Parsed p;
    p.exit_code = command_line.Parse(args, out, err);
    p.out = out.str();
    p.err = err.str();
    p.global = command_line.global();
    p.command = command_line.command();
    return p;
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> saved_;
};

TEST_F(CommandLineTest, UnknownOptionIsRefusedNamingIt) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--adress=127.0.0.1:1", "health"},
                                               {"health", "--adress=127.0.0.1:1"},
                                               {"list", "--page-sise=3"},
                                               {"get", "signals/1", "--ful"}}) {
    const Parsed p = Parse(args);
    EXPECT_EQ(p.exit_code, kExitUsage) << args[0];
    const std::string& bad = args[0].rfind("--", 0) == 0 ? args[0] : args.back();
    EXPECT_NE(p.err.find("not expected: " + bad + "\n"), std::string::npos) << p.err;
    EXPECT_EQ(p.out, "");
  }
  // An option of another command is unknown to this one.
  const Parsed p = Parse({"health", "--page-size=3"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("--page-size=3"), std::string::npos) << p.err;
}

TEST_F(CommandLineTest, UnknownOptionIsNamedEvenWhenARequiredOneIsMissing) {
  const Parsed p = Parse({"decline", "signals/1", "--reson=duplicate"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("--reason is required"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("not understood: --reson=duplicate"), std::string::npos) << p.err;
}

TEST_F(CommandLineTest, UnknownOrMissingCommandIsUsage) {
  Parsed p = Parse({"frob"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("unknown command 'frob'"), std::string::npos) << p.err;
  p = Parse({});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("a command is required"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("--help"), std::string::npos) << p.err;
  p = Parse({"list", "get"});  // one command at a time
  EXPECT_EQ(p.exit_code, kExitUsage);
}

TEST_F(CommandLineTest, HelpGoesToStdoutWithExitCodeZero) {
  for (const char* flag : {"--help", "-h"}) {
    const Parsed p = Parse({flag});
    EXPECT_EQ(p.exit_code, kExitOk) << flag;
    EXPECT_EQ(p.err, "");
    for (const char* text : {"Usage: voorlichting-cli", "--tls-ca", "CAK_ADDRESS", "campaign-approve", "flow",
                             "subject-access", "Exit codes:", "0  ok", "2  bad usage"}) {
      EXPECT_NE(p.out.find(text), std::string::npos) << flag << ": " << text << "\n" << p.out;
    }
  }
}

TEST_F(CommandLineTest, EachCommandHasItsHelp) {
  for (const char* flag : {"--help", "-h"}) {
    // Before the command's requirements: `get` alone would lack its signal.
    Parsed p = Parse({"get", flag});
    EXPECT_EQ(p.exit_code, kExitOk) << p.err;
    EXPECT_NE(p.out.find("signals/<id>"), std::string::npos) << p.out;
    EXPECT_NE(p.out.find("--full"), std::string::npos) << p.out;
    p = Parse({"list", flag});
    EXPECT_EQ(p.exit_code, kExitOk) << p.err;
    EXPECT_NE(p.out.find("--page-size"), std::string::npos) << p.out;
    EXPECT_NE(p.out.find("{received,in_assessment,no_action,action_planned,closed}"), std::string::npos) << p.out;
    EXPECT_NE(p.out.find("Exit codes"), std::string::npos) << p.out;
    EXPECT_EQ(p.err, "");
  }
  const Parsed p = Parse({"impact", "--help"});
  EXPECT_NE(p.out.find("not-contacted:DAYS"), std::string::npos) << p.out;  // the --where syntax
}

TEST_F(CommandLineTest, VersionIsTheSuiteVersion) {
  const Parsed p = Parse({"--version"});
  EXPECT_EQ(p.exit_code, kExitOk);
  EXPECT_NE(p.out.find(absl::StrCat("voorlichting-cli ", common::SuiteVersion())), std::string::npos) << p.out;
  EXPECT_EQ(p.err, "");
}

TEST_F(CommandLineTest, BadNumbersAreRefused) {
  for (const auto& [args, expect] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"list", "--page-size=abc"}, "--page-size: 'abc' is not a whole number"},
           {{"list", "--page-size=-1"}, "--page-size: '-1' is less than 0"},
           {{"list", "--page-size=1.5"}, "not a whole number"},
           {{"watch", "signals/1", "--after=x"}, "--after"},
           {{"sample", "--seed=-1"}, "--seed: '-1' is not a whole number from 0"},
           {{"campaign-approve", "campaigns/1", "--revision=two"}, "--revision"},
           {{"import", "--dataset=customers", "--file=c.csv", "--max-rejected-share=2"},
            "--max-rejected-share: '2' is not from 0 to 1"},
           {{"recipients", "recipientLists/1", "--limit=many"}, "--limit"},
       }) {
    const Parsed p = Parse(args);
    EXPECT_EQ(p.exit_code, kExitUsage) << args[0] << " " << args.back();
    EXPECT_NE(p.err.find(expect), std::string::npos) << p.err;
  }
  EXPECT_EQ(Parse({"list", "--page-size=7"}).exit_code, std::nullopt);
}

TEST_F(CommandLineTest, DurationsAreParsedAndChecked) {
  Parsed p = Parse({"--timeout=abc", "health"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("--timeout: 'abc' is not a duration"), std::string::npos) << p.err;
  p = Parse({"--timeout=0s", "health"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("longer than 0"), std::string::npos) << p.err;
  p = Parse({"token", "--lifetime=soon"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("--lifetime"), std::string::npos) << p.err;

  EXPECT_EQ(Parse({"health"}).global.timeout, absl::Seconds(10));
  p = Parse({"--timeout=2m30s", "health"});
  EXPECT_EQ(p.exit_code, std::nullopt) << p.err;
  EXPECT_EQ(p.global.timeout, absl::Seconds(150));
  EXPECT_EQ(Parse({"--timeout=2d", "health"}).global.timeout, absl::Hours(48));
}

TEST_F(CommandLineTest, BadChoicesAreRefusedListingTheValidOnes) {
  for (const auto& [args, choices] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"list", "--state=open"}, "--state: open not in {received,in_assessment,no_action,action_planned,closed}"},
           {{"submit", "--regulation=wlzz"}, "{wlz,wmo}"},
           {{"submit", "--category=complaint"},
            "{wrong_invoice,rule_change,confusing_letter,customer_signal,payment_problem,other}"},
           {{"submit", "--channel=fax"}, "{kcc,email,letter,application,employee}"},
           {{"decline", "signals/1", "--reason=bored"}, "{no_action_needed,incomplete,duplicate,out_of_scope}"},
           {{"import", "--dataset=people", "--file=x.csv"}, "{customers,relations,mailings,contact_reports}"},
           {{"recipients", "recipientLists/1", "--fields=address"}, "{postal,phone,contact-moment}"},
           {{"sample", "--stratify=age"}, "{regulation,municipality,routing}"},
           {{"subject-object", "--bsn=111222333", "--kind=objection", "--scope=some"}, "{all,contact}"},
           {{"flow", "--until=released"}, "{submitted,approved}"},
       }) {
    const Parsed p = Parse(args);
    EXPECT_EQ(p.exit_code, kExitUsage) << args[0];
    EXPECT_NE(p.err.find(choices), std::string::npos) << p.err;
  }
  // Case and dash or underscore do not matter.
  for (const std::vector<std::string>& args : {std::vector<std::string>{"list", "--state=IN_ASSESSMENT"},
                                               {"recipients", "recipientLists/1", "--fields=contact_moment"},
                                               {"recipients", "recipientLists/1", "--fields=Contact-Moment"},
                                               {"campaign-list", "--state=ready_for_review"}}) {
    const Parsed p = Parse(args);
    EXPECT_EQ(p.exit_code, std::nullopt) << p.err;
  }
}

TEST_F(CommandLineTest, OtherValuesAreChecked) {
  for (const auto& [args, expect] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--trace=xyz", "health"}, "--trace: 'xyz' is neither a W3C traceparent"},
           {{"impact", "--where=colour:red"}, "--where: unknown term 'colour:red'"},
           {{"impact", "--reference-date=31-12-2026"}, "--reference-date: '31-12-2026' is not a date"},
           {{"--signal=signals/1", "define-groups", "--group=wlz"}, "--group: 'wlz' is not NAME=SPEC"},
           {{"subject-access", "--bsn=123456789"}, "--bsn"},
           {{"listing", "--fields=bsn,shoe-size", "--out=x.csv"}, "--fields: unknown field 'shoe-size'"},
           {{"listing", "--fields=bsn", "--limit=100001", "--out=x.csv"}, "--limit"},
           {{"listing", "--set=targetGroupSets/1", "--fields=bsn", "--out=x.csv"}, "--group"},
           {{"listing", "--where=all", "--set=targetGroupSets/1", "--group=g", "--fields=bsn", "--out=x.csv"},
            "--where"},
       }) {
    const Parsed p = Parse(args);
    EXPECT_EQ(p.exit_code, kExitUsage) << args.back();
    EXPECT_NE(p.err.find(expect), std::string::npos) << p.err;
  }
}

TEST_F(CommandLineTest, MissingRequiredValuesAreUsage) {
  for (const auto& [args, expect] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"get"}, "signal is required"},
           {{"decline", "signals/1", "--feedback=x"}, "--reason is required"},
           {{"campaign-cancel", "campaigns/1"}, "--reason is required"},
           {{"import", "--dataset=customers"}, "--file is required"},
           {{"freeze", "targetGroupSets/1"}, "--group is required"},
           {{"listing", "--fields=bsn"}, "--out is required"},
           {{"listing", "--out=x.csv"}, "--fields is required"},
           {{"subject-access", "--bsn=111222333", "--analysis-address=a:1", "--dispatch-address=d:1",
             "--campaign-address=c:1"},
            "--intake-address is required"},
           {{"flow", "--intake-address=i:1", "--analysis-address=a:1", "--dispatch-address=d:1",
             "--campaign-address=c:1", "--import-dir=/tmp"},
            "--delivery-dir is required"},
       }) {
    const Parsed p = Parse(args);
    EXPECT_EQ(p.exit_code, kExitUsage) << args[0];
    EXPECT_NE(p.err.find(expect), std::string::npos) << p.err;
  }
}

TEST_F(CommandLineTest, GlobalOptionsComeBeforeOrAfterTheCommand) {
  const Parsed before = Parse({"--address=h:1", "--as=emp-1", "--roles=analyst,approver", "health"});
  const Parsed after = Parse({"health", "--address=h:1", "--as=emp-1", "--roles=analyst,approver"});
  ASSERT_EQ(before.exit_code, std::nullopt) << before.err;
  ASSERT_EQ(after.exit_code, std::nullopt) << after.err;
  EXPECT_EQ(Fields(before.global), Fields(after.global));
  EXPECT_EQ(before.global.roles, (std::vector<std::string>{"analyst", "approver"}));
  EXPECT_EQ(after.command, "health");
}

TEST_F(CommandLineTest, EveryGlobalOptionIsTheSameFromTheEnvironment) {
  const std::string ca = kCerts + "/ca.pem", cert = kCerts + "/campaign-svc.pem", key = kCerts + "/campaign-svc.key";
  const std::string token_file = WriteFile("token", "jwt-from-file\n");
  const std::vector<std::pair<std::string, std::string>> options = {
      {"address", "svc.example:443"},
      {"intake-address", "intake.example:443"},
      {"timeout", "45s"},
      {"as", "emp-7007"},
      {"roles", "privacy_officer,approver"},
      {"application", "true"},
      {"trace", kTraceId},
      {"signal", "signals/abc"},
      {"tls-ca", ca},
      {"tls-cert", cert},
      {"tls-key", key},
      {"tls-server-name", "intake-svc.voorlichting.svc"},
      {"token-file", token_file},
  };
  std::vector<std::string> args;
  for (const auto& [name, value] : options) args.push_back(absl::StrCat("--", name, "=", value));
  args.push_back("health");
  const Parsed from_flags = Parse(args);
  ASSERT_EQ(from_flags.exit_code, std::nullopt) << from_flags.err;

  for (const auto& [name, value] : options) {
    std::string env = absl::StrCat("CAK_", name);
    for (char& c : env) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    setenv(env.c_str(), value.c_str(), 1);
  }
  const Parsed from_env = Parse({"health"});
  ASSERT_EQ(from_env.exit_code, std::nullopt) << from_env.err;
  EXPECT_EQ(Fields(from_env.global), Fields(from_flags.global));
  EXPECT_EQ(from_env.global.timeout, absl::Seconds(45));
  EXPECT_TRUE(from_env.global.application);
  EXPECT_EQ(from_env.global.tls.server_name, "intake-svc.voorlichting.svc");

  // The command line wins over the environment.
  const Parsed both = Parse({"--address=cli.example:1", "health", "--timeout=3s"});
  EXPECT_EQ(both.global.address, "cli.example:1");
  EXPECT_EQ(both.global.timeout, absl::Seconds(3));
  EXPECT_EQ(both.global.as, "emp-7007");
}

TEST_F(CommandLineTest, EnvironmentValuesAreCheckedLikeFlags) {
  setenv("CAK_TIMEOUT", "forever", 1);
  Parsed p = Parse({"health"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("--timeout"), std::string::npos) << p.err;
  unsetenv("CAK_TIMEOUT");
  // Only the key missing: CLI11 checks an option's `needs` in pointer order, so with two
  // missing the message could name either.
  setenv("CAK_TLS_CA", (kCerts + "/ca.pem").c_str(), 1);
  setenv("CAK_TLS_CERT", (kCerts + "/campaign-svc.pem").c_str(), 1);
  p = Parse({"health"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("--tls-cert requires --tls-key"), std::string::npos) << p.err;
}

TEST_F(CommandLineTest, TlsOptionsGoTogether) {
  const std::string ca = kCerts + "/ca.pem", cert = kCerts + "/campaign-svc.pem", key = kCerts + "/campaign-svc.key";
  Parsed p = Parse({"--tls-ca=" + ca, "--tls-cert=" + cert, "health"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("--tls-cert requires --tls-key"), std::string::npos) << p.err;
  p = Parse({"--tls-cert=" + cert, "--tls-key=" + key, "health"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("requires --tls-ca"), std::string::npos) << p.err;
  p = Parse({"--tls-server-name=localhost", "health"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("--tls-server-name requires --tls-ca"), std::string::npos) << p.err;
  p = Parse({"--tls-ca=" + (dir_ / "missing.pem").string(), "health"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("--tls-ca"), std::string::npos) << p.err;
  p = Parse({"--tls-ca=" + ca, "--tls-cert=" + cert, "--tls-key=" + key, "health"});
  EXPECT_EQ(p.exit_code, std::nullopt) << p.err;

  // The same rules hold for the library's own callers.
  EXPECT_EQ(ChannelCredentials({.ca_file = "", .cert_file = cert, .key_file = key}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ChannelCredentials({.ca_file = ca, .cert_file = cert}).status().code(), absl::StatusCode::kInvalidArgument);
  const auto empty = ChannelCredentials({.ca_file = WriteFile("empty.pem", "")});
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("--tls-ca"), std::string::npos) << empty.status();
  EXPECT_TRUE(ChannelCredentials({.ca_file = ca, .cert_file = cert, .key_file = key}).ok());
  EXPECT_TRUE(ChannelCredentials({}).ok());  // plaintext
}

TEST_F(CommandLineTest, TokenFromAFile) {
  const std::string file = WriteFile("token", "  header.payload.signature\n");
  Parsed p = Parse({"--token-file=" + file, "health"});
  ASSERT_EQ(p.exit_code, std::nullopt) << p.err;
  auto client = Client::Create(p.global);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->DefaultCaller().token, "header.payload.signature");

  setenv("CAK_TOKEN_FILE", file.c_str(), 1);
  p = Parse({"health"});
  ASSERT_EQ(p.exit_code, std::nullopt) << p.err;
  client = Client::Create(p.global);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->DefaultCaller().token, "header.payload.signature");
  unsetenv("CAK_TOKEN_FILE");

  // A token in the shell's environment gives way to a file on the command line.
  setenv("CAK_TOKEN", "from-environment", 1);
  EXPECT_EQ(Parse({"health"}).global.token, "from-environment");
  p = Parse({"health", "--token-file=" + file});
  ASSERT_EQ(p.exit_code, std::nullopt) << p.err;
  EXPECT_EQ(p.global.token, "");
  EXPECT_EQ(p.global.token_file, file);
}

// A test deployment (scripts/deploy-local.sh): the client signs the tokens it mints with a given
// key, issuer and audiences, and `jwks` prints the key set the services verify them with.
TEST_F(CommandLineTest, MintedTokensSignedWithAGivenKeyVerifyAgainstItsKeySet) {
  const std::string key = WriteFile("signing.pem", common::kDevJwtPrivateKeyPem);
  Parsed p = Parse({"--token-key=" + key, "--token-key-id=run-1", "--token-issuer=https://login.example/staff",
                    "--token-audience=intake-svc,campaign-svc", "--as=emp-9", "--roles=analyst", "jwks"});
  ASSERT_EQ(p.exit_code, std::nullopt) << p.err;
  EXPECT_EQ(p.command, "jwks");
  EXPECT_EQ(p.global.signing.audiences, (std::vector<std::string>{"intake-svc", "campaign-svc"}));
  auto client = Client::Create(p.global);
  ASSERT_TRUE(client.ok()) << client.status();
  auto jwks = (*client)->Jwks();
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  EXPECT_NE(jwks->find(R"("kid":"run-1")"), std::string::npos) << *jwks;
  EXPECT_EQ(jwks->find("\"d\""), std::string::npos) << "the private exponent must not leave: " << *jwks;
  auto token = (*client)->MintToken((*client)->DefaultCaller());
  ASSERT_TRUE(token.ok()) << token.status();

  common::testing::FakeClock clock(absl::Now());
  auto verifier = [&](const std::string& audience) {
    common::AuthOptions o;
    o.mode = "jwt";
    o.jwt_jwks = *jwks;
    o.issuer = "https://login.example/staff";
    o.audience = audience;
    return *common::Authenticator::Create(o, &clock);
  };
  for (const char* audience : {"intake-svc", "campaign-svc"}) {
    auto principal = verifier(audience)->VerifyToken(*token);
    ASSERT_TRUE(principal.ok()) << audience << ": " << principal.status();
    EXPECT_EQ(principal->id, "emp-9");
    EXPECT_EQ(principal->roles, (std::vector<std::string>{"analyst"}));
  }
  EXPECT_EQ(verifier("dispatch-svc")->VerifyToken(*token).status().code(), absl::StatusCode::kUnauthenticated);

  // The key and its id go together; without a key there is no key set to print.
  EXPECT_EQ(Parse({"--token-key=" + key, "jwks"}).exit_code, kExitUsage);
  EXPECT_EQ(Parse({"--token-key-id=run-1", "jwks"}).exit_code, kExitUsage);
  p = Parse({"jwks"});
  ASSERT_EQ(p.exit_code, std::nullopt) << p.err;
  client = Client::Create(p.global);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->Jwks().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CommandLineTest, TokenIsGivenOnlyOnce) {
  const std::string file = WriteFile("token", "jwt\n");
  Parsed p = Parse({"--token=jwt", "--token-file=" + file, "health"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("--token excludes --token-file"), std::string::npos) << p.err;

  setenv("CAK_TOKEN", "jwt", 1);
  setenv("CAK_TOKEN_FILE", file.c_str(), 1);
  p = Parse({"health"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("CAK_TOKEN and CAK_TOKEN_FILE"), std::string::npos) << p.err;

  GlobalOptions both;
  both.token = "jwt";
  both.token_file = file;
  EXPECT_EQ(Client::Create(both).status().code(), absl::StatusCode::kInvalidArgument);
  GlobalOptions missing;
  missing.token_file = (dir_ / "missing").string();
  const auto client = Client::Create(missing);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(client.status().message().find("--token-file"), std::string::npos) << client.status();
}

// What scripts/run.sh, scripts and the end-to-end tests (tests/e2e_test.cc, tests/suite_fixture.h)
// and the READMEs call.
TEST_F(CommandLineTest, TheRepositorysInvocationsStillParse) {
  const std::string addresses =
      "--intake-address=127.0.0.1:1 --analysis-address=127.0.0.1:2 --dispatch-address=127.0.0.1:3 "
      "--campaign-address=127.0.0.1:4";
  for (const std::string& line : std::vector<std::string>{
           "--as=dispatch-svc.voorlichting.svc --roles=dispatch_service --application token --lifetime=12h",
           "--address=127.0.0.1:50052 health",
           "--timeout=60s flow " + addresses +
               " --import-dir=/tmp/i --delivery-dir=/tmp/d --logbook-dir=/tmp/l --report-dir=/tmp/r "
               "--control-share=0.1 --seed=7624",
           "--timeout=120s flow " + addresses + " --import-dir=/tmp/i --delivery-dir=/tmp/d --until=approved",
           "--as=emp-6006 --roles=privacy_officer subject-erase --bsn=111222333 --reason=VZ-1 --dry-run " + addresses,
           "--as=emp-4004 --roles=administrator --address=127.0.0.1:2 import --dataset=customers --file=customers.csv",
           "--as=emp-6006 --roles=privacy_officer log --signal=signals/x " + addresses,
           "--as=emp-6006 --roles=privacy_officer subject-access --bsn=111222333 " + addresses + " --out=/tmp/r",
           "--as=emp-6006 --roles=privacy_officer subject-object --bsn=111222333 --kind=restriction --scope=contact "
           "--reason=R --received-date=2026-01-05 " +
               addresses,
           "--as=emp-5005 --roles=approver campaign-approve campaigns/1 --comment=ok --revision=3",
           "--signal=signals/1 define-groups --group=a=regulation:WLZ;active --group=rest=all --request-id=r1",
           "sample --size=5 --seed=1 --stratify=routing --full --purpose=check --where=min-age:65",
           "impact --where=regulation:WLZ;contacted:30:2 --reference-date=2026-11-29",
           "listing --set=targetGroupSets/1 --group=Overig --fields=bsn,customer_number,Payment-Plan --limit=500 "
           "--out=/tmp/l.csv",
           "--as=emp-2001 --roles=analyst listing --where=regulation:WLZ --fields=bsn,name --full --purpose=check "
           "--reference-date=2026-11-29 --out=/tmp/l.csv",
           "submit --regulation=wmo --category=wrong_invoice --channel=kcc --description=text --bsn=111222333 "
           "--bsn=123456782 --request-id=r",
           "list --state=received --page-size=10 --all",
           "--trace=" + std::string(kTraceId) + " log",
       }) {
    std::vector<std::string> args;
    std::istringstream words(line);
    for (std::string w; words >> w;) args.push_back(w);
    const Parsed p = Parse(args);
    EXPECT_EQ(p.exit_code, std::nullopt) << line << "\n" << p.err;
  }
}

// The real binary: the exit codes and the streams a shell sees.
struct Ran {
  int exit_code = -1;
  std::string out, err;
};

class BinaryTest : public CommandLineTest {
 protected:
  Ran Run(const std::string& args) {
    const std::string out = (dir_ / "out").string(), err = (dir_ / "err").string();
    const int status = std::system(absl::StrCat(CLI_BINARY, " ", args, " >", out, " 2>", err).c_str());
    Ran r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::stringstream o, e;
    o << std::ifstream(out).rdbuf();
    e << std::ifstream(err).rdbuf();
    r.out = o.str();
    r.err = e.str();
    return r;
  }
};

TEST_F(BinaryTest, ExitCodes) {
  Ran r = Run("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
  r = Run("list -h");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--page-size"), std::string::npos) << r.out;
  r = Run("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find(std::string(common::SuiteVersion())), std::string::npos) << r.out;
  r = Run("--adress=127.0.0.1:1 health");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--adress=127.0.0.1:1"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  r = Run("list --page-size=abc");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--page-size"), std::string::npos) << r.err;
  r = Run("--token-file=/nonexistent/token health");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--token-file"), std::string::npos) << r.err;
  // (Exit code 1, a call that failed, is run against a server in tls_test.cc.)
}

}  // namespace
}  // namespace cak::cli
