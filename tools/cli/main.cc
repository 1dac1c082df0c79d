// voorlichting-cli: a small command-line client for the suite's services, for operators and for
// the README's run command (`flow`). Errors are printed as a person can read them:
//   error: INVALID_ARGUMENT at signal.description (REQUIRED_FIELD_MISSING): signal.description is required
#include <cstdio>
#include <map>
#include <string>

#include "cli/analysis_commands.h"
#include "cli/campaign_commands.h"
#include "cli/client.h"
#include "cli/flow_command.h"
#include "cli/intake_commands.h"
#include "cli/log_command.h"
#include "cli/subject_command.h"

namespace {

constexpr char kUsage[] = R"(usage: voorlichting-cli [--address=host:port] [credentials] <command> [arguments]

credentials: --token=<JWT> (or CAK_TOKEN), or against a service in --auth-mode=development:
             --as=<id> --roles=<role,role> [--application]  (a token from the repository's test key)

commands (intake-svc):
  health [--service=NAME]
  submit --regulation=wlz|wmo --category=wrong_invoice|rule_change|confusing_letter|customer_signal|payment_problem|other
         --channel=kcc|email|letter|application|employee --description=TEXT [--bsn=BSN ...] [--request-id=ID]
  get signals/<id> [--full]          list [--state=STATE] [--page-size=N] [--all]
  add-info signals/<id> --text=TEXT  decline signals/<id> --reason=REASON --feedback=TEXT
  start-assessment signals/<id>      plan signals/<id> --campaign=campaigns/<id>
  close signals/<id> --feedback=TEXT watch signals/<id> [--after=N]
  purge [--dry-run]

commands (analysis-svc); a selection is --where=SPEC, terms joined by ';' (all must hold):
  regulation:WLZ,WMO  municipality:GM0363  min-age:N  max-age:N  min-debt:CENTS  max-debt:CENTS
  representative | no-representative  contact-person  payment-plan | no-payment-plan  active | inactive
  contacted:DAYS[:MIN]  not-contacted:DAYS  mailing:TYPE[,TYPE]:FROM:TO  all
  import --dataset=customers|relations|mailings|contact_reports --file=NAME.csv [--request-id=ID]
  snapshot                           impact [--where=SPEC] [--reference-date=YYYY-MM-DD]
  sample --size=N --seed=S [--stratify=regulation|municipality|routing] [--full --purpose=TEXT] [--where=SPEC]
  define-groups --signal=signals/<id> --group=NAME=SPEC ...   freeze targetGroupSets/<id> --group=NAME
  recipients recipientLists/<id> --fields=postal|phone|contact-moment [--limit=N]
  purge-customers [--dry-run]

the processing log (privacy officer), from one service (--address) or merged from all four:
  log --signal=signals/<id> | --trace=TRACE_ID | --bsn=BSN [--intake-address=H:P --analysis-address=H:P
      --dispatch-address=H:P --campaign-address=H:P]
       an information action (its signal's trace) or a trace as a tree of operations (service, operation,
       activity, legal basis, status, subjects); a data subject's entries as a list

  subject-access --bsn=BSN --intake-address=H:P --analysis-address=H:P --campaign-address=H:P
      --dispatch-address=H:P [--out=DIR]
       an access request (GDPR art. 15): what each service holds about the person and the processing history
       of all four, written as inzage-<time>.json and a Dutch inzage-<time>.html in DIR (default: here)
  subject-object --bsn=BSN --kind=objection|restriction --scope=all|contact --reason=TEXT
      [--received-date=YYYY-MM-DD] (and the four addresses, as subject-access)
       records an objection (GDPR art. 21) or restriction (art. 18) in analysis-svc's register and shows what
       each service does about it; scope all: out of all selection, contact: not contacted
  subject-lift-objection --bsn=BSN --reason=TEXT (and the four addresses)
  subject-erase --bsn=BSN --reason=TEXT [--dry-run] (and the four addresses)
       erases what each service holds about the person (GDPR art. 17), or with --dry-run counts it; shows what
       went and what stays (the hashed processing log, files already with an executor); analysis-svc keeps a
       tombstone so that later imports skip the person

  --trace=TRACEPARENT|TRACE_ID (any command): the call continues that trace (W3C traceparent), e.g. an
       information action's, so its processing-log entries join the action's
  --signal=signals/<id> (any command): the same for the signal's information action (its trace read from
       intake-svc at --intake-address, else --address)

  token [--lifetime=12h]             a development token for --as/--roles/--application (development mode only)

commands (campaign-svc):
  campaign-get campaigns/<id>        campaign-list [--state=draft|ready_for_review|approved|released|completed|cancelled] [--all]
  campaign-approve campaigns/<id> [--comment=TEXT] [--revision=N]   (approver role; not the campaign's designer)
  campaign-release campaigns/<id>    campaign-cancel campaigns/<id> --reason=TEXT

the whole information action (used by scripts/run.sh):
  flow --intake-address=H:P --analysis-address=H:P --dispatch-address=H:P --campaign-address=H:P
       --import-dir=DIR --delivery-dir=DIR [--logbook-dir=DIR] [--report-dir=DIR] [--control-share=0.1] [--seed=N]
       [--until=submitted|approved]
       one signal through all nine steps of M7624 on analysis-svc's import directory (its CSV extract);
       with --report-dir, an access report (subject-access) of a customer the action contacted;
       ends with "flow-result: stage=... campaign=campaigns/<id> signal=signals/<id>"
)";

}  // namespace

int main(int argc, char** argv) {
  // Global options come before the command; the rest belongs to the command.
  int cmd_at = 1;
  while (cmd_at < argc && std::string(argv[cmd_at]).rfind("--", 0) == 0) ++cmd_at;
  if (cmd_at >= argc) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  cak::cli::Args global = cak::cli::Args::Parse(cmd_at, argv, 1);
  cak::cli::Args args = cak::cli::Args::Parse(argc, argv, cmd_at + 1);
  for (const auto& [k, v] : global.options) args.options.emplace(k, v);
  const std::string command = argv[cmd_at];
  cak::cli::Client client(args);

  using Command = int (*)(const cak::cli::Client&, const cak::cli::Args&);
  const std::map<std::string, Command> commands = {
      {"health", cak::cli::Health},
      {"submit", cak::cli::Submit},
      {"get", cak::cli::Get},
      {"list", cak::cli::List},
      {"add-info", cak::cli::AddInformation},
      {"decline", cak::cli::Decline},
      {"start-assessment", cak::cli::StartAssessment},
      {"plan", cak::cli::MarkActionPlanned},
      {"close", cak::cli::Close},
      {"watch", cak::cli::Watch},
      {"purge", cak::cli::Purge},
      {"log", cak::cli::ProcessingLog},
      {"subject-access", cak::cli::SubjectAccess},
      {"subject-object", cak::cli::SubjectObject},
      {"subject-lift-objection", cak::cli::SubjectLiftObjection},
      {"subject-erase", cak::cli::SubjectErase},
      {"import", cak::cli::Import},
      {"snapshot", cak::cli::Snapshot},
      {"impact", cak::cli::Impact},
      {"sample", cak::cli::Sample},
      {"define-groups", cak::cli::DefineGroups},
      {"freeze", cak::cli::Freeze},
      {"recipients", cak::cli::Recipients},
      {"purge-customers", cak::cli::PurgeCustomers},
      {"campaign-get", cak::cli::CampaignGet},
      {"campaign-list", cak::cli::CampaignList},
      {"campaign-approve", cak::cli::CampaignApprove},
      {"campaign-release", cak::cli::CampaignRelease},
      {"campaign-cancel", cak::cli::CampaignCancel},
      {"flow", cak::cli::Flow},
      {"token", cak::cli::DevToken},
  };
  auto it = commands.find(command);
  if (it == commands.end()) {
    std::fprintf(stderr, "unknown command '%s'\n\n%s", command.c_str(), kUsage);
    return 2;
  }
  return it->second(client, args);
}
