// Pure helpers shared by the repository implementations (see signal_repository.h).
#include "intake-svc/src/domain/signal_repository.h"

namespace cak::intake::domain {

Signal ApplyMutation(Signal signal, const Mutation& m) {
  if (m.to != signal.state) {
    signal.state_changes.push_back(StateChange{signal.state, m.to, m.event.actor, m.event.event_time});
  }
  signal.state = m.to;
  signal.decline_reason = m.decline_reason;
  if (m.feedback) signal.feedback = *m.feedback;
  if (m.campaign) signal.campaign = *m.campaign;
  if (m.information) signal.information.push_back(*m.information);
  signal.final_time = m.final_time;
  signal.update_time = m.update_time;
  return signal;
}

DuplicateMatch ClassifyDuplicate(bool same_regulation_and_category, int shared_customer_count) {
  if (same_regulation_and_category && shared_customer_count > 0) return DuplicateMatch::kBoth;
  return same_regulation_and_category ? DuplicateMatch::kSameRegulationAndCategory : DuplicateMatch::kSharedCustomers;
}

}  // namespace cak::intake::domain
