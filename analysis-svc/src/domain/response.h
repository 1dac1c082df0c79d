// Response measurement (responsmeting, step 9 of record M7624), the pure part: given the rows
// of a recipient list's members in the columnar snapshot, their contact reports decide who
// responded; rates per group, channel, topic and week, the comparison with the control group
// (Wald interval of the difference of two proportions), the executors' outcomes per position
// and a reproducible sample of responders and non-responders. No I/O: the service loads the lists
// and the outcomes and hands them in; the unit tests call these functions directly.
//
// Definitions (the contract's, analysis_service.proto "Response measurement"):
// - a member responded when it has at least one contact report on a day in
//   [send_day, end_day] (of the topics and channels that count, when the measurement names
//   them); its first response is the earliest such report;
// - members no longer in the snapshot (purged, or left out of a later customers import) are
//   not found and left out of every rate's denominator;
// - week n covers send_day + 7(n-1) .. send_day + 7n - 1; the last week may be partial;
// - of several outcomes for one position the one with the newest outcome time counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "analysis-svc/src/domain/columnar.h"
#include "analysis-svc/src/domain/model.h"

namespace cak::analysis::domain {

inline constexpr int kMaxMeasuredGroups = 50;
inline constexpr int kDefaultResponseSample = 20;
inline constexpr int kMaxResponseSample = 1000;
inline constexpr int kMaxResponseTopics = 50;
// Two-sided 95%: the 0.975 quantile of the standard normal distribution.
inline constexpr double kZ95 = 1.959963984540054;

// A member's row in the snapshot, kNotFound when it is not there (any more).
inline constexpr uint32_t kNotFound = UINT32_MAX;

// dispatch-svc's Outcome numbers (dispatch.v1.Outcome), 0: none reported.
enum class DeliveryOutcome : uint8_t {
  kLetterPrinted = 1,
  kLetterReturnedUndeliverable = 2,
  kCallReached = 3,
  kCallNotReached = 4,
  kCallWrongNumber = 5,
  kContactMomentPlaced = 6,
};
inline constexpr int kDeliveryOutcomeSlots = 7;
// "LETTER_PRINTED", ...; "NO_OUTCOME" for 0; "" for an unknown number.
absl::string_view DeliveryOutcomeName(int value);
// Printed, reached or placed: the communication arrived.
bool IsDelivered(int value);

// The action a group got (analysis.v1.ActionChannel numbers; only reported back).
enum class ActionChannel : uint8_t { kUnspecified = 0, kLetter = 1, kCall = 2, kContactMoment = 3 };

struct Rate {
  int64_t numerator = 0;
  int64_t denominator = 0;
  double rate() const { return denominator == 0 ? 0.0 : static_cast<double>(numerator) / denominator; }
};

// response - control with its 95% Wald interval:
//   d ± z * sqrt(p1 (1 - p1) / n1 + p0 (1 - p0) / n0).
// nullopt when either denominator is 0 (nothing to compare).
struct Difference {
  double value = 0, ci_low = 0, ci_high = 0;
};
std::optional<Difference> DifferenceWithCi(const Rate& response, const Rate& control);

// Weeks from send_day through end_day (end_day >= send_day): 1 + (end - send) / 7.
int WeekCount(absl::CivilDay send_day, absl::CivilDay end_day);

// Which contact reports count as a response: those on one of `topics` (the report's topic, exact
// text) and one of `channels` (ContactChannel numbers); an empty list allows every value.
struct ResponseFilter {
  std::vector<std::string> topics;
  std::vector<int> channels;
  bool empty() const { return topics.empty() && channels.empty(); }
};

// A ResponseFilter against one snapshot's topic dictionary: a flag per topic index.
class ResolvedFilter {
 public:
  ResolvedFilter() = default;  // counts every report
  ResolvedFilter(const ColumnarSnapshot& snapshot, const ResponseFilter& filter);
  // The topics asked, in the filter's order; empty: every topic counts.
  const std::vector<std::string>& topics() const { return asked_topics_; }
  // Whether contact report k (an index into the snapshot's contact columns) counts.
  bool Counts(const ColumnarSnapshot& snapshot, uint32_t k) const {
    if (channel_mask_ != 0 && (channel_mask_ & (1u << (snapshot.contact_channel[k] & 0x7f))) == 0) return false;
    if (!by_topic_) return true;
    const uint32_t topic = k < snapshot.contact_topic.size() ? snapshot.contact_topic[k] : 0;
    return topic < topics_.size() && topics_[topic];
  }

 private:
  bool by_topic_ = false;
  std::vector<bool> topics_;  // by topic index
  std::vector<std::string> asked_topics_;
  uint32_t channel_mask_ = 0;  // bit per channel; 0: every channel
};

// One member's contact reports in [send, end] (day numbers, inclusive).
struct MemberResponse {
  bool responded = false;
  DayNumber first_day = 0;
  uint8_t first_channel = 0;  // ContactChannel number
  int contacts = 0;
};
// Only reports `filter` counts (null: every report). `topics` (optional) receives the distinct
// topic indices (into snapshot.contact_topics) of the counted reports, without 0 (no topic).
MemberResponse ResponseOf(const ColumnarSnapshot& snapshot, uint32_t row, DayNumber send, DayNumber end,
                          const ResolvedFilter* filter = nullptr, std::vector<uint32_t>* topics = nullptr);

// Rows of a list's members by position - 1: members whose BSN is 0 (no longer in the list)
// or not in the snapshot get kNotFound. Lists are frozen in BSN order, so the search walks
// forward from the previous member; any order is still answered correctly.
std::vector<uint32_t> RowsOfMembers(const ColumnarSnapshot& snapshot, const std::vector<int32_t>& bsn_by_position);

// An executor's outcome for one list position (from dispatch-svc).
struct PositionOutcome {
  std::string recipient_list;  // id
  int64_t position = 0;
  uint8_t outcome = 0;  // DeliveryOutcome number
  absl::Time outcome_time;
};
// The outcome per position (index position - 1; 0: none) of `list_id`'s `member_count`
// positions: of several for one position, the newest outcome_time counts (on a tie, the later
// in `outcomes`). Outcomes of other lists or outside 1..member_count are ignored.
std::vector<uint8_t> LatestOutcomes(const std::vector<PositionOutcome>& outcomes, const std::string& list_id,
                                    int64_t member_count);

struct ChannelResponse {
  int channel = 0;  // ContactChannel number
  int64_t responders = 0;
  double rate = 0;
};

// Members with a counted report on a topic. A member counts once per topic, and under each
// topic it reported on: the topics' responders may add up to more than the group's.
struct TopicResponse {
  std::string topic;  // exact text
  int64_t responders = 0;
  double rate = 0;  // over the contacted members found
  int64_t control_responders = 0;
  double control_rate = 0;  // over the control members found; 0 without a control list
};

struct WeekResponse {
  int week = 0;
  absl::CivilDay week_start;
  int64_t new_responders = 0;
  double cumulative_rate = 0;
  double control_cumulative_rate = 0;
};

struct OutcomeCount {
  std::string outcome;
  int64_t count = 0;
};

// One group's measurement.
struct GroupResponse {
  std::string group;
  int channel = 0;  // ActionChannel number
  absl::CivilDay send_day;
  int64_t contacted = 0;
  int64_t not_found = 0;
  Rate response;
  Rate control_response;
  std::optional<Difference> difference;
  std::vector<ChannelResponse> by_channel;  // every ContactChannel, enum order
  // The filter's topics in its order (also with 0) when it names them; else every topic of the
  // contacted members' counted reports, by responders descending, then topic. Reports without
  // a topic are under none.
  std::vector<TopicResponse> by_topic;
  std::vector<WeekResponse> by_week;
  std::vector<OutcomeCount> outcomes;  // with a dispatch order: counts > 0 in enum order, then NO_OUTCOME
  Rate response_when_delivered;
};

// What MeasureGroup needs of one group.
struct GroupInput {
  std::string group;
  int channel = 0;
  absl::CivilDay send_day;
  std::vector<uint32_t> rows;                         // by position - 1 (RowsOfMembers)
  std::optional<std::vector<uint32_t>> control_rows;  // nullopt: no control list
  std::optional<std::vector<uint8_t>> outcomes;       // by position - 1; nullopt: no dispatch order
  const ResolvedFilter* filter = nullptr;             // which reports count; null: every report
};

// Measures one group through end_day (>= send_day). `responded` (optional) receives one flag
// per position of the contacted list (false for members not found).
GroupResponse MeasureGroup(const ColumnarSnapshot& snapshot, const GroupInput& input, absl::CivilDay end_day,
                           std::vector<bool>* responded = nullptr);

// The lists one measured group named (ids; control_list: the one used, also when it was the
// list's own; empty: none), kept beside its GroupResponse.
struct GroupLists {
  std::string recipient_list, control_list, dispatch_order;
};

// A kept measurement (responseMeasurements/{id}): its parameters, the snapshot it read and its
// aggregate results. The response sample is not kept: it leaves only in MeasureResponse's answer
// (logged per member there), and the same parameters on the same snapshot draw it again.
struct KeptMeasurement {
  std::string id;
  std::string campaign;  // "campaigns/{id}" as given; empty when none
  std::string measured_by;
  int64_t snapshot_version = 0;
  int64_t contact_reports_version = 0;  // the contact-report data set's version in that snapshot
  absl::CivilDay end_day;
  ResponseFilter filter;
  int sample_size = 0;  // as used (the default applied)
  uint64_t sample_seed = 0;
  std::vector<GroupLists> lists;  // per group, as `groups`
  std::vector<GroupResponse> groups;
  Rate total_response, total_control_response;
  absl::Time measure_time;  // whole microseconds (as kept)
};

// Sum of the groups' rates (the control total over the groups that have a control list).
void Totals(const std::vector<GroupResponse>& groups, Rate* response, Rate* control);

// A sampled member: its group (index into the inputs), position and snapshot row.
struct SampledMember {
  size_t group = 0;
  int64_t position = 0;
  uint32_t row = 0;
};
struct ResponseSample {
  std::vector<SampledMember> responders, non_responders;  // in draw order
};
// Up to `size` responders and `size` non-responders among the found members of the contacted
// lists: those with the smallest draw keys (DrawKey(seed, bsn), as samples draw), so the same
// seed on the same snapshot and lists draws the same members. `responded[g]` as MeasureGroup
// returned it for group g.
ResponseSample DrawResponseSample(const ColumnarSnapshot& snapshot, const std::vector<GroupInput>& groups,
                                  const std::vector<std::vector<bool>>& responded, int size, uint64_t seed);

}  // namespace cak::analysis::domain
