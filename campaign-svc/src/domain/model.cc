// Campaign rules (see model.h).
#include "campaign-svc/src/domain/model.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "campaign-svc/src/domain/reasons.h"
#include "common/base/errors.h"

namespace cak::campaign::domain {

using common::FieldError;
using common::MakeError;

absl::string_view CampaignStateName(CampaignState s) {
  switch (s) {
    case CampaignState::kDraft:
      return "DRAFT";
    case CampaignState::kReadyForReview:
      return "READY_FOR_REVIEW";
    case CampaignState::kApproved:
      return "APPROVED";
    case CampaignState::kReleased:
      return "RELEASED";
    case CampaignState::kCompleted:
      return "COMPLETED";
    case CampaignState::kCancelled:
      return "CANCELLED";
  }
  return "UNKNOWN";
}

absl::string_view ActionName(Action a) {
  switch (a) {
    case Action::kLetter:
      return "LETTER";
    case Action::kCall:
      return "CALL";
    case Action::kContactMoment:
      return "CONTACT_MOMENT";
    case Action::kNone:
      return "NONE";
    case Action::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

bool Contacted(Action a) { return a == Action::kLetter || a == Action::kCall || a == Action::kContactMoment; }

common::MessageChannel ChannelOf(Action a) {
  switch (a) {
    case Action::kCall:
      return common::MessageChannel::kCall;
    case Action::kContactMoment:
      return common::MessageChannel::kContactMoment;
    default:
      return common::MessageChannel::kLetter;
  }
}

int64_t ControlCount(int64_t members, double share) {
  if (members <= 0 || share <= 0) return 0;
  return std::min<int64_t>(members, std::llround(share * static_cast<double>(members)));
}

int64_t ContactedVolume(const Campaign& c, const CampaignGroup& g) {
  return g.member_count - ControlCount(g.member_count, c.control_share);
}

std::string MessageReference(const Campaign& c, const CampaignGroup& g, int version) {
  return absl::StrCat("campaigns/", c.id, "/groups/", g.priority, "/messages/", version);
}

absl::StatusOr<size_t> FindGroup(const Campaign& c, absl::string_view name, absl::string_view field) {
  for (size_t i = 0; i < c.groups.size(); ++i) {
    if (c.groups[i].name == name) return i;
  }
  return FieldError(absl::StatusCode::kInvalidArgument, reason::kGroupNotFound, field,
                    absl::StrCat("the campaign has no group named \"", name, "\""));
}

absl::Status CheckEditable(const Campaign& c) {
  if (c.state == CampaignState::kDraft) return absl::OkStatus();
  return MakeError(absl::StatusCode::kFailedPrecondition, reason::kCampaignNotEditable,
                   absl::StrCat("a campaign can only be changed in DRAFT; it is ", CampaignStateName(c.state)));
}

absl::Status CheckReadyForReview(const Campaign& c) {
  bool anyone = false;
  for (size_t i = 0; i < c.groups.size(); ++i) {
    const CampaignGroup& g = c.groups[i];
    const std::string f = absl::StrCat("groups[", i, "]");
    auto incomplete = [&](absl::string_view what, absl::string_view message) {
      return FieldError(absl::StatusCode::kFailedPrecondition, reason::kGroupIncomplete, absl::StrCat(f, ".", what),
                        absl::StrCat("group \"", g.name, "\": ", message));
    };
    if (g.action == Action::kUnspecified) return incomplete("action", "no action chosen (NONE if not contacted)");
    if (!Contacted(g.action)) continue;
    anyone = true;
    if (!g.message) return incomplete("message", "no message written");
    if (!g.window_start || !g.window_end) return incomplete("window_start", "no window");
    if (g.action == Action::kContactMoment && g.contact_moment_code.empty()) {
      return incomplete("contact_moment_code", "a contact moment needs its code");
    }
    if (!g.feasibility || g.feasibility->state != FeasibilityState::kConfirmed) {
      return FieldError(absl::StatusCode::kFailedPrecondition, reason::kFeasibilityNotConfirmed,
                        absl::StrCat(f, ".feasibility"),
                        absl::StrCat("group \"", g.name, "\": the executor has not confirmed feasibility"));
    }
    if (!g.feasibility->feasible) {
      return FieldError(absl::StatusCode::kFailedPrecondition, reason::kNotFeasible, absl::StrCat(f, ".feasibility"),
                        absl::StrCat("group \"", g.name, "\": the executor cannot handle it in the window"));
    }
  }
  if (!anyone) {
    return FieldError(absl::StatusCode::kFailedPrecondition, reason::kNothingToContact, "groups",
                      "no group is contacted; when no action follows, decline the signal in intake-svc instead");
  }
  return absl::OkStatus();
}

absl::Status CheckReviewer(const Campaign& c, const common::Principal& reviewer) {
  if (reviewer.kind != common::PrincipalKind::kEmployee || !reviewer.HasRole(common::roles::kApprover)) {
    return MakeError(absl::StatusCode::kPermissionDenied, reason::kApproverRoleRequired,
                     "reviewing a campaign needs an employee with the approver role");
  }
  const std::string& actor = reviewer.id;
  bool designer = actor == c.created_by || std::find(c.editors.begin(), c.editors.end(), actor) != c.editors.end();
  for (const Decision& d : c.decisions) designer |= d.kind == DecisionKind::kSubmitted && d.actor == actor;
  if (designer) {
    return MakeError(absl::StatusCode::kPermissionDenied, reason::kFourEyesViolation,
                     "four eyes: the campaign's creator, an editor or its submitter cannot review it");
  }
  return absl::OkStatus();
}

void Touch(Campaign* c, absl::string_view actor, absl::Time now) {
  if (actor != c->created_by && std::find(c->editors.begin(), c->editors.end(), actor) == c->editors.end()) {
    c->editors.emplace_back(actor);
  }
  c->update_time = now;
  ++c->revision;
}

}  // namespace cak::campaign::domain
