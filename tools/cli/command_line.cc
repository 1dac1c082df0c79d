// The command line of voorlichting-cli (see command_line.h): every command, the options it reads
// and how each value is checked, in one place; the commands themselves live beside their service
// (intake_commands.cc, analysis_commands.cc, ...).
#include "cli/command_line.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "cli/analysis_commands.h"
#include "cli/campaign_commands.h"
#include "cli/flow_command.h"
#include "cli/intake_commands.h"
#include "cli/log_command.h"
#include "cli/subject_command.h"
#include "common/base/bsn.h"
#include "common/base/config.h"
#include "common/base/version.h"

namespace cak::cli {

namespace intake = cak::voorlichting::intake::v1;
namespace analysis = cak::voorlichting::analysis::v1;
namespace campaign = cak::voorlichting::campaign::v1;
namespace privacy = cak::voorlichting::privacy::v1;

struct CommandLine::Command {
  CLI::App* app;
  std::function<int(const Client&)> run;
};

namespace {

constexpr char kProgram[] = "voorlichting-cli";

constexpr char kExitCodes[] = R"(Exit codes:
  0  ok (also after --help, -h and --version, printed on stdout)
  1  the call failed or a check did not hold; the error on stderr, e.g.
     error: INVALID_ARGUMENT at signal.description (REQUIRED_FIELD_MISSING): ...
  2  bad usage: an unknown command or option, a bad or missing value, an unreadable token or
     certificate file; the reason on stderr
)";

constexpr char kEnvironment[] =
    R"(Environment: every global option can also be set as a variable, shown as Env: above (the
token as CAK_TOKEN or CAK_TOKEN_FILE); the command line wins over the environment.
TLS: --tls-ca verifies the services' certificates (plaintext without it); --tls-cert and
--tls-key add the client's own certificate (mutual TLS).)";

constexpr char kGlobalNote[] =
    R"(Global options (--address, --timeout, --token, --token-file, --as, --roles, --application,
--trace, --signal, --intake-address, --tls-ca, --tls-cert, --tls-key, --tls-server-name) may come
before or after the command; voorlichting-cli --help lists them.)";

constexpr char kWhere[] =
    R"(A selection (--where=SPEC, --group=NAME=SPEC) is terms joined by ';', all of which must hold:
  regulation:WLZ,WMO  municipality:GM0363,GM0599  min-age:N  max-age:N  min-debt:CENTS
  max-debt:CENTS  representative | no-representative  contact-person  payment-plan |
  no-payment-plan  active | inactive  contacted:DAYS[:MIN]  not-contacted:DAYS
  mailing:TYPE[,TYPE]:YYYY-MM-DD:YYYY-MM-DD  all)";

// Command groups, as --help lists them.
constexpr char kIntake[] = "intake-svc (signals)";
constexpr char kAnalysis[] = "analysis-svc (customers, selections, target groups, recipient lists)";
constexpr char kCampaign[] = "campaign-svc (campaigns)";
constexpr char kPrivacy[] = "The processing log and data subjects' rights (all four services)";
constexpr char kOther[] = "The whole information action, and development";

// How a proto enum's value is written on the command line: "REGULATION_WLZ" -> "wlz"; with
// `dashes`, "FIELD_SET_CONTACT_MOMENT" -> "contact-moment" (either form is accepted).
std::string Spelling(std::string text, bool dashes) {
  absl::AsciiStrToLower(&text);
  std::replace(text.begin(), text.end(), dashes ? '_' : '-', dashes ? '-' : '_');
  return text;
}

// An option whose value is one of the proto enum E's values (all but *_UNSPECIFIED), named
// without `prefix`, case-insensitively. The help and the refusal list the choices.
template <typename E, typename Target>
CLI::Option* AddEnum(CLI::App* cmd, const std::string& flag, const std::string& prefix, Target* out,
                     const std::string& help, bool dashes = false) {
  const google::protobuf::EnumDescriptor* d = google::protobuf::GetEnumDescriptor<E>();
  std::vector<std::string> choices;
  for (int i = 0; i < d->value_count(); ++i) {
    const std::string& name = d->value(i)->name();
    if (name.rfind(prefix, 0) == 0 && name != prefix + "UNSPECIFIED") {
      choices.push_back(Spelling(name.substr(prefix.size()), dashes));
    }
  }
  return cmd
      ->add_option_function<std::string>(
          flag,
          [out, d, prefix](const std::string& value) {
            *out = static_cast<E>(d->FindValueByName(prefix + absl::AsciiStrToUpper(Spelling(value, false)))->number());
          },
          help)
      ->check(CLI::IsMember(choices, [dashes](std::string s) { return Spelling(std::move(s), dashes); }));
}

// A string option whose value is one of `choices` (exactly as written).
CLI::Option* AddChoice(CLI::App* cmd, const std::string& flag, std::string* out, std::vector<std::string> choices,
                       const std::string& help) {
  return cmd->add_option(flag, *out, help)->check(CLI::IsMember(std::move(choices)));
}

// Checks of values, each naming what it expects; CLI11 puts the option's name before it.
const CLI::Validator kDuration(
    [](std::string& text) -> std::string {
      auto d = common::ParseDurationWithDays(text);
      if (!d.ok()) return absl::StrCat("'", text, "' is not a duration (e.g. 500ms, 10s, 5m, 12h, 2d)");
      if (*d <= absl::ZeroDuration()) return absl::StrCat("'", text, "': the duration must be longer than 0");
      return "";
    },
    "", "duration");

const CLI::Validator kDate(
    [](std::string& text) -> std::string {
      absl::CivilDay day;
      return absl::ParseCivilTime(text, &day) ? "" : absl::StrCat("'", text, "' is not a date YYYY-MM-DD");
    },
    "", "date");

const CLI::Validator kBsn(
    [](std::string& text) -> std::string {
      auto bsn = common::Bsn::Parse(text, "bsn");
      return bsn.ok() ? "" : std::string(bsn.status().message());
    },
    "", "bsn");

const CLI::Validator kTrace(
    [](std::string& text) -> std::string {
      return ParseTraceOption(text) ? ""
                                    : absl::StrCat("'", text,
                                                   "' is neither a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>) "
                                                   "nor a trace id of 32 hex characters");
    },
    "", "trace");

const CLI::Validator kWhereSpec(
    [](std::string& text) -> std::string {
      analysis::Criteria criteria;
      std::string error;
      return ParseWhere(text, &criteria, &error) ? "" : error;
    },
    "", "where");

const CLI::Validator kGroupSpec(
    [](std::string& text) -> std::string {
      const size_t eq = text.find('=');
      if (eq == std::string::npos || eq == 0) return absl::StrCat("'", text, "' is not NAME=SPEC");
      analysis::Criteria criteria;
      std::string error;
      return ParseWhere(text.substr(eq + 1), &criteria, &error) ? "" : absl::StrCat(text.substr(0, eq), ": ", error);
    },
    "", "group");

const CLI::Validator kListingFields(
    [](std::string& text) -> std::string {
      std::vector<analysis::ListingField> fields;
      std::string error;
      return ParseListingFields(text, &fields, &error) ? "" : error;
    },
    "", "fields");

const CLI::Validator kTimeZone(
    [](std::string& text) -> std::string {
      absl::TimeZone zone;
      return absl::LoadTimeZone(text, &zone) ? "" : absl::StrCat("'", text, "' is not a known time zone");
    },
    "", "time-zone");

// A whole number from `min` to `max` (CLI11's own conversion would take "-1" for an unsigned
// number and name no range).
CLI::Validator Whole(int64_t min, int64_t max = std::numeric_limits<int64_t>::max()) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        int64_t n;
        if (!absl::SimpleAtoi(text, &n)) return absl::StrCat("'", text, "' is not a whole number");
        if (n < min || n > max) {
          return max == std::numeric_limits<int64_t>::max()
                     ? absl::StrCat("'", text, "' is less than ", min)
                     : absl::StrCat("'", text, "' is not from ", min, " to ", max);
        }
        return "";
      },
      "", "whole");
}

// Any unsigned 64-bit number (a seed).
const CLI::Validator kUnsigned(
    [](std::string& text) -> std::string {
      uint64_t n;
      return text.find('-') == std::string::npos && absl::SimpleAtoi(text, &n)
                 ? ""
                 : absl::StrCat("'", text, "' is not a whole number from 0 to 18446744073709551615");
    },
    "", "unsigned");

// A number from `min` to `max`.
CLI::Validator Fraction(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        double x;
        if (!absl::SimpleAtod(text, &x)) return absl::StrCat("'", text, "' is not a number");
        if (!(x >= min && x <= max)) return absl::StrCat("'", text, "' is not from ", min, " to ", max);
        return "";
      },
      "", "number");
}

CLI::Option* AddDuration(CLI::App* cmd, const std::string& flag, absl::Duration* out, const std::string& help) {
  return cmd
      ->add_option_function<std::string>(
          flag, [out](const std::string& text) { *out = *common::ParseDurationWithDays(text); }, help)
      ->check(kDuration)
      ->type_name("DURATION")
      ->default_str(absl::FormatDuration(*out));
}

CLI::Option* AddDate(CLI::App* cmd, const std::string& flag, std::optional<absl::CivilDay>* out,
                     const std::string& help) {
  return cmd
      ->add_option_function<std::string>(
          flag,
          [out](const std::string& text) {
            absl::CivilDay day;
            (void)absl::ParseCivilTime(text, &day);
            *out = day;
          },
          help)
      ->check(kDate)
      ->type_name("YYYY-MM-DD");
}

template <typename T>
CLI::Option* AddOptional(CLI::App* cmd, const std::string& flag, std::optional<T>* out, const std::string& help) {
  return cmd->add_option_function<T>(
      flag, [out](const T& value) { *out = value; }, help);
}

// The peers a command asks besides intake-svc (whose address is the global --intake-address).
void AddServiceAddresses(CLI::App* cmd, ServiceAddresses* out, bool required) {
  cmd->add_option("--analysis-address", out->analysis, "analysis-svc")->required(required)->type_name("HOST:PORT");
  cmd->add_option("--dispatch-address", out->dispatch, "dispatch-svc")->required(required)->type_name("HOST:PORT");
  cmd->add_option("--campaign-address", out->campaign, "campaign-svc")->required(required)->type_name("HOST:PORT");
}

// The global --intake-address is needed by this command too.
void RequireIntakeAddress(CLI::App* cmd, const GlobalOptions* global) {
  cmd->callback([global] {
    if (global->intake_address.empty()) throw CLI::RequiredError("--intake-address");
  });
}

}  // namespace

template <typename O>
std::pair<CLI::App*, O*> CommandLine::Add(const char* group, const char* name, const char* description,
                                          int (*run)(const Client&, const O&)) {
  auto options = std::make_shared<O>();
  CLI::App* cmd = app_->add_subcommand(name, description);
  cmd->group(group);
  cmd->footer(absl::StrCat(kGlobalNote, "\n\n", kExitCodes));
  commands_.push_back(
      std::make_unique<Command>(Command{cmd, [options, run](const Client& client) { return run(client, *options); }}));
  return {cmd, options.get()};
}

CLI::App* CommandLine::Add(const char* group, const char* name, const char* description, int (*run)(const Client&)) {
  CLI::App* cmd = app_->add_subcommand(name, description);
  cmd->group(group);
  cmd->footer(absl::StrCat(kGlobalNote, "\n\n", kExitCodes));
  commands_.push_back(std::make_unique<Command>(Command{cmd, run}));
  return cmd;
}

CommandLine::CommandLine()
    : app_(std::make_unique<CLI::App>(
          "The operator client of the Voorlichten klant services (CAK, processing record M7624).", kProgram)) {
  CLI::App& app = *app_;
  // Set before anything is added: subcommands and options inherit these.
  app.fallthrough();  // a global option may follow the command's name
  app.require_subcommand(1);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag(
      "--version", absl::StrCat(kProgram, " ", common::SuiteVersion(), " (revision ", common::SuiteRevision(), ")"));
  app.footer(absl::StrCat(kEnvironment, "\n\n", kExitCodes));
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    std::string help = kProgram;
    for (const CLI::App* sub : failed->get_subcommands()) absl::StrAppend(&help, " ", sub->get_name());
    // CLI11 checks what is required before what is left over: name the words it did not take too.
    std::string what = e.what();
    const std::vector<std::string> left = failed->remaining(/*recurse=*/true);
    const bool no_command = failed->get_subcommands().empty();
    if (no_command && !left.empty() && left[0].rfind("-", 0) != 0) {
      what = absl::StrCat("unknown command '", left[0], "'");
    } else {
      if (no_command && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) what = "a command is required";
      if (!left.empty() && dynamic_cast<const CLI::ExtrasError*>(&e) == nullptr) {
        absl::StrAppend(&what, " (not understood: ", absl::StrJoin(left, " "), ")");
      }
    }
    return absl::StrCat(kProgram, ": ", what, "\nRun '", help, " --help' for more information.\n");
  });
  app.get_formatter()->column_width(36);

  // Global options.
  GlobalOptions& g = global_;
  app.add_option("--address", g.address, "the service to call")
      ->envname("CAK_ADDRESS")
      ->capture_default_str()
      ->type_name("HOST:PORT");
  app.add_option("--intake-address", g.intake_address,
                 "intake-svc: where --signal's trace is read; a peer of log, subject-* and flow")
      ->envname("CAK_INTAKE_ADDRESS")
      ->type_name("HOST:PORT");
  AddDuration(&app, "--timeout", &g.timeout, "the deadline of each call")->envname("CAK_TIMEOUT");
  CLI::Option* token =
      app.add_option("--token", g.token, "a bearer token (JWT) to call with (env: CAK_TOKEN)")->type_name("JWT");
  CLI::Option* token_file = app.add_option("--token-file", g.token_file,
                                           "a file holding the bearer token, read once at start (env: CAK_TOKEN_FILE)")
                                ->check(CLI::ExistingFile)
                                ->type_name("FILE");
  token->excludes(token_file);
  token_file->excludes(token);
  app.add_option("--as", g.as,
                 "without a token: the caller's id in the token the client mints (signed with the repository's "
                 "test key for services in --auth-mode=development, or with --token-key)")
      ->envname("CAK_AS")
      ->capture_default_str()
      ->type_name("ID");
  app.add_option("--roles", g.roles, "with --as: the caller's roles, comma-separated")
      ->envname("CAK_ROLES")
      ->delimiter(',')
      ->type_name("ROLE,...");
  app.add_flag("--application", g.application, "with --as: the caller is an application, not an employee")
      ->envname("CAK_APPLICATION");
  // Minted tokens signed like an identity provider's, for a test deployment (scripts/deploy-local.sh).
  CLI::Option* signing_key =
      app.add_option("--token-key", g.signing.key_file,
                     "sign the tokens the client mints with this RSA private key (PEM) instead of the repository's "
                     "test key: for a test deployment whose services trust its key set (see `jwks`)")
          ->envname("CAK_TOKEN_KEY")
          ->check(CLI::ExistingFile)
          ->type_name("PEM");
  CLI::Option* signing_kid = app.add_option("--token-key-id", g.signing.key_id, "with --token-key: the key's id (kid)")
                                 ->envname("CAK_TOKEN_KEY_ID")
                                 ->type_name("KID");
  app.add_option("--token-issuer", g.signing.issuer, "the issuer (iss) of minted tokens (default: the development one)")
      ->envname("CAK_TOKEN_ISSUER")
      ->type_name("URL");
  app.add_option("--token-audience", g.signing.audiences,
                 "the audiences (aud) of minted tokens, repeatable or comma-separated: every service they call "
                 "(default: the development one)")
      ->envname("CAK_TOKEN_AUDIENCE")
      ->delimiter(',')
      ->type_name("AUD");
  signing_key->needs(signing_kid);
  signing_kid->needs(signing_key);
  app.add_option("--trace", g.trace,
                 "continue this trace (a W3C traceparent, or a 32-hex trace id), e.g. an information action's, so "
                 "the call's processing-log entries join it")
      ->envname("CAK_TRACE")
      ->check(kTrace)
      ->type_name("TRACEPARENT|TRACE_ID");
  app.add_option("--signal", g.signal,
                 "continue the information action of this signal (its trace read from intake-svc at "
                 "--intake-address, else --address); define-groups and campaign-list also take it as their signal")
      ->envname("CAK_SIGNAL")
      ->type_name("signals/<id>");
  CLI::Option* ca = app.add_option("--tls-ca", g.tls.ca_file,
                                   "call over TLS, verifying the services' certificates against this CA (PEM)")
                        ->envname("CAK_TLS_CA")
                        ->check(CLI::ExistingFile)
                        ->type_name("PEM");
  CLI::Option* cert = app.add_option("--tls-cert", g.tls.cert_file,
                                     "mutual TLS: the client certificate (PEM) to present, with --tls-key")
                          ->envname("CAK_TLS_CERT")
                          ->check(CLI::ExistingFile)
                          ->type_name("PEM");
  CLI::Option* key = app.add_option("--tls-key", g.tls.key_file, "mutual TLS: the client certificate's key (PEM)")
                         ->envname("CAK_TLS_KEY")
                         ->check(CLI::ExistingFile)
                         ->type_name("PEM");
  CLI::Option* server_name =
      app.add_option("--tls-server-name", g.tls.server_name,
                     "the name the services' certificates must carry, instead of the address's host")
          ->envname("CAK_TLS_SERVER_NAME")
          ->type_name("NAME");
  cert->needs(key)->needs(ca);
  key->needs(cert)->needs(ca);
  server_name->needs(ca);

  // intake-svc.
  {
    auto [cmd, o] = Add(kIntake, "health", "the standard gRPC health check of --address", Health);
    cmd->add_option("--service", o->service, "the service name to check (default: the server as a whole)");
  }
  {
    auto [cmd, o] = Add(kIntake, "submit", "report a signal", Submit);
    AddEnum<intake::Regulation>(cmd, "--regulation", "REGULATION_", &o->regulation, "the regulation it concerns")
        ->default_str("wlz");
    AddEnum<intake::SignalCategory>(cmd, "--category", "SIGNAL_CATEGORY_", &o->category, "what kind of signal")
        ->default_str("other");
    AddEnum<intake::SourceChannel>(cmd, "--channel", "SOURCE_CHANNEL_", &o->channel, "how it reached CAK")
        ->default_str("employee");
    cmd->add_option("--description", o->description, "what was reported");
    cmd->add_option("--bsn", o->bsns, "an example customer's BSN (repeatable)");
    cmd->add_option("--request-id", o->request_id, "makes a repeat return the first result");
  }
  {
    auto [cmd, o] = Add(kIntake, "get", "one signal", Get);
    cmd->add_option("signal", o->name, "the signal")->required()->type_name("signals/<id>");
    cmd->add_flag("--full", o->full, "the full view, with the example customers' BSNs");
  }
  {
    auto [cmd, o] = Add(kIntake, "list", "signals, newest first", List);
    AddEnum<intake::SignalState>(cmd, "--state", "SIGNAL_STATE_", &o->state, "only signals in this state");
    cmd->add_option("--page-size", o->page_size, "signals per page")->capture_default_str()->check(Whole(0));
    cmd->add_flag("--all", o->all, "every page, not only the first");
  }
  {
    auto [cmd, o] = Add(kIntake, "add-info", "add information to a signal", AddInformation);
    cmd->add_option("signal", o->name, "the signal")->required()->type_name("signals/<id>");
    cmd->add_option("--text", o->text, "the information");
  }
  {
    auto [cmd, o] = Add(kIntake, "decline", "decline a signal with feedback for its reporter (step 3)", Decline);
    cmd->add_option("signal", o->name, "the signal")->required()->type_name("signals/<id>");
    AddEnum<intake::DeclineReason>(cmd, "--reason", "DECLINE_REASON_", &o->reason, "why no action follows")->required();
    cmd->add_option("--feedback", o->feedback, "the feedback for the reporter");
  }
  {
    auto [cmd, o] = Add(kIntake, "start-assessment", "start assessing a signal (step 2)", StartAssessment);
    cmd->add_option("signal", o->name, "the signal")->required()->type_name("signals/<id>");
  }
  {
    auto [cmd, o] = Add(kIntake, "plan", "mark a signal's action planned", MarkActionPlanned);
    cmd->add_option("signal", o->name, "the signal")->required()->type_name("signals/<id>");
    cmd->add_option("--campaign", o->campaign, "the campaign that acts on it")->type_name("campaigns/<id>");
  }
  {
    auto [cmd, o] = Add(kIntake, "close", "close a signal with feedback for its reporter", Close);
    cmd->add_option("signal", o->name, "the signal")->required()->type_name("signals/<id>");
    cmd->add_option("--feedback", o->feedback, "the feedback for the reporter");
  }
  {
    auto [cmd, o] = Add(kIntake, "watch", "follow a signal's events until the call ends", Watch);
    cmd->add_option("signal", o->name, "the signal")->required()->type_name("signals/<id>");
    cmd->add_option("--after", o->after, "only events after this sequence number")
        ->capture_default_str()
        ->check(Whole(0));
  }
  {
    auto [cmd, o] = Add(kIntake, "purge", "remove signals past their retention", Purge);
    cmd->add_flag("--dry-run", o->dry_run, "only count them");
  }

  // analysis-svc.
  {
    auto [cmd, o] = Add(kAnalysis, "import", "import a source extract from analysis-svc's import directory", Import);
    AddEnum<analysis::Dataset>(cmd, "--dataset", "DATASET_", &o->dataset, "which extract")->required();
    cmd->add_option("--file", o->file, "its file name in the import directory")->required()->type_name("NAME.csv");
    cmd->add_option("--request-id", o->request_id, "makes a repeat return the first result");
    AddOptional(cmd, "--max-rejected-share", &o->max_rejected_share,
                "refuse the import when a larger share of its rows is rejected")
        ->check(Fraction(0, 1))
        ->type_name("0..1");
  }
  Add(kAnalysis, "snapshot", "the data sets' current versions", Snapshot);
  {
    auto [cmd, o] = Add(kAnalysis, "impact", "how many customers a selection affects, and how", Impact);
    cmd->add_option("--where", o->where, "the selection")->capture_default_str()->check(kWhereSpec)->type_name("SPEC");
    AddDate(cmd, "--reference-date", &o->reference_date, "the day ages and contacts are counted from (default: today)");
    cmd->footer(absl::StrCat(kWhere, "\n\n", kGlobalNote, "\n\n", kExitCodes));
  }
  {
    auto [cmd, o] = Add(kAnalysis, "sample", "a reproducible sample of a selection (pseudonymised)", Sample);
    cmd->add_option("--size", o->size, "members")->capture_default_str()->check(Whole(0, 1 << 30));
    cmd->add_option("--seed", o->seed, "the same seed draws the same sample")->capture_default_str()->check(kUnsigned);
    AddEnum<analysis::Stratification>(cmd, "--stratify", "STRATIFICATION_", &o->stratify, "draw per stratum");
    cmd->add_flag("--full", o->full, "with BSN and name (needs --purpose)");
    cmd->add_option("--purpose", o->purpose, "why the full view is needed");
    cmd->add_option("--where", o->where, "the selection")->capture_default_str()->check(kWhereSpec)->type_name("SPEC");
    cmd->footer(absl::StrCat(kWhere, "\n\n", kGlobalNote, "\n\n", kExitCodes));
  }
  {
    auto [cmd, o] =
        Add(kAnalysis, "define-groups",
            "define the ordered target groups of the signal given by the global --signal (step 4)", DefineGroups);
    cmd->add_option("--group", o->groups, "a group and its selection, in order (repeatable)")
        ->check(kGroupSpec)
        ->type_name("NAME=SPEC");
    cmd->add_option("--request-id", o->request_id, "makes a repeat return the first result");
    cmd->footer(absl::StrCat(kWhere, "\n\n", kGlobalNote, "\n\n", kExitCodes));
  }
  {
    auto [cmd, o] = Add(kAnalysis, "freeze", "freeze one group's recipient list", Freeze);
    cmd->add_option("set", o->target_group_set, "the target group set")->required()->type_name("targetGroupSets/<id>");
    cmd->add_option("--group", o->group, "the group's name")->required();
    cmd->add_option("--request-id", o->request_id, "makes a repeat return the first result");
  }
  {
    auto [cmd, o] = Add(kAnalysis, "recipients", "stream a recipient list", Recipients);
    cmd->add_option("list", o->name, "the recipient list")->required()->type_name("recipientLists/<id>");
    AddEnum<analysis::FieldSet>(cmd, "--fields", "FIELD_SET_", &o->fields, "the fields of each recipient",
                                /*dashes=*/true)
        ->default_str("postal");
    cmd->add_option("--limit", o->limit, "print at most this many")->capture_default_str()->check(Whole(0, 1 << 30));
  }
  {
    auto [cmd, o] = Add(kAnalysis, "listing",
                        "write a listing (uitlijsting) of a selection or a target group to a CSV file "
                        "(pseudonymised)",
                        Listing);
    CLI::Option* where =
        cmd->add_option("--where", o->where, "the selection (default: all)")->check(kWhereSpec)->type_name("SPEC");
    CLI::Option* set = cmd->add_option("--set", o->target_group_set, "list a target group of this set instead")
                           ->type_name("targetGroupSets/<id>");
    CLI::Option* group = cmd->add_option("--group", o->group, "the target group's name (with --set)");
    set->excludes(where)->needs(group);
    group->needs(set);
    cmd->add_option("--fields", o->fields,
                    "the columns, in order: bsn, customer-number, name, address, postcode, municipality, "
                    "regulation, age, routing, debt, payment-plan, active (customer-number, name and address "
                    "with --full only)")
        ->required()
        ->check(kListingFields)
        ->type_name("F[,F...]");
    cmd->add_flag("--full", o->full, "the values themselves, not pseudonymised (analyst; needs --purpose)");
    cmd->add_option("--purpose", o->purpose, "why the full view is needed");
    cmd->add_option("--limit", o->limit, "at most this many rows (0: the server's maximum, 100,000)")
        ->capture_default_str()
        ->check(Whole(0, 100000));
    AddDate(cmd, "--reference-date", &o->reference_date, "with --where: the day ages are counted on (default: today)");
    cmd->add_option("--out", o->out, "the CSV file to write (mode 0600)")->required()->type_name("FILE");
    cmd->footer(absl::StrCat(kWhere, "\n\n", kGlobalNote, "\n\n", kExitCodes));
  }
  {
    auto [cmd, o] = Add(kAnalysis, "purge-customers", "remove customers inactive past their retention", PurgeCustomers);
    cmd->add_flag("--dry-run", o->dry_run, "only count them");
  }

  // campaign-svc.
  {
    auto [cmd, o] = Add(kCampaign, "campaign-get", "one campaign", CampaignGet);
    cmd->add_option("campaign", o->name, "the campaign (or its id)")->required()->type_name("campaigns/<id>");
  }
  {
    auto [cmd, o] = Add(kCampaign, "campaign-list", "campaigns (of the global --signal, if given)", CampaignList);
    AddEnum<campaign::CampaignState>(cmd, "--state", "CAMPAIGN_STATE_", &o->state, "only campaigns in this state");
    cmd->add_option("--page-size", o->page_size, "campaigns per page")->capture_default_str()->check(Whole(0));
    cmd->add_flag("--all", o->all, "every page, not only the first");
  }
  {
    auto [cmd, o] = Add(kCampaign, "campaign-approve",
                        "approve a campaign (approver role; not the campaign's designer: four eyes)", CampaignApprove);
    cmd->add_option("campaign", o->name, "the campaign (or its id)")->required()->type_name("campaigns/<id>");
    cmd->add_option("--comment", o->comment, "the approver's comment");
    cmd->add_option("--revision", o->revision, "the revision approved (refused when the campaign changed since)")
        ->check(Whole(0));
  }
  {
    auto [cmd, o] = Add(kCampaign, "campaign-release", "release an approved campaign", CampaignRelease);
    cmd->add_option("campaign", o->name, "the campaign (or its id)")->required()->type_name("campaigns/<id>");
  }
  {
    auto [cmd, o] = Add(kCampaign, "campaign-cancel", "cancel a campaign", CampaignCancel);
    cmd->add_option("campaign", o->name, "the campaign (or its id)")->required()->type_name("campaigns/<id>");
    cmd->add_option("--reason", o->reason, "why")->required();
  }

  // The processing log and data subjects' rights.
  {
    auto [cmd, o] = Add(kPrivacy, "log",
                        "the processing log of one information action (--signal), trace (--trace) or data subject "
                        "(--bsn), merged from the services given (else --address)",
                        ProcessingLog);
    cmd->add_option("--bsn", o->bsn, "the data subject's entries, as a list");
    AddServiceAddresses(cmd, &o->services, /*required=*/false);
  }
  {
    auto [cmd, o] = Add(kPrivacy, "subject-access",
                        "an access request (GDPR art. 15): what each service holds about the person and the "
                        "processing history of all four, as inzage-<time>.json and .html",
                        SubjectAccess);
    cmd->add_option("--bsn", o->bsn, "the person")->required()->check(kBsn);
    AddServiceAddresses(cmd, &o->services, /*required=*/true);
    cmd->add_option("--out", o->out, "the directory the report is written to")->capture_default_str();
    RequireIntakeAddress(cmd, &global_);
  }
  {
    auto [cmd, o] = Add(kPrivacy, "subject-object",
                        "record an objection (GDPR art. 21) or restriction (art. 18) in analysis-svc's register and "
                        "show what each service does about it",
                        SubjectObject);
    cmd->add_option("--bsn", o->bsn, "the person")->required()->check(kBsn);
    AddEnum<privacy::ObjectionKind>(cmd, "--kind", "OBJECTION_KIND_", &o->kind, "objection or restriction")->required();
    // (The register's scopes, as an operator says them.)
    cmd->add_option_function<std::string>(
           "--scope",
           [o = o](const std::string& scope) {
             o->scope = scope == "all" ? privacy::OBJECTION_SCOPE_ALL_SELECTION : privacy::OBJECTION_SCOPE_CONTACT;
           },
           "all: out of every selection; contact: not contacted")
        ->required()
        ->check(CLI::IsMember({"all", "contact"}));
    cmd->add_option("--reason", o->reason, "the request's reference");
    AddDate(cmd, "--received-date", &o->received_date, "when the request was received (default: today)");
    AddServiceAddresses(cmd, &o->services, /*required=*/true);
    RequireIntakeAddress(cmd, &global_);
  }
  {
    auto [cmd, o] = Add(kPrivacy, "subject-lift-objection", "lift an objection or restriction", SubjectLiftObjection);
    cmd->add_option("--bsn", o->bsn, "the person")->required()->check(kBsn);
    cmd->add_option("--reason", o->reason, "why it is lifted");
    AddServiceAddresses(cmd, &o->services, /*required=*/true);
    RequireIntakeAddress(cmd, &global_);
  }
  {
    auto [cmd, o] = Add(kPrivacy, "subject-erase",
                        "erase what each service holds about the person (GDPR art. 17) and show what went and what "
                        "stays; analysis-svc keeps a tombstone so that later imports skip the person",
                        SubjectErase);
    cmd->add_option("--bsn", o->bsn, "the person")->required()->check(kBsn);
    cmd->add_option("--reason", o->reason, "the request's reference");
    cmd->add_flag("--dry-run", o->dry_run, "only count it");
    AddServiceAddresses(cmd, &o->services, /*required=*/true);
    RequireIntakeAddress(cmd, &global_);
  }

  // The whole information action, and development.
  {
    auto [cmd, o] = Add(kOther, "flow",
                        "one signal through all nine steps of M7624 on analysis-svc's import directory (used by "
                        "scripts/run.sh); ends with \"flow-result: stage=... campaign=campaigns/<id> "
                        "signal=signals/<id>\"",
                        Flow);
    AddServiceAddresses(cmd, &o->services, /*required=*/true);
    cmd->add_option("--import-dir", o->import_dir, "analysis-svc's import directory")->required();
    cmd->add_option("--delivery-dir", o->delivery_dir, "dispatch-svc's delivery directory")->required();
    cmd->add_option("--logbook-dir", o->logbook_dir, "check that every entry of the action reached this logbook");
    cmd->add_option("--report-dir", o->report_dir, "write an access report of a customer the action contacted here");
    cmd->add_option("--control-share", o->control_share, "the share of each contacted group held back")
        ->capture_default_str()
        ->check(Fraction(0, 0.5));
    cmd->add_option("--seed", o->seed, "the seed of the run's choices")->capture_default_str()->check(kUnsigned);
    cmd->add_option("--time-zone", o->time_zone, "the zone \"today\" is in")->capture_default_str()->check(kTimeZone);
    cmd->add_option("--run-id", o->run_id, "the stamp of every request id (default: flow-<unix micros>)");
    AddChoice(cmd, "--until", &o->until, {"submitted", "approved"}, "stop after the campaign reached this stage");
    RequireIntakeAddress(cmd, &global_);
  }
  {
    auto [cmd, o] = Add(kOther, "token",
                        "print a development token for --as/--roles/--application (services in development mode "
                        "only)",
                        DevToken);
    AddDuration(cmd, "--lifetime", &o->lifetime, "how long it is valid");
  }
  Add(kOther, "jwks",
      "print the JSON Web Key Set that verifies the tokens minted with --token-key (a test deployment's "
      "CAK_JWT_JWKS_FILE)",
      PrintJwks);
}

CommandLine::~CommandLine() = default;

std::optional<int> CommandLine::Parse(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    app_->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    // CLI11's own exit codes (105, 106, ...) are all "bad usage" here.
    return app_->exit(e, out, err) == 0 ? kExitOk : kExitUsage;
  }
  // The token from the environment, unless the command line gave one either way (so that a
  // --token-file given overrides a CAK_TOKEN set in the shell).
  if (global_.token.empty() && global_.token_file.empty()) {
    if (const char* token = std::getenv("CAK_TOKEN")) global_.token = token;
    if (const char* file = std::getenv("CAK_TOKEN_FILE")) global_.token_file = file;
    if (!global_.token.empty() && !global_.token_file.empty()) {
      err << kProgram << ": CAK_TOKEN and CAK_TOKEN_FILE are both set; give the token once\n";
      return kExitUsage;
    }
  }
  return std::nullopt;
}

std::string CommandLine::command() const {
  for (const auto& c : commands_) {
    if (c->app->parsed()) return c->app->get_name();
  }
  return "";
}

int CommandLine::Run(std::ostream& err) const {
  for (const auto& c : commands_) {
    if (!c->app->parsed()) continue;
    auto client = Client::Create(global_);
    if (!client.ok()) {
      err << kProgram << ": " << client.status().message() << "\n";
      return kExitUsage;
    }
    return c->run(**client);
  }
  err << kProgram << ": no command\n";
  return kExitUsage;
}

int Main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandLine command_line;
  if (std::optional<int> exit_code = command_line.Parse(args, out, err)) return *exit_code;
  return command_line.Run(err);
}

}  // namespace cak::cli
