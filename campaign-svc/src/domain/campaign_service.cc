// campaign-svc use cases (see campaign_service.h).
#include "campaign-svc/src/domain/campaign_service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "campaign-svc/src/domain/reasons.h"
#include "campaign-svc/src/domain/subject_export.h"
#include "common/base/contact_topics.h"
#include "common/base/errors.h"
#include "common/base/message_template.h"
#include "common/base/random.h"
#include "common/base/request_id.h"
#include "common/base/text_rules.h"
#include "common/base/trace_context.h"

namespace cak::campaign::domain {

using common::CallContext;
using common::FieldError;
using common::InvalidField;
using common::MakeError;
using common::ProcessingActivity;
using common::ProcessingRecord;

namespace {

constexpr size_t kMaxTitle = 200;
constexpr size_t kMaxGuidelines = 20000;
constexpr size_t kMaxComment = 2000;
constexpr size_t kMaxFeedback = 4000;
constexpr size_t kMaxCode = 40;

bool HasPath(const GroupUpdate& u, absl::string_view path) {
  return std::find(u.paths.begin(), u.paths.end(), path) != u.paths.end();
}

absl::Status InvalidTransition(const Campaign& c, absl::string_view what) {
  return MakeError(absl::StatusCode::kFailedPrecondition, reason::kInvalidTransition,
                   absl::StrCat("cannot ", what, " a campaign that is ", CampaignStateName(c.state)));
}

absl::Status ValidateCode(absl::string_view code, absl::string_view field) {
  if (code.size() > kMaxCode) return InvalidField(common::reason::kFieldTooLong, field, "at most 40 characters");
  for (char ch : code) {
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.')) {
      return InvalidField(common::reason::kInvalidFieldValue, field, "use A-Z, 0-9, '-', '_' and '.'");
    }
  }
  return absl::OkStatus();
}

// The message of a contacted group, parsed for its channel (INVALID_ARGUMENT naming the
// placeholder, field `field`).
absl::Status ValidateMessage(const std::string& text, Action action, absl::string_view field) {
  if (!Contacted(action)) return absl::OkStatus();
  return common::MessageTemplate::Parse(text, ChannelOf(action), field).status();
}

std::string GroupRequestId(const Campaign& c, const CampaignGroup& g, absl::string_view what) {
  return absl::StrCat("campaign-", c.id, "-group-", g.priority, "-", what);
}

bool FeasibilityMatches(const Campaign& c, const CampaignGroup& g) {
  return g.feasibility && g.feasibility->action == g.action && g.feasibility->volume == ContactedVolume(c, g) &&
         g.window_start && g.window_end && g.feasibility->window_start == *g.window_start &&
         g.feasibility->window_end == *g.window_end && g.feasibility->guidelines == g.guidelines;
}

}  // namespace

CampaignService::CampaignService(CampaignRepository* repository, IntakeGateway* intake, AnalysisGateway* analysis,
                                 DispatchGateway* dispatch, const common::Clock* clock, CampaignSettings settings)
    : repository_(repository),
      intake_(intake),
      analysis_(analysis),
      dispatch_(dispatch),
      clock_(clock),
      settings_(std::move(settings)) {}

absl::CivilDay CampaignService::Today() const { return absl::ToCivilDay(clock_->Now(), settings_.zone); }

absl::StatusOr<Campaign> CampaignService::Load(const CallContext& call, const std::string& id) {
  if (!common::IsUuid(id)) {
    return MakeError(absl::StatusCode::kNotFound, reason::kCampaignNotFound, "campaign not found");
  }
  return repository_->Get(id, call.deadline);
}

// ---------------------------------------------------------------------------------------------
// Create, read

namespace {

constexpr size_t kMaxResponseTopics = 20;

// A campaign's response topics: known to the contact-report extract, none twice.
absl::Status ValidateResponseTopics(const std::vector<std::string>& topics, absl::string_view field) {
  if (topics.size() > kMaxResponseTopics) {
    return InvalidField(common::reason::kInvalidFieldValue, field,
                        absl::StrCat("at most ", kMaxResponseTopics, " response topics"));
  }
  for (size_t i = 0; i < topics.size(); ++i) {
    const std::string path = absl::StrCat(field, "[", i, "]");
    if (!common::IsContactTopic(topics[i])) {
      return InvalidField(reason::kUnknownContactTopic, path,
                          "not a topic of the contact-report extract (see the topic list in campaign-svc/README.md)");
    }
    if (std::find(topics.begin(), topics.begin() + static_cast<std::ptrdiff_t>(i), topics[i]) !=
        topics.begin() + static_cast<std::ptrdiff_t>(i)) {
      return InvalidField(common::reason::kInvalidFieldValue, path, "the topic is given twice");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Campaign> CampaignService::Create(const CallContext& call, const NewCampaign& request, bool* replayed) {
  if (!request.request_id.empty()) CAK_RETURN_IF_ERROR(common::ValidateRequestId(request.request_id));
  CAK_RETURN_IF_ERROR(common::ValidateText(request.title, kMaxTitle, "campaign.title"));
  if (!(request.control_share >= 0 && request.control_share <= 0.5)) {
    return InvalidField(common::reason::kInvalidFieldValue, "campaign.control_share", "must be between 0 and 0.5");
  }
  CAK_RETURN_IF_ERROR(ValidateResponseTopics(request.response_topics, "campaign.response_topics"));
  for (size_t i = 0; i < request.response_channels.size(); ++i) {
    const auto& channels = request.response_channels;
    if (std::find(channels.begin(), channels.begin() + static_cast<std::ptrdiff_t>(i), channels[i]) !=
        channels.begin() + static_cast<std::ptrdiff_t>(i)) {
      return InvalidField(common::reason::kInvalidFieldValue, absl::StrCat("campaign.response_channels[", i, "]"),
                          "the channel is given twice");
    }
  }
  // A repeat answers with the first campaign before the peers are asked: by now the signal may
  // have moved on, or a peer may be down (AIP-155).
  common::IdempotencyKey key{"CreateCampaign", request.request_id, request.fingerprint};
  if (!request.request_id.empty()) {
    CAK_ASSIGN_OR_RETURN(std::optional<Campaign> earlier, repository_->FindCreated(key, call.deadline));
    if (earlier) {
      *replayed = true;
      return *std::move(earlier);
    }
  }
  // The peers first: a campaign exists only for an open signal and a set defined for it.
  CAK_ASSIGN_OR_RETURN(SignalInfo signal, intake_->GetSignal(call, request.signal_id));
  if (signal.state != SignalState::kInAssessment) {
    return FieldError(absl::StatusCode::kFailedPrecondition, reason::kSignalNotInAssessment, "campaign.signal",
                      "the signal must be IN_ASSESSMENT (start its assessment in intake-svc first)");
  }
  // The campaign belongs to the signal's action (a signal from before traces were recorded:
  // this call starts it).
  const std::string action = signal.action_traceparent.empty() ? call.trace.ToTraceparent() : signal.action_traceparent;
  const CallContext act = common::WithinAction(call, action);
  CAK_ASSIGN_OR_RETURN(TargetGroupSetInfo set, analysis_->GetTargetGroupSet(act, request.target_group_set_id));
  if (set.signal_id != request.signal_id) {
    return FieldError(absl::StatusCode::kInvalidArgument, reason::kTargetGroupSetOfOtherSignal,
                      "campaign.target_group_set", "the target group set was defined for another signal");
  }
  Campaign c;
  c.id = common::NewUuid();
  c.title = request.title;
  c.signal_id = request.signal_id;
  c.target_group_set_id = request.target_group_set_id;
  c.control_share = request.control_share;
  c.control_seed = request.control_seed;
  c.response_topics = request.response_topics;
  c.response_channels = request.response_channels;
  c.created_by = call.principal.id;
  c.create_time = c.update_time = clock_->Now();
  c.action_traceparent = action;
  int priority = 0;
  for (const TargetGroupInfo& g : set.groups) {
    CampaignGroup& group = c.groups.emplace_back();
    group.name = g.name;
    group.priority = ++priority;
    group.member_count = g.member_count;
  }
  ProcessingRecord record = Record(c, "CreateCampaign", ProcessingActivity::kBepalenActie);
  record.attributes["target_group_set"] = absl::StrCat("targetGroupSets/", c.target_group_set_id);
  record.attributes["groups"] = absl::StrCat(c.groups.size());
  if (!c.response_topics.empty()) record.attributes["response_topics"] = absl::StrJoin(c.response_topics, "|");
  if (!c.response_channels.empty()) {
    record.attributes["response_channels"] =
        absl::StrJoin(c.response_channels, "|",
                      [](std::string* out, ResponseChannel ch) { absl::StrAppend(out, static_cast<int>(ch)); });
  }
  return repository_->Create(c, request.request_id.empty() ? nullptr : &key, replayed, act, record);
}

absl::StatusOr<Campaign> CampaignService::Get(const CallContext& call, const std::string& id) { return Load(call, id); }

absl::StatusOr<std::vector<Campaign>> CampaignService::List(const CallContext& call, const CampaignFilter& filter,
                                                            const std::optional<ListPosition>& after, int limit) {
  return repository_->List(filter, after, limit, call.deadline);
}

absl::StatusOr<std::vector<MessageVersion>> CampaignService::ListMessageVersions(const CallContext& call,
                                                                                 const std::string& id,
                                                                                 const std::string& group) {
  CAK_ASSIGN_OR_RETURN(Campaign c, Load(call, id));
  CAK_RETURN_IF_ERROR(FindGroup(c, group, "group").status());
  return repository_->ListMessageVersions(id, group, call.deadline);
}

// ---------------------------------------------------------------------------------------------
// Steps 5 and 6: message and action per group

absl::StatusOr<Campaign> CampaignService::UpdateGroup(const CallContext& call, const std::string& id,
                                                      const GroupUpdate& u) {
  static const char* const kPaths[] = {"action",     "message_text",        "guidelines", "window_start",
                                       "window_end", "contact_moment_code", "values"};
  if (u.paths.empty()) {
    return InvalidField(common::reason::kRequiredFieldMissing, "update_mask", "name the fields to change");
  }
  for (size_t i = 0; i < u.paths.size(); ++i) {
    if (std::find(std::begin(kPaths), std::end(kPaths), u.paths[i]) == std::end(kPaths)) {
      return InvalidField(common::reason::kInvalidFieldValue, absl::StrCat("update_mask.paths[", i, "]"),
                          absl::StrCat("unknown path \"", u.paths[i], "\""));
    }
  }
  CAK_ASSIGN_OR_RETURN(Campaign c, Load(call, id));
  CAK_ASSIGN_OR_RETURN(size_t gi, FindGroup(c, u.group, "group"));
  CAK_RETURN_IF_ERROR(CheckEditable(c));
  const int64_t expected = c.revision;
  CampaignGroup& g = c.groups[gi];
  const Action old_action = g.action;

  if (HasPath(u, "action")) {
    if (u.action == Action::kUnspecified) {
      return InvalidField(common::reason::kRequiredFieldMissing, "action",
                          "choose LETTER, CALL, CONTACT_MOMENT or NONE");
    }
    g.action = u.action;
  }
  if (HasPath(u, "guidelines")) {
    CAK_RETURN_IF_ERROR(common::ValidateOptionalText(u.guidelines, kMaxGuidelines, "guidelines"));
    g.guidelines = u.guidelines;
  }
  if (HasPath(u, "window_start")) g.window_start = u.window_start;
  if (HasPath(u, "window_end")) g.window_end = u.window_end;
  if (HasPath(u, "window_start") || HasPath(u, "window_end")) {
    if (g.window_start && *g.window_start < Today()) {
      return InvalidField(reason::kInvalidWindow, "window_start", "the window must not start in the past");
    }
    if (g.window_start && g.window_end && *g.window_end < *g.window_start) {
      return InvalidField(reason::kInvalidWindow, "window_end", "the window ends before it starts");
    }
  }
  if (HasPath(u, "contact_moment_code")) {
    CAK_RETURN_IF_ERROR(ValidateCode(u.contact_moment_code, "contact_moment_code"));
    g.contact_moment_code = u.contact_moment_code;
  }
  if (HasPath(u, "values")) {
    for (const auto& [k, v] : u.values) {
      if (k != "bedrag" && k != "kenmerk") {
        return InvalidField(reason::kUnknownValue, absl::StrCat("values[", k, "]"),
                            "order-wide values are {bedrag} and {kenmerk}");
      }
      CAK_RETURN_IF_ERROR(common::ValidateText(v, 200, absl::StrCat("values[", k, "]")));
    }
    g.values = u.values;
  }
  std::optional<std::pair<size_t, MessageVersion>> new_message;
  if (HasPath(u, "message_text")) {
    CAK_RETURN_IF_ERROR(common::ValidateCharacters(u.message_text, "message_text"));
    CAK_RETURN_IF_ERROR(ValidateMessage(u.message_text, g.action, "message_text"));
    if (!Contacted(g.action)) {
      CAK_RETURN_IF_ERROR(
          common::MessageTemplate::Parse(u.message_text, common::MessageChannel::kLetter, "message_text").status());
    }
    MessageVersion m;
    m.version = g.message ? g.message->version + 1 : 1;
    m.text = u.message_text;
    m.author = call.principal.id;
    m.create_time = clock_->Now();
    g.message = m;
    new_message = std::make_pair(gi, m);
  } else if (g.message && g.action != old_action) {
    // The current text must fit the new channel too (e.g. a letter's {naam} in a contact moment).
    CAK_RETURN_IF_ERROR(ValidateMessage(g.message->text, g.action, "action"));
  }
  if (!FeasibilityMatches(c, g)) g.feasibility.reset();
  Touch(&c, call.principal.id, clock_->Now());
  CampaignRepository::Change change;
  change.campaign = &c;
  change.expected_revision = expected;
  change.new_message = new_message;
  change.call = &call;
  change.record = Record(c, "UpdateCampaignGroup",
                         new_message ? ProcessingActivity::kFormulerenBoodschap : ProcessingActivity::kBepalenActie);
  change.record->attributes["group"] = g.name;
  change.record->attributes["fields"] = absl::StrJoin(u.paths, ",");
  if (new_message) change.record->attributes["message_version"] = absl::StrCat(new_message->second.version);
  CAK_RETURN_IF_ERROR(repository_->Save(change, call.deadline));
  return c;
}

absl::StatusOr<Preview> CampaignService::PreviewMessage(const CallContext& call, const std::string& id,
                                                        const PreviewRequest& request) {
  if (request.sample_size < 1 || request.sample_size > 20) {
    return InvalidField(common::reason::kInvalidFieldValue, "sample_size", "between 1 and 20");
  }
  CAK_ASSIGN_OR_RETURN(Campaign c, Load(call, id));
  CAK_ASSIGN_OR_RETURN(size_t gi, FindGroup(c, request.group, "group"));
  const CampaignGroup& g = c.groups[gi];
  if (!g.message) {
    return FieldError(absl::StatusCode::kFailedPrecondition, reason::kNoMessage, "group",
                      absl::StrCat("group \"", g.name, "\" has no message yet"));
  }
  const common::MessageChannel channel = Contacted(g.action) ? ChannelOf(g.action) : common::MessageChannel::kLetter;
  CAK_ASSIGN_OR_RETURN(common::MessageTemplate tpl, common::MessageTemplate::Parse(g.message->text, channel, "group"));
  const CallContext act = common::WithinAction(call, c.action_traceparent);
  CAK_ASSIGN_OR_RETURN(std::vector<PreviewSubject> subjects,
                       analysis_->SampleGroup(act, c.target_group_set_id, g.name, request.sample_size, request.seed));
  // What the preview shows is logged per subject before it is shown.
  ProcessingRecord record = Record(c, "PreviewMessage", ProcessingActivity::kFormulerenBoodschap);
  record.attributes["group"] = g.name;
  record.attributes["message_version"] = absl::StrCat(g.message->version);
  record.attributes["sample_size"] = absl::StrCat(subjects.size());
  record.attributes["seed"] = absl::StrCat(request.seed);
  for (const PreviewSubject& s : subjects) {
    if (!s.data_subject_id.empty()) record.data_subject_ids.push_back(s.data_subject_id);
  }
  CAK_RETURN_IF_ERROR(repository_->Log(act, record, call.deadline));
  Preview out;
  out.message_version = g.message->version;
  out.text = g.message->text;
  const std::string date = common::DutchLongDate(g.window_start.value_or(Today()));
  auto value = [&](const char* key) {
    auto it = g.values.find(key);
    return it == g.values.end() ? absl::StrCat("[", key, "]") : it->second;
  };
  const std::string bedrag = value("bedrag"), kenmerk = value("kenmerk");
  for (const PreviewSubject& s : subjects) {
    // Pseudonymised: the masked name, and stand-ins for what the preview may not show.
    const std::string addressee = s.routed_to_relation ? std::string("[vertegenwoordiger]") : s.masked_name;
    const std::string aanhef =
        common::DutchSalutation(common::SalutationKind::kNeutral, !s.routed_to_relation, addressee);
    common::PlaceholderValues values{};
    values[static_cast<int>(common::Placeholder::kAanhef)] = aanhef;
    values[static_cast<int>(common::Placeholder::kNaam)] = s.masked_name;
    values[static_cast<int>(common::Placeholder::kNaamGeadresseerde)] = addressee;
    values[static_cast<int>(common::Placeholder::kKlantnummer)] = "[klantnummer]";
    values[static_cast<int>(common::Placeholder::kDatum)] = date;
    values[static_cast<int>(common::Placeholder::kBedrag)] = bedrag;
    values[static_cast<int>(common::Placeholder::kKenmerk)] = kenmerk;
    out.previews.push_back({s.pseudonym, tpl.Render(values)});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Step 7: feasibility

absl::StatusOr<Campaign> CampaignService::CheckFeasibility(const CallContext& asked, const std::string& id) {
  CAK_ASSIGN_OR_RETURN(Campaign c, Load(asked, id));
  CAK_RETURN_IF_ERROR(CheckEditable(c));
  const CallContext call = common::WithinAction(asked, c.action_traceparent);
  int64_t asked_groups = 0;
  const int64_t expected = c.revision;
  for (CampaignGroup& g : c.groups) {
    if (!Contacted(g.action) || !g.window_start || !g.window_end) continue;
    if (FeasibilityMatches(c, g)) {
      if (g.feasibility->state != FeasibilityState::kAwaitingSignOff) continue;
      CAK_ASSIGN_OR_RETURN(GroupFeasibility fresh, dispatch_->GetFeasibility(call, g.feasibility->check_id));
      fresh.action = g.action;
      fresh.window_start = *g.window_start;
      fresh.window_end = *g.window_end;
      fresh.volume = g.feasibility->volume;
      fresh.guidelines = g.feasibility->guidelines;
      g.feasibility = fresh;
      continue;
    }
    FeasibilityQuestion q;
    q.request_id = GroupRequestId(c, g, absl::StrCat("feasibility-", c.revision));
    q.action = g.action;
    q.volume = ContactedVolume(c, g);
    q.window_start = *g.window_start;
    q.window_end = *g.window_end;
    q.campaign_name = absl::StrCat("campaigns/", c.id);
    q.guidelines = g.guidelines;
    if (q.volume <= 0) continue;
    ++asked_groups;
    CAK_ASSIGN_OR_RETURN(GroupFeasibility answer, dispatch_->CheckFeasibility(call, q));
    answer.action = g.action;
    answer.volume = q.volume;
    answer.window_start = q.window_start;
    answer.window_end = q.window_end;
    answer.guidelines = q.guidelines;
    g.feasibility = answer;
  }
  // Answers from the executor are no edit by the caller: the revision moves, the editors not.
  c.update_time = clock_->Now();
  ++c.revision;
  CampaignRepository::Change change;
  change.campaign = &c;
  change.expected_revision = expected;
  change.call = &call;
  change.record = Record(c, "CheckCampaignFeasibility", ProcessingActivity::kToetsenActieUitvoerder);
  change.record->attributes["groups_asked"] = absl::StrCat(asked_groups);
  CAK_RETURN_IF_ERROR(repository_->Save(change, call.deadline));
  return c;
}

// ---------------------------------------------------------------------------------------------
// Four eyes

absl::StatusOr<Campaign> CampaignService::Decide(const CallContext& call, Campaign c, int64_t expected_revision,
                                                 CampaignState to, DecisionKind kind, std::string comment,
                                                 ProcessingRecord record, std::vector<common::OutboxMessage> outbox) {
  const absl::Time now = clock_->Now();
  c.state = to;
  c.update_time = now;
  ++c.revision;
  CampaignRepository::Change change;
  change.campaign = &c;
  change.expected_revision = expected_revision;
  change.decision = Decision{kind, call.principal.id, std::move(comment), now};
  change.outbox = std::move(outbox);
  change.call = &call;
  record.attributes["state"] = std::string(CampaignStateName(to));
  record.attributes["revision"] = absl::StrCat(c.revision);
  change.record = std::move(record);
  CAK_RETURN_IF_ERROR(repository_->Save(change, call.deadline));
  c.decisions.push_back(*change.decision);
  return c;
}

absl::StatusOr<common::SubjectData> CampaignService::ExportSubjectData(const CallContext& call,
                                                                       const std::string& subject_id) {
  CAK_ASSIGN_OR_RETURN(std::vector<common::SubjectRow> previews,
                       repository_->SubjectPreviews(subject_id, call.deadline));
  return SubjectExport(previews);
}

ProcessingRecord CampaignService::Record(const Campaign& c, absl::string_view rpc, ProcessingActivity activity) const {
  ProcessingRecord record = common::MakeRecord(absl::StrCat("campaign.", rpc), activity, clock_->Now());
  record.attributes = {{"campaign", absl::StrCat("campaigns/", c.id)},
                       {"signal", absl::StrCat("signals/", c.signal_id)}};
  record.action_traceparent = c.action_traceparent;
  return record;
}

absl::Status CampaignService::LogFailure(const CallContext& call, ProcessingRecord record, absl::Status failure) {
  common::WriteFailedProcessing(
      call, std::move(record), failure, clock_->Now(),
      [this](const CallContext& c, const ProcessingRecord& r) { return repository_->Log(c, r, c.deadline); });
  return failure;
}

absl::StatusOr<Campaign> CampaignService::Submit(const CallContext& asked, const std::string& id,
                                                 const std::string& comment) {
  CAK_RETURN_IF_ERROR(common::ValidateOptionalText(comment, kMaxComment, "comment"));
  CAK_ASSIGN_OR_RETURN(Campaign c, Load(asked, id));
  if (c.state != CampaignState::kDraft) return InvalidTransition(c, "submit");
  const CallContext call = common::WithinAction(asked, c.action_traceparent);
  const int64_t expected = c.revision;
  // The executors' latest word counts.
  for (CampaignGroup& g : c.groups) {
    if (!Contacted(g.action) || !g.feasibility || g.feasibility->state != FeasibilityState::kAwaitingSignOff) continue;
    CAK_ASSIGN_OR_RETURN(GroupFeasibility fresh, dispatch_->GetFeasibility(call, g.feasibility->check_id));
    fresh.action = g.feasibility->action;
    fresh.volume = g.feasibility->volume;
    fresh.window_start = g.feasibility->window_start;
    fresh.window_end = g.feasibility->window_end;
    g.feasibility = fresh;
  }
  for (const CampaignGroup& g : c.groups) {
    if (Contacted(g.action) && !FeasibilityMatches(c, g)) {
      return FieldError(absl::StatusCode::kFailedPrecondition, reason::kFeasibilityNotConfirmed,
                        absl::StrCat("groups[", g.priority - 1, "].feasibility"),
                        absl::StrCat("group \"", g.name, "\": ask the executor (CheckCampaignFeasibility) first"));
    }
  }
  CAK_RETURN_IF_ERROR(CheckReadyForReview(c));
  // Freeze the lists now, so the reviewer approves exactly what will be dispatched. The
  // request ids are stable: submitting again after requested changes gets the same lists.
  ProcessingRecord record = Record(c, "SubmitCampaignForReview", ProcessingActivity::kBepalenActie);
  std::vector<std::string> lists;
  for (CampaignGroup& g : c.groups) {
    if (!Contacted(g.action)) continue;
    absl::StatusOr<FrozenList> list = analysis_->FreezeList(call, GroupRequestId(c, g, "list"), c.target_group_set_id,
                                                            g.name, c.control_share, c.control_seed);
    if (!list.ok()) {
      // Lists frozen for earlier groups hold personal data now: the failed submit is logged.
      if (lists.empty()) return list.status();
      record.attributes["recipient_lists"] = absl::StrJoin(lists, ",");
      return LogFailure(call, std::move(record), list.status());
    }
    g.recipient_list = list->list_id;
    g.control_list = list->control_list_id;
    g.recipient_count = list->member_count;
    lists.push_back(absl::StrCat("recipientLists/", list->list_id));
  }
  record.attributes["recipient_lists"] = absl::StrJoin(lists, ",");
  return Decide(call, std::move(c), expected, CampaignState::kReadyForReview, DecisionKind::kSubmitted, comment,
                std::move(record));
}

absl::StatusOr<Campaign> CampaignService::Approve(const CallContext& call, const std::string& id,
                                                  const std::string& comment, int64_t revision) {
  CAK_RETURN_IF_ERROR(common::ValidateOptionalText(comment, kMaxComment, "comment"));
  CAK_ASSIGN_OR_RETURN(Campaign c, Load(call, id));
  CAK_RETURN_IF_ERROR(CheckReviewer(c, call.principal));
  if (c.state != CampaignState::kReadyForReview) return InvalidTransition(c, "approve");
  if (revision != 0 && revision != c.revision) {
    return MakeError(absl::StatusCode::kAborted, reason::kRevisionChanged,
                     absl::StrCat("the campaign changed since revision ", revision, " (now ", c.revision, ")"));
  }
  const int64_t expected = c.revision;
  ProcessingRecord record = Record(c, "ApproveCampaign", ProcessingActivity::kBepalenActie);
  return Decide(common::WithinAction(call, c.action_traceparent), std::move(c), expected, CampaignState::kApproved,
                DecisionKind::kApproved, comment, std::move(record));
}

absl::StatusOr<Campaign> CampaignService::RequestChanges(const CallContext& call, const std::string& id,
                                                         const std::string& comment) {
  CAK_RETURN_IF_ERROR(common::ValidateText(comment, kMaxComment, "comment"));
  CAK_ASSIGN_OR_RETURN(Campaign c, Load(call, id));
  CAK_RETURN_IF_ERROR(CheckReviewer(c, call.principal));
  // Also after approval, before the release: an approval can be taken back (e.g. when the
  // windows have started meanwhile).
  if (c.state != CampaignState::kReadyForReview && c.state != CampaignState::kApproved) {
    return InvalidTransition(c, "request changes to");
  }
  const int64_t expected = c.revision;
  ProcessingRecord record = Record(c, "RequestCampaignChanges", ProcessingActivity::kBepalenActie);
  return Decide(common::WithinAction(call, c.action_traceparent), std::move(c), expected, CampaignState::kDraft,
                DecisionKind::kChangesRequested, comment, std::move(record));
}

// ---------------------------------------------------------------------------------------------
// Release and completion

absl::StatusOr<Campaign> CampaignService::Release(const CallContext& asked, const std::string& id) {
  CAK_ASSIGN_OR_RETURN(Campaign c, Load(asked, id));
  const CallContext call = common::WithinAction(asked, c.action_traceparent);
  if (c.state == CampaignState::kReleased || c.state == CampaignState::kCompleted) {
    // A repeat. Orders dispatch-svc refused are offered again: a person fixed the cause.
    bool refused = false;
    for (const CampaignGroup& g : c.groups) refused |= g.order_delivery == OrderDelivery::kFailed;
    if (!refused) return c;
    CAK_RETURN_IF_ERROR(repository_->RequeueFailed(c.id, clock_->Now(), call.deadline).status());
    return Load(call, id);
  }
  if (c.state != CampaignState::kApproved) return InvalidTransition(c, "release");
  for (const CampaignGroup& g : c.groups) {
    if (Contacted(g.action) && g.window_start && *g.window_start < Today()) {
      return FieldError(absl::StatusCode::kFailedPrecondition, reason::kWindowStarted,
                        absl::StrCat("groups[", g.priority - 1, "].window_start"),
                        absl::StrCat("group \"", g.name,
                                     "\": its window has started; request changes to plan it "
                                     "again"));
    }
  }
  CAK_ASSIGN_OR_RETURN(SignalInfo signal, intake_->GetSignal(call, c.signal_id));
  if (signal.state != SignalState::kInAssessment && signal.state != SignalState::kActionPlanned) {
    return FieldError(absl::StatusCode::kFailedPrecondition, reason::kSignalNotOpen, "campaign",
                      "the signal was declined or closed in intake-svc; the campaign cannot be released "
                      "(cancel it)");
  }
  const int64_t expected = c.revision;
  std::vector<common::OutboxMessage> outbox;
  // The release decides who is contacted: the groups' frozen lists (their control lists not).
  ProcessingRecord record = Record(c, "ReleaseCampaign", ProcessingActivity::kUitvoerenActie);
  std::vector<std::string> contacted, held_back;
  int64_t recipients = 0;
  for (const CampaignGroup& g : c.groups) {
    if (!Contacted(g.action)) continue;
    outbox.push_back({kTopicCreateOrder, c.id, absl::StrCat("order:", c.id, ":", g.priority),
                      GroupRequestId(c, g, "order"), g.name, call.trace.ToTraceparent()});
    contacted.push_back(absl::StrCat("recipientLists/", g.recipient_list));
    if (!g.control_list.empty()) held_back.push_back(absl::StrCat("recipientLists/", g.control_list));
    recipients += g.recipient_count;
  }
  record.attributes["contacted_lists"] = absl::StrJoin(contacted, ",");
  record.attributes["control_lists"] = absl::StrJoin(held_back, ",");
  record.attributes["recipients"] = absl::StrCat(recipients);
  outbox.push_back({kTopicSignalPlanned, c.id, absl::StrCat("signal:", c.signal_id),
                    absl::StrCat("campaign-", c.id, "-signal-planned"), absl::StrCat("campaigns/", c.id),
                    call.trace.ToTraceparent()});
  absl::Status saved = Decide(call, std::move(c), expected, CampaignState::kReleased, DecisionKind::kReleased, "",
                              std::move(record), std::move(outbox))
                           .status();
  if (saved.code() == absl::StatusCode::kAborted) {
    // A concurrent release won: answer with its result.
    CAK_ASSIGN_OR_RETURN(Campaign current, Load(call, id));
    if (current.state == CampaignState::kReleased) return current;
  }
  CAK_RETURN_IF_ERROR(saved);
  return Load(call, id);  // with the orders' delivery state
}

absl::StatusOr<Campaign> CampaignService::MeasureResponse(const CallContext& asked, const std::string& id,
                                                          std::optional<absl::CivilDay> end_day, uint64_t sample_seed) {
  CAK_ASSIGN_OR_RETURN(Campaign c, Load(asked, id));
  if (c.state != CampaignState::kReleased && c.state != CampaignState::kCompleted) {
    return InvalidTransition(c, "measure the response of");
  }
  const CallContext call = common::WithinAction(asked, c.action_traceparent);
  ResponseQuestion question;
  question.campaign_name = absl::StrCat("campaigns/", c.id);
  question.end_day = end_day;
  question.topics = c.response_topics;
  question.channels = c.response_channels;
  question.sample_seed = sample_seed;
  for (const CampaignGroup& g : c.groups) {
    if (!Contacted(g.action) || g.recipient_list.empty() || !g.window_start) continue;
    question.groups.push_back({g.name, g.recipient_list, g.control_list, g.dispatch_order, g.action, *g.window_start});
  }
  if (question.groups.empty()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kNothingToContact, "no group was contacted");
  }
  CAK_ASSIGN_OR_RETURN(ResponseSummary latest, analysis_->MeasureResponse(call, question));
  ProcessingRecord record = Record(c, "MeasureResponse", ProcessingActivity::kResponsmeting);
  record.attributes["response_measurement"] = latest.measurement;
  record.attributes["responders"] = absl::StrCat(latest.responders);
  CAK_RETURN_IF_ERROR(repository_->RecordResponse(c.id, latest, call, record));
  c.latest_response = std::move(latest);
  return c;
}

absl::StatusOr<Campaign> CampaignService::Complete(const CallContext& asked, const std::string& id,
                                                   const std::string& feedback) {
  CAK_RETURN_IF_ERROR(common::ValidateText(feedback, kMaxFeedback, "feedback"));
  CAK_ASSIGN_OR_RETURN(Campaign c, Load(asked, id));
  const CallContext call = common::WithinAction(asked, c.action_traceparent);
  if (c.state == CampaignState::kCompleted) return c;
  if (c.state != CampaignState::kReleased) return InvalidTransition(c, "complete");
  for (const CampaignGroup& g : c.groups) {
    if (!Contacted(g.action)) continue;
    if (g.order_delivery != OrderDelivery::kCreated) {
      return FieldError(
          absl::StatusCode::kFailedPrecondition, reason::kOrdersNotCompleted,
          absl::StrCat("groups[", g.priority - 1, "]"),
          absl::StrCat("group \"", g.name, "\": its dispatch order is ",
                       g.order_delivery == OrderDelivery::kFailed ? "refused by dispatch-svc" : "not delivered yet"));
    }
    CAK_ASSIGN_OR_RETURN(OrderState state, dispatch_->GetOrderState(call, g.dispatch_order));
    if (state != OrderState::kCompleted && state != OrderState::kPurged) {
      return FieldError(absl::StatusCode::kFailedPrecondition, reason::kOrdersNotCompleted,
                        absl::StrCat("groups[", g.priority - 1, "]"),
                        absl::StrCat("group \"", g.name, "\": the executor has not acknowledged every batch"));
    }
  }
  const int64_t expected = c.revision;
  std::vector<common::OutboxMessage> outbox = {{kTopicSignalClosed, c.id, absl::StrCat("signal:", c.signal_id),
                                                absl::StrCat("campaign-", c.id, "-signal-closed"), feedback,
                                                call.trace.ToTraceparent()}};
  ProcessingRecord record = Record(c, "CompleteCampaign", ProcessingActivity::kUitvoerenActie);
  CAK_RETURN_IF_ERROR(Decide(call, std::move(c), expected, CampaignState::kCompleted, DecisionKind::kCompleted,
                             feedback, std::move(record), std::move(outbox))
                          .status());
  return Load(call, id);
}

absl::StatusOr<Campaign> CampaignService::Cancel(const CallContext& call, const std::string& id,
                                                 const std::string& why) {
  CAK_RETURN_IF_ERROR(common::ValidateText(why, kMaxComment, "reason"));
  CAK_ASSIGN_OR_RETURN(Campaign c, Load(call, id));
  if (c.state != CampaignState::kDraft && c.state != CampaignState::kReadyForReview &&
      c.state != CampaignState::kApproved) {
    return InvalidTransition(c, "cancel");
  }
  const int64_t expected = c.revision;
  ProcessingRecord record = Record(c, "CancelCampaign", ProcessingActivity::kBepalenActie);
  return Decide(common::WithinAction(call, c.action_traceparent), std::move(c), expected, CampaignState::kCancelled,
                DecisionKind::kCancelled, why, std::move(record));
}

// ---------------------------------------------------------------------------------------------
// Outbox delivery

CallContext CampaignService::RelayCall(const common::OutboxRecord& message) const {
  CallContext call;
  auto parent = common::ParseTraceparent(message.message.traceparent);
  call.trace = parent ? parent->NewChild() : common::TraceContext::NewRoot();
  call.principal = {absl::StrCat(settings_.service_identity, "/outbox-relay"),
                    common::PrincipalKind::kApplication,
                    {common::roles::kCampaignService}};
  call.start_time = clock_->Now();
  return call;
}

absl::StatusOr<std::string> CampaignService::DeliverOrder(const common::OutboxRecord& message) {
  const std::string& group = message.message.payload;
  const CallContext call = RelayCall(message);
  CAK_ASSIGN_OR_RETURN(Campaign c, repository_->Get(message.message.aggregate_id, absl::InfiniteFuture()));
  CAK_ASSIGN_OR_RETURN(size_t gi, FindGroup(c, group, "group"));
  const CampaignGroup& g = c.groups[gi];
  if (!g.message || !g.window_start || !g.window_end || g.recipient_list.empty()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kGroupIncomplete,
                     absl::StrCat("group \"", g.name, "\" lost its message, window or list"));
  }
  OrderRequest order;
  order.request_id = message.message.request_id;
  order.campaign_name = absl::StrCat("campaigns/", c.id);
  order.group = g.name;
  order.recipient_list_id = g.recipient_list;
  order.action = g.action;
  order.message_reference = MessageReference(c, g, g.message->version);
  order.message_text = g.message->text;
  order.guidelines = g.guidelines;
  order.window_start = *g.window_start;
  order.window_end = *g.window_end;
  order.values = g.values;
  order.contact_moment_code = g.contact_moment_code;
  if (g.feasibility) order.feasibility_check_id = g.feasibility->check_id;
  return dispatch_->CreateOrder(call, order);
}

absl::StatusOr<std::string> CampaignService::DeliverSignalPlanned(const common::OutboxRecord& message) {
  const std::string& campaign_name = message.message.payload;
  const CallContext call = RelayCall(message);
  CAK_ASSIGN_OR_RETURN(Campaign c, repository_->Get(message.message.aggregate_id, absl::InfiniteFuture()));
  CAK_RETURN_IF_ERROR(intake_->MarkActionPlanned(call, c.signal_id, campaign_name));
  return absl::StrCat("signals/", c.signal_id);
}

absl::StatusOr<std::string> CampaignService::DeliverSignalClosed(const common::OutboxRecord& message) {
  const std::string& feedback = message.message.payload;
  const CallContext call = RelayCall(message);
  CAK_ASSIGN_OR_RETURN(Campaign c, repository_->Get(message.message.aggregate_id, absl::InfiniteFuture()));
  CAK_RETURN_IF_ERROR(intake_->Close(call, c.signal_id, feedback));
  return absl::StrCat("signals/", c.signal_id);
}

}  // namespace cak::campaign::domain
