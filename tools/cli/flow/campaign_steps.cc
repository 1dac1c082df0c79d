// voorlichting-cli `flow`, steps 4 to 6 of processing record M7624 (see flow_run.h): the plan of
// the information action (its four target groups, and per group the action, the message and the
// guidelines for the executor); the ordered, disjoint target groups in analysis-svc and the
// campaign around them, and the analyst's pseudonymised listing of one group (step 4); per group
// the message with its plain-language check, a preview,
// and the action (steps 5 and 6), including a message campaign-svc must refuse.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "cli/flow/flow_run.h"
#include "cli/output.h"

namespace cak::cli::flow {

// ---------------------------------------------------------------------------------------------
// The plan of the information action: the groups, their actions and messages.

namespace {

apb::Predicate* AddTerm(apb::Criteria* c) { return c->mutable_all()->add_items()->mutable_predicate(); }

constexpr char kLetter[] =
    "{aanhef},\n\n"
    "U krijgt deze brief over {naam}. Het klantnummer is {klantnummer}.\n\n"
    "In november kreeg u een factuur voor de eigen bijdrage Wlz. Het bedrag op die factuur was te hoog. "
    "Wij rekenden {bedrag} te veel. Dat is onze fout. Het spijt ons.\n\n"
    "U hoeft niets te doen. U krijgt een nieuwe factuur met het goede bedrag. "
    "Heeft u al betaald? Dan krijgt u het verschil vanzelf terug.\n\n"
    "Heeft u vragen? Bel ons gratis op 0800 0087. Noem dan het kenmerk {kenmerk}.\n\n"
    "Met vriendelijke groet,\nCAK\n\n{datum}";
constexpr char kCallScript[] =
    "Vraag naar {naam}. Het klantnummer is {klantnummer}.\n"
    "Zeg: u belt namens het CAK over de factuur eigen bijdrage Wlz van november. "
    "Het bedrag op die factuur was {bedrag} te hoog. Dat is onze fout. "
    "De klant hoeft niets te doen. Er komt een nieuwe factuur. "
    "Is er al betaald? Dan krijgt de klant het verschil vanzelf terug. "
    "Noem het kenmerk {kenmerk}.";
constexpr char kContactMoment[] =
    "Klant {klantnummer}: de factuur eigen bijdrage Wlz van november was {bedrag} te hoog. "
    "Klant hoeft niets te doen. Nieuwe factuur volgt. Terugbetaling gaat vanzelf. Kenmerk {kenmerk}.";

}  // namespace

// Active Wlz customers: who received the wrong November invoice.
apb::Criteria Affected() {
  apb::Criteria c;
  AddTerm(&c)->mutable_regulation_in()->add_regulations(apb::REGULATION_WLZ);
  AddTerm(&c)->set_active(true);
  return c;
}

std::vector<GroupPlan> Plan() {
  std::vector<GroupPlan> plan;
  {
    GroupPlan g{"Wlz met vertegenwoordiger",
                cpb::ACTION_LETTER,
                Affected(),
                kLetter,
                "Standaard envelop, geen bijlagen. De brief gaat naar de wettelijk vertegenwoordiger.",
                ""};
    AddTerm(&g.criteria)->set_has_representative(true);
    plan.push_back(g);
  }
  {
    GroupPlan g{"Wlz telefonisch bereikbaar",
                cpb::ACTION_CALL,
                Affected(),
                kCallScript,
                "Bel op werkdagen tussen 9 en 17 uur. Geen gehoor: niet inspreken, twee pogingen.",
                ""};
    auto* contacted = AddTerm(&g.criteria)->mutable_contacted_within();
    contacted->set_days(365);
    contacted->add_channels(apb::CONTACT_CHANNEL_PHONE);
    contacted->set_reached_only(true);
    plan.push_back(g);
  }
  {
    GroupPlan g{"Wlz met betalingsregeling", cpb::ACTION_NONE, Affected(), "", "", ""};
    AddTerm(&g.criteria)->set_payment_plan(true);
    plan.push_back(g);
  }
  plan.push_back({"Overige Wlz-klanten", cpb::ACTION_CONTACT_MOMENT, Affected(), kContactMoment,
                  "Plaats het contactmoment in het klantdossier, zichtbaar voor het KCC.", "VK-WLZ-FACTUUR-NOV"});
  return plan;
}

const cpb::CampaignGroup* FlowRun::GroupOf(const std::string& name) const {
  for (const auto& g : campaign_.groups()) {
    if (g.group() == name) return &g;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Step 4: target groups (analysis-svc) and the campaign that gives each its solution.

bool FlowRun::DefineGroups() {
  Step(4, "Stap 4 Inhoudelijk afstemmen: ordered, disjoint target groups, and the campaign around them");
  apb::DefineTargetGroupsRequest req;
  req.set_request_id(stamp_ + "-groups");
  req.set_signal(signal_);
  for (const GroupPlan& g : plan_) {
    auto* named = req.add_groups();
    named->set_name(g.name);
    *named->mutable_criteria() = g.criteria;
  }
  apb::TargetGroupSet set;
  if (!Ok(analysis_->DefineTargetGroups(As(analyst_).get(), req, &set), "DefineTargetGroups")) return false;
  target_group_set_ = set.name();
  unassigned_ = set.unassigned_count();
  int64_t grouped = 0, excluded = 0;
  for (const auto& g : set.groups()) {
    grouped += g.impact().total();
    excluded += g.impact().excluded_by_objection();
    std::printf("  %-28s %6s customers; routing %s\n", g.name().c_str(), Thousands(g.impact().total()).c_str(),
                CountList(g.impact().by_routing()).c_str());
  }
  std::printf("  %s by %s on snapshot %lld: %s in the groups, %s customers in none, %s left out by an objection\n",
              set.name().c_str(), set.defined_by().c_str(), static_cast<long long>(set.snapshot_version()),
              Thousands(grouped).c_str(), Thousands(set.unassigned_count()).c_str(), Thousands(excluded).c_str());
  if (!Expect(excluded == 1, "the target groups do not count the objection")) return false;
  if (!Expect(grouped == affected_,
              absl::StrCat("the groups hold ", grouped, " customers, the selection ", affected_))) {
    return false;
  }
  if (!ListGroup(set, "Wlz telefonisch bereikbaar")) return false;

  cpb::CreateCampaignRequest create;
  create.set_request_id(stamp_ + "-campaign");
  auto* c = create.mutable_campaign();
  c->set_title("Verkeerde factuur eigen bijdrage Wlz november");
  c->set_signal(signal_);
  c->set_target_group_set(target_group_set_);
  c->set_control_share(control_share_);
  c->set_control_seed(seed_);
  // What counts as a response to this action: contacts on these topics of the KCC's list.
  for (const char* topic : kResponseTopics) c->add_response_topics(topic);
  if (!Ok(campaigns_->CreateCampaign(As(designer_).get(), create, &campaign_), "CreateCampaign")) return false;
  std::printf("  %s created by %s (%s), %d groups, %.0f%% of each contacted group held back as control\n",
              campaign_.name().c_str(), campaign_.created_by().c_str(),
              Short(cpb::CampaignState_Name(campaign_.state()), "CAMPAIGN_STATE_").c_str(), campaign_.groups_size(),
              campaign_.control_share() * 100);
  std::printf("  a response is a contact on: %s\n", absl::StrJoin(campaign_.response_topics(), ", ").c_str());
  return Expect(campaign_.groups_size() == static_cast<int>(plan_.size()), "the campaign lacks groups");
}

// The analyst's listing (uitlijsting) of one group for the KCC's planning: pseudonymised (the
// default), streamed as CSV with its progress; written to --report-dir when given.
bool FlowRun::ListGroup(const apb::TargetGroupSet& set, const std::string& group) {
  apb::ExportListingRequest req;
  req.set_target_group_set(set.name());
  req.set_group(group);
  for (apb::ListingField f :
       {apb::LISTING_FIELD_BSN, apb::LISTING_FIELD_AGE, apb::LISTING_FIELD_MUNICIPALITY, apb::LISTING_FIELD_ROUTING}) {
    req.add_fields(f);
  }
  auto ctx = As(analyst_);
  auto reader = analysis_->ExportListing(ctx.get(), req);
  apb::ExportListingResponse piece;
  std::string csv;
  int64_t rows = 0, total = 0, pieces = 0;
  while (reader->Read(&piece)) {
    csv += piece.csv();
    rows = piece.rows_sent();
    total = piece.total_rows();
    ++pieces;
  }
  if (!Ok(reader->Finish(), "ExportListing")) return false;
  int64_t members = -1;
  for (const auto& g : set.groups()) {
    if (g.name() == group) members = g.impact().total();
  }
  const std::string header = csv.substr(0, csv.find('\n'));
  if (!Expect(rows == members && total == members,
              absl::StrCat("the listing of '", group, "' has ", rows, " rows, the group ", members, " members"))) {
    return false;
  }
  if (!Expect(header.find("bsn") == std::string::npos && header.find("pseudonym") != std::string::npos,
              absl::StrCat("the pseudonymised listing's header is \"", header, "\""))) {
    return false;
  }
  std::string where = "not kept";
  if (!options_.report_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options_.report_dir, ec);
    if (!Expect(!ec, absl::StrCat("cannot create ", options_.report_dir, ": ", ec.message()))) return false;
    const std::filesystem::path path = std::filesystem::path(options_.report_dir) / ("listing-" + stamp_ + ".csv");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    // Pseudonymised is still personal data: the owner's only, before anything is written.
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    out << csv;
    if (!Expect(static_cast<bool>(out), absl::StrCat("cannot write ", path.string()))) return false;
    where = path.string();
  }
  std::printf("  %s lists '%s' pseudonymised: %s rows in %lld piece(s), columns %s; %s\n", analyst_.id.c_str(),
              group.c_str(), Thousands(rows).c_str(), static_cast<long long>(pieces), header.c_str(), where.c_str());
  return true;
}

// ---------------------------------------------------------------------------------------------
// Steps 5 and 6: per group the message and the action.

bool FlowRun::MessagesAndActions() {
  Step(5, "Stap 5 en 6 Formuleren boodschap, bepalen actie: per group the channel, the message and its B1 check");
  for (const GroupPlan& g : plan_) {
    cpb::UpdateCampaignGroupRequest req;
    req.set_campaign(campaign_.name());
    req.set_group(g.name);
    req.set_action(g.action);
    req.mutable_update_mask()->add_paths("action");
    if (Contacted(g.action)) {
      req.set_message_text(g.message);
      req.set_guidelines(g.guidelines);
      SetDay(today_, req.mutable_window_start());
      SetDay(today_ + 14, req.mutable_window_end());
      (*req.mutable_values())["bedrag"] = "€ 23,40";
      (*req.mutable_values())["kenmerk"] = "VK-2026-WLZ11";
      for (const char* p : {"message_text", "guidelines", "window_start", "window_end", "values"}) {
        req.mutable_update_mask()->add_paths(p);
      }
      if (!g.contact_moment_code.empty()) {
        req.set_contact_moment_code(g.contact_moment_code);
        req.mutable_update_mask()->add_paths("contact_moment_code");
      }
    }
    if (!Ok(campaigns_->UpdateCampaignGroup(As(designer_).get(), req, &campaign_),
            absl::StrCat("UpdateCampaignGroup '", g.name, "'"))) {
      return false;
    }
    const cpb::CampaignGroup* group = GroupOf(g.name);
    if (!Expect(group != nullptr, "group missing after update")) return false;
    std::printf("  %-28s %-15s", g.name.c_str(), Short(cpb::Action_Name(group->action()), "ACTION_").c_str());
    if (!Contacted(g.action)) {
      std::printf("not contacted (their payment arrangement is corrected by hand)\n");
      continue;
    }
    const auto& r = group->message().readability();
    std::printf("message v%d, window %s..%s\n", group->message().version(), Day(group->window_start()).c_str(),
                Day(group->window_end()).c_str());
    std::printf("    plain language: Flesch-Douma %.1f, level %s%s; %d sentences, %.1f words per sentence\n",
                r.flesch_douma(), r.level().c_str(), r.below_b1() ? " (harder than B1)" : " (B1 or easier)",
                r.sentences(), r.words_per_sentence());
    for (const auto& w : r.warnings()) std::printf("    warning: %s\n", w.c_str());
  }

  const std::string letter_group = plan_[0].name;
  cpb::PreviewMessageRequest preview;
  preview.set_campaign(campaign_.name());
  preview.set_group(letter_group);
  preview.set_sample_size(2);
  preview.set_seed(seed_);
  cpb::PreviewMessageResponse previews;
  if (!Ok(campaigns_->PreviewMessage(As(designer_).get(), preview, &previews), "PreviewMessage")) return false;
  std::printf("  preview of '%s' (message v%d) for %d pseudonymised recipients:\n", letter_group.c_str(),
              previews.message_version(), previews.previews_size());
  for (const auto& p : previews.previews()) {
    std::printf("    --- %s\n", p.pseudonym().c_str());
    std::istringstream lines(p.text());
    std::string line;
    for (int n = 0; std::getline(lines, line) && n < 4; ++n) {
      if (!line.empty()) std::printf("    | %s\n", line.c_str());
    }
    std::printf("    | ...\n");
  }
  if (!Expect(previews.previews_size() > 0, "the preview rendered nothing")) return false;

  // A text asking for data the channel may not carry is refused, and nothing changes.
  cpb::UpdateCampaignGroupRequest bad;
  bad.set_campaign(campaign_.name());
  bad.set_group(letter_group);
  bad.set_message_text("{aanhef},\n\nWij schrijven het bedrag af van rekening {iban}.");
  bad.mutable_update_mask()->add_paths("message_text");
  cpb::Campaign ignored;
  const grpc::Status refused = campaigns_->UpdateCampaignGroup(As(designer_).get(), bad, &ignored);
  std::printf("  a message with {iban}: %s\n", refused.ok() ? "ACCEPTED" : DescribeError(refused).c_str());
  if (!Expect(refused.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
                  absl::StrContains(refused.error_message(), "{iban}"),
              "a message with the unknown placeholder {iban} was not refused as INVALID_ARGUMENT naming it")) {
    return false;
  }
  cpb::Campaign after;
  if (!GetCampaign(&after)) return false;
  campaign_ = after;
  return Expect(GroupOf(letter_group)->message().version() == previews.message_version(),
                "the refused message changed the group");
}

}  // namespace cak::cli::flow
